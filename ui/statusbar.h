// SPDX-License-Identifier: MIT
#pragma once

#include <QStatusBar>

#include <deque>
#include <utility>

class QLabel;
class QProgressBar;
class QPushButton;

namespace el {
class Capture;
} // namespace el

namespace el::ui {

class EventTableModel;

/**
 * \brief The inspector's status bar: where it listens, the contract, the counts, events/s, Paused, and the progress
 * and Cancel of a background job (reload, open, import). Temporary messages go through QStatusBar::showMessage().
 */
class StatusBar final : public QStatusBar
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatusBar)
public:
    static constexpr int kTickMs = 500; ///< how often sampleRate() and refresh() are called

    StatusBar(Capture* capture, EventTableModel* model, QWidget* parent = nullptr);

    /** The permanent texts joined with " | " (listen address, contract, counts, rate). */
    QString summary() const;
    QProgressBar* jobProgress() const { return m_jobProgress; }
    QPushButton* jobCancelButton() const { return m_jobCancel; }

    void showListening(const QString& url);
    void showNotListening(const QString& error);
    /** The loaded contract's name and version (its origin in the tooltip). */
    void showContract();
    /** Counts, events/s and Paused, now. */
    void refresh();
    /** Takes an events/s sample (every tick). */
    void sampleRate();
    /** Events/s starts over (the capture was cleared). */
    void resetRate() { m_rateSamples.clear(); }

    /** A background job started: a busy bar with \a toolTip, and Cancel (Capture::cancelJudging()). */
    void showJob(const QString& toolTip);
    void showJobProgress(qint64 done, qint64 total);
    void hideJob();
    /** Events the last job checked (its last progress). */
    qint64 jobChecked() const { return m_jobChecked; }

private:
    Capture* m_capture;
    EventTableModel* m_model;
    QLabel* m_listenLabel;
    QLabel* m_pausedLabel;
    QLabel* m_contractLabel;
    QLabel* m_eventsLabel;
    QLabel* m_rejectedLabel;
    QLabel* m_violationsLabel;
    QLabel* m_rateLabel;
    QProgressBar* m_jobProgress;
    QPushButton* m_jobCancel;
    qint64 m_jobChecked = 0;
    std::deque<std::pair<qint64, qint64>> m_rateSamples; ///< (ms, events received)
};

} // namespace el::ui
