// SPDX-License-Identifier: MIT
#include "capturefileactions.h"

#include "model/savefile.h"
#include "pipeline/capture.h"
#include "report/diff.h"
#include "report/sessionreport.h"
#include "store/exchange.h"

#include "comparedialog.h"
#include "eventfilterproxy.h"
#include "eventtablemodel.h"
#include "statusbar.h"
#include "uiutil.h"

#include <QAction>
#include <QApplication>
#include <QDateTime>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QTemporaryDir>
#include <QThreadPool>

namespace el::ui {

CaptureFileActions::CaptureFileActions(
    Capture* capture, EventTableModel* model, EventFilterProxy* proxy, StatusBar* statusBar, QWidget* window)
    : QObject(window)
    , m_capture(capture)
    , m_model(model)
    , m_proxy(proxy)
    , m_statusBar(statusBar)
    , m_window(window)
    , m_exportReportAction(new QAction(tr("Export &Report…"), this))
    , m_compareAction(new QAction(tr("Compare &With…"), this))
{
    connect(m_exportReportAction, &QAction::triggered, this, &CaptureFileActions::exportReport);
    connect(m_compareAction, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(m_window, tr("Compare With Baseline"), QString(),
            tr("Recorded events (*.ndjson *.jsonl *.json *.har);;All files (*)"));
        if (!path.isEmpty())
            compareWith(path);
    });
    m_compareAction->setToolTip(tr("Judge a baseline recording and this session with the contract, and compare them"));
    m_compareAction->setVisible(false); // until the application gives the comparison
    connect(capture, &Capture::judgingStarted, this, &CaptureFileActions::onJudgingStarted);
    connect(
        capture, &Capture::judgingFinished, this, [this](Capture::JobKind kind, bool cancelled, const QString& error) {
            onJudgingFinished(static_cast<int>(kind), cancelled, error);
        });
}

CaptureFileActions::~CaptureFileActions() = default;

void CaptureFileActions::newSession()
{
    std::string error;
    if (!m_capture->openSessionFile(SessionJournal::newDefaultPath(), error))
        QMessageBox::warning(m_window, tr("Cannot start a new session"), qs(error));
    Q_EMIT captureReplaced();
}

void CaptureFileActions::openSessionFile()
{
    const QString path = QFileDialog::getOpenFileName(m_window, tr("Open Session"), SessionJournal::defaultDirectory(),
        tr("EventLens sessions (*.elsession);;All files (*)"));
    if (!path.isEmpty())
        openSessionFileAt(path);
}

void CaptureFileActions::openSessionFileAt(const QString& path)
{
    // A session file is reopened for appending: capture continues into it. It is read and judged in the
    // background (progress and Cancel in the status bar); the current session goes on until then.
    m_jobPath = path;
    m_capture->openSessionFileInBackground(path);
}

void CaptureFileActions::fillRecentMenu(QMenu* menu)
{
    menu->clear();
    const QStringList files = SessionJournal::recentSessions(10);
    if (files.isEmpty())
        menu->addAction(tr("(none)"))->setEnabled(false);
    for (const QString& f : files)
        menu->addAction(QFileInfo(f).fileName(), this, [this, f] { openSessionFileAt(f); });
}

void CaptureFileActions::importSession()
{
    const QString path = QFileDialog::getOpenFileName(m_window, tr("Import"), QString(),
        tr("HAR or NDJSON (*.har *.ndjson *.jsonl *.json);;EventLens sessions (*.elsession);;All files (*)"));
    if (path.isEmpty())
        return;
    m_jobPath = path;
    m_capture->importFileInBackground(path); // onJudgingFinished() says how it went
}

void CaptureFileActions::onJudgingStarted()
{
    const Capture::JobKind kind = m_capture->judgingKind();
    if (kind == Capture::JobKind::OpenSession)
        m_statusBar->showJob(tr("Opening %1").arg(m_jobPath));
    else if (kind == Capture::JobKind::Import)
        m_statusBar->showJob(tr("Importing %1").arg(m_jobPath));
}

void CaptureFileActions::onJudgingFinished(int kind, bool cancelled, const QString& error)
{
    const auto job = static_cast<Capture::JobKind>(kind);
    if (job == Capture::JobKind::Contract)
        return; // the ContractController's
    m_statusBar->hideJob();
    const QString file = QFileInfo(m_jobPath).fileName();
    if (job == Capture::JobKind::OpenSession) {
        if (!error.isEmpty())
            QMessageBox::warning(m_window, tr("Cannot open session"), error);
        else if (cancelled)
            m_statusBar->showMessage(tr("Opening %1 cancelled: the current session goes on").arg(file), 6000);
        else
            m_statusBar->showMessage(
                tr("Opened %1: %2 events checked").arg(file, formatCount(m_statusBar->jobChecked())), 8000);
    } else {
        if (!error.isEmpty())
            QMessageBox::warning(m_window, tr("Cannot import"), error);
        else if (cancelled)
            m_statusBar->showMessage(tr("Import of %1 cancelled: the current session goes on").arg(file), 6000);
        else
            m_statusBar->showMessage(
                tr("Imported %1 (read-only: new events are shown but not journaled; File > New Session resumes)")
                    .arg(file),
                15000);
    }
}

void CaptureFileActions::exportEvents(const QString& format)
{
    const QString filter = format == QLatin1String("har") ? tr("HAR 1.2 (*.har)")
        : format == QLatin1String("csv")                  ? tr("CSV (*.csv)")
                                                          : tr("NDJSON (*.ndjson)");
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Export"),
        QStringLiteral("eventlens-%1.%2")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd_HH-mm-ss")), format),
        filter);
    if (path.isEmpty())
        return;
    std::string error;
    bool ok = false;
    if (format == QLatin1String("ndjson")) {
        ok = exportNdjson(path, *m_capture->store(), error);
    } else if (format == QLatin1String("csv")) {
        ok = exportCsv(path, *m_capture->store(), error);
    } else {
        SessionData recorded;
        ok = m_capture->readSessionFile(recorded, error) && exportHar(path, recorded, error);
    }
    if (!ok)
        QMessageBox::warning(m_window, tr("Export failed"), qs(error));
    else
        m_statusBar->showMessage(tr("Exported to %1").arg(path), 8000);
}

void CaptureFileActions::exportReport()
{
    QString selected;
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Export Report"),
        QStringLiteral("eventlens-report-%1.html")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd_HH-mm-ss"))),
        tr("HTML report (*.html);;Markdown (*.md)"), &selected);
    if (path.isEmpty())
        return;
    const bool markdown = path.endsWith(QLatin1String(".md"), Qt::CaseInsensitive)
        || path.endsWith(QLatin1String(".markdown"), Qt::CaseInsensitive)
        || (selected.startsWith(QLatin1String("Markdown"))
            && !path.endsWith(QLatin1String(".html"), Qt::CaseInsensitive));
    // With a filter on, the report can be of the rows it shows.
    bool onlyShown = false;
    if (m_proxy->rowCount() < m_model->rowCount()) {
        QMessageBox ask(QMessageBox::Question, tr("Export Report"),
            tr("The filter shows %1 of %2 events. Report on which?").arg(m_proxy->rowCount()).arg(m_model->rowCount()),
            QMessageBox::NoButton, m_window);
        QPushButton* shown = ask.addButton(tr("The %1 shown").arg(m_proxy->rowCount()), QMessageBox::AcceptRole);
        ask.addButton(tr("All events"), QMessageBox::RejectRole);
        ask.exec();
        onlyShown = ask.clickedButton() == shown;
    }
    exportReportTo(path, markdown, onlyShown);
}

void CaptureFileActions::exportReportTo(const QString& path, bool markdown, bool onlyShown)
{
    std::vector<qint64> seqs;
    for (int row = 0; onlyShown && row < m_proxy->rowCount(); ++row) {
        if (const EventPtr e = m_model->eventAt(m_proxy->mapToSource(m_proxy->index(row, 0)).row()))
            seqs.push_back(e->seq);
    }
    // The events are shared and immutable: the snapshot is cheap here, and the report (which parses every event
    // again for the coverage) is made and written on a worker, with the window responsive.
    auto snapshot = std::make_shared<const SessionSnapshot>(snapshotSession(*m_capture, onlyShown ? &seqs : nullptr));
    m_exportReportAction->setEnabled(false);
    m_statusBar->showMessage(tr("Writing the report of %n event(s)…", nullptr, int(snapshot->events.size())));
    QPointer<CaptureFileActions> self(this);
    QThreadPool::globalInstance()->start([self, snapshot, path, markdown] {
        const ReportData report = sessionReport(*snapshot);
        const std::string text = markdown ? renderMarkdownReport(report) : renderHtmlReport(report);
        std::string why;
        const bool ok = saveFile(path, text, why);
        const QString error = QString::fromStdString(why);
        QMetaObject::invokeMethod(
            qApp,
            [self, ok, error, path] {
                if (!self) // the window closed meanwhile; the file is written
                    return;
                self->m_exportReportAction->setEnabled(true);
                if (!ok)
                    QMessageBox::warning(self->m_window, tr("Export failed"), error);
                else
                    self->m_statusBar->showMessage(tr("Report written to %1").arg(path), 8000);
            },
            Qt::QueuedConnection);
    });
}

void CaptureFileActions::setCompareFunction(CompareFunction compare)
{
    m_compare = std::move(compare);
    m_compareAction->setVisible(static_cast<bool>(m_compare));
}

void CaptureFileActions::compareWith(const QString& baseline)
{
    if (!m_compare || !m_compareAction->isEnabled())
        return;
    // The session's events as `check` reads them; exported here (the store is this thread's), judged on a worker.
    auto dir = std::make_shared<QTemporaryDir>();
    const QString current = dir->filePath(QStringLiteral("session.ndjson"));
    std::string exportError;
    if (!dir->isValid() || !exportNdjson(current, *m_capture->store(), exportError)) {
        m_statusBar->showMessage(
            tr("Compare failed: %1").arg(exportError.empty() ? dir->errorString() : qs(exportError)), 10000);
        return;
    }
    m_compareAction->setEnabled(false);
    m_statusBar->showMessage(tr("Comparing with %1…").arg(QFileInfo(baseline).fileName()));
    QPointer<CaptureFileActions> self(this);
    QThreadPool::globalInstance()->start(
        [self, dir, current, baseline, compare = m_compare, contract = m_capture->contract()] {
            Json diff;
            QString error;
            const bool ok = compare(contract, baseline, current, diff, error);
            QMetaObject::invokeMethod(
                qApp,
                [self, ok, diff = std::move(diff), error, baseline] {
                    if (!self)
                        return;
                    self->m_compareAction->setEnabled(true);
                    if (!ok) {
                        self->m_statusBar->showMessage(tr("Compare failed: %1").arg(error), 15000);
                        return;
                    }
                    if (!self->m_compareDialog) {
                        self->m_compareDialog = new CompareDialog(self->m_window);
                        connect(self->m_compareDialog, &CompareDialog::findingActivated, self,
                            &CaptureFileActions::findingActivated);
                    }
                    self->m_compareDialog->setDiff(diff, baseline);
                    self->m_compareDialog->show();
                    self->m_compareDialog->raise();
                    self->m_statusBar->showMessage(qs(diffVerdictLine(diff)), 10000);
                },
                Qt::QueuedConnection);
        });
}

} // namespace el::ui
