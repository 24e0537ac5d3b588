// SPDX-License-Identifier: MIT
#pragma once

#include "replay/replayengine.h"

#include <QWidget>

#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace el {

/**
 * \brief The Replay panel: pick scenarios (built-in or files), a target and key, a speed and a
 * repeat count; run them with a progress bar and cancel; see each run's expected vs actual verdict.
 *
 * Self-contained: owns its ReplayEngine and talks to the target over HTTP only, so it works the same
 * against this window's own sink (setDefaultTarget) as against another EventLens or PostHog.
 */
class ReplayPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplayPanel)
public:
    explicit ReplayPanel(QWidget* parent = nullptr);
    ~ReplayPanel() override;

    /** The target used when the field is empty or still shows the previous default (e.g. this sink's URL). */
    void setDefaultTarget(const QString& url);
    QString target() const;

    /** Adds a scenario file (JSON) or a captured session (.ndjson); false with \a error if it does not load. */
    bool addScenarioFile(const QString& path, QString* error = nullptr);
    /** Checks (or unchecks) every scenario in the list. */
    void setAllChecked(bool checked);
    /** Starts replaying the checked scenarios; false (with a message in the panel) if nothing can start. */
    bool startReplay();
    void cancelReplay();
    bool isRunning() const;

    ReplayEngine* engine() const { return m_engine; }
    QTreeWidget* scenarioList() const { return m_scenarios; }
    QTreeWidget* resultList() const { return m_results; }

Q_SIGNALS:
    void replayStarted();
    void replayFinished(bool allOk);

private:
    void addScenario(Scenario scenario, bool removable);
    void updateDescription();
    void updateButtons();
    void onScenarioStarted(const QString& name, int repetition, int repeat);
    void onScenarioFinished(const ScenarioResult& result);
    void onFinished();
    void browse();
    void removeSelected();

    ReplayEngine* m_engine;
    std::vector<Scenario> m_loaded; ///< parallel to the top-level items of m_scenarios
    QString m_defaultTarget;
    QLineEdit* m_target;
    QLineEdit* m_key;
    QComboBox* m_speed;
    QSpinBox* m_repeat;
    QTreeWidget* m_scenarios;
    QLabel* m_description;
    QPushButton* m_add;
    QPushButton* m_remove;
    QPushButton* m_run;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QLabel* m_status;
    QTreeWidget* m_results;
    QTreeWidgetItem* m_currentRun = nullptr;
};

} // namespace el
