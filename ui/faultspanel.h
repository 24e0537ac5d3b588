// SPDX-License-Identifier: MIT
#pragma once

#include <QTimer>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTreeWidget;

namespace el {
class FaultInjector;
}

namespace el::ui {

/**
 * \brief The Faults tab (issue 17): what POST /eventlens/v1/faults does, from the window. Presets ("PostHog outage
 * 30 s", "Rate limited", "Flaky 20 %"), a form for any fault, and the list of faults with how many requests each hit
 * (refreshed twice a second while shown). The faults are the sink's (SinkControl::faults()): the API and this panel
 * see the same list.
 */
class FaultsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FaultsPanel)
public:
    explicit FaultsPanel(QWidget* parent = nullptr);

    /** The sink's faults (nullptr: no sink; the panel is disabled). */
    void setFaults(FaultInjector* faults);
    QTreeWidget* faultList() const { return m_list; }

    enum class Preset { Outage30s, RateLimited, Flaky20 };
    /** Adds a preset's fault (the outage is removed again after 30 s). */
    void applyPreset(Preset preset);
    /** Adds the fault the form describes; false with the reason shown in the panel when it is not valid. */
    bool addFromForm();
    /** Reads the list again. */
    void refresh();

protected:
    void showEvent(QShowEvent* event) override;

private:
    /** Adds \a config (JSON text of a fault); shows the error when it is refused. Returns its id, or 0. */
    int add(const std::string& config);
    void updateForm();

    FaultInjector* m_faults = nullptr;
    QComboBox* m_mode;
    QSpinBox* m_status;
    QSpinBox* m_retryAfter;
    QSpinBox* m_ms;
    QSpinBox* m_count;
    QDoubleSpinBox* m_ratio;
    QComboBox* m_path;
    QLabel* m_message;
    QTreeWidget* m_list;
    QPushButton* m_remove;
    QTimer m_timer;
};

} // namespace el::ui
