// SPDX-License-Identifier: MIT
#include "contractcontroller.h"

#include "addtocontractdialog.h"
#include "pipeline/capture.h"
#include "settingsdialog.h"
#include "statusbar.h"
#include "uiutil.h"

#include <QApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QMessageBox>

namespace el::ui {

namespace {

bool isBuiltin(const QString& origin)
{
    return origin.startsWith(QLatin1String("builtin:"));
}

} // namespace

ContractController::ContractController(Capture* capture, StatusBar* statusBar, QWidget* window)
    : QObject(window)
    , m_capture(capture)
    , m_statusBar(statusBar)
    , m_window(window)
    , m_watcher(new QFileSystemWatcher(this))
{
    m_reloadDelay.setSingleShot(true);
    m_reloadDelay.setInterval(300);
    connect(&m_reloadDelay, &QTimer::timeout, this, [this] { applyContract(qs(m_capture->contractOrigin()), true); });
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, [this] { m_reloadDelay.start(); });
    connect(capture, &Capture::contractChanged, this, &ContractController::watchContract);
    connect(capture, &Capture::judgingStarted, this, &ContractController::onJudgingStarted);
    connect(capture, &Capture::judgingFinished, this, [this](Capture::JobKind kind, bool cancelled) {
        onJudgingFinished(kind == Capture::JobKind::Contract, cancelled);
    });
    watchContract();
}

ContractController::~ContractController() = default;

void ContractController::openContract()
{
    const QString origin = qs(m_capture->contractOrigin());
    const QString dir = isBuiltin(origin) || origin.isEmpty() ? QString() : QFileInfo(origin).absolutePath();
    const QString path
        = QFileDialog::getOpenFileName(m_window, tr("Open Contract"), dir, tr("Contracts (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    // Remembered for the next start once it is applied (a cancelled reload keeps the previous contract).
    applyContract(path, false, rememberWhenApplied(path));
}

void ContractController::reloadContract()
{
    const QString origin = qs(m_capture->contractOrigin());
    if (origin.isEmpty()) {
        m_statusBar->showMessage(tr("No contract loaded"), 3000);
        return;
    }
    if (applyContract(origin, false) && !m_capture->isJudging())
        m_statusBar->showMessage(tr("Contract reloaded"), 3000);
    else if (m_capture->isJudging())
        m_jobDoneMessage = tr("Contract reloaded; every event was checked again");
}

void ContractController::useContract(const QString& nameOrPath)
{
    if (nameOrPath != qs(m_capture->contractOrigin()) && !nameOrPath.isEmpty())
        applyContract(nameOrPath, false);
}

std::function<void()> ContractController::rememberWhenApplied(const QString& path)
{
    return [self = QPointer<ContractController>(this), path] {
        if (!self)
            return;
        GuiSettings saved = GuiSettings::load();
        saved.contract = path;
        saved.save();
        Q_EMIT self->contractRemembered(path);
    };
}

bool ContractController::applyContract(const QString& nameOrPath, bool fromWatcher, std::function<void()> onApplied)
{
    std::string error;
    Capture::ContractApplied applied;
    if (onApplied)
        applied = [onApplied = std::move(onApplied)](bool ok) {
            if (ok)
                onApplied();
        };
    if (!m_capture->loadContract(nameOrPath.toStdString(), error, std::move(applied))) {
        watchContract(); // an editor may have replaced the file: keep watching it
        showError(fromWatcher ? tr("Contract not reloaded") : tr("Cannot load contract"),
            tr("%1\n\nThe previous contract stays active.").arg(qs(error)));
        return false;
    }
    if (m_errorBox)
        m_errorBox->close();
    if (fromWatcher) {
        if (m_capture->isJudging())
            m_jobDoneMessage = tr("Contract file changed: reloaded and re-checked");
        else
            m_statusBar->showMessage(tr("Contract file changed: reloaded"), 4000);
    }
    return true;
}

void ContractController::showError(const QString& title, const QString& message)
{
    // One non-modal box, updated in place: a file saved repeatedly must not stack dialogs.
    if (!m_errorBox) {
        m_errorBox = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, m_window);
        m_errorBox->setAttribute(Qt::WA_DeleteOnClose);
        m_errorBox->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_errorBox->open();
    } else {
        m_errorBox->setWindowTitle(title);
        m_errorBox->setText(message);
    }
}

void ContractController::watchContract()
{
    if (!m_watcher->files().isEmpty())
        m_watcher->removePaths(m_watcher->files());
    const QString origin = qs(m_capture->contractOrigin());
    if (!origin.isEmpty() && !isBuiltin(origin) && QFileInfo::exists(origin))
        m_watcher->addPath(QFileInfo(origin).absoluteFilePath());
}

void ContractController::onJudgingStarted()
{
    if (m_capture->judgingKind() == Capture::JobKind::Contract)
        m_statusBar->showJob(tr("Checking every event against the new contract"));
}

void ContractController::onJudgingFinished(bool contractJob, bool cancelled)
{
    // Whatever the job was, a message kept for it is stale now.
    const QString done = std::exchange(m_jobDoneMessage, QString());
    if (!contractJob)
        return;
    m_statusBar->hideJob();
    if (cancelled)
        m_statusBar->showMessage(tr("Contract reload cancelled: the previous contract stays active"), 6000);
    else
        m_statusBar->showMessage(done.isEmpty()
                ? tr("Contract applied: %1 events checked again").arg(formatCount(m_statusBar->jobChecked()))
                : done,
            6000);
}

bool ContractController::addToContract(const QString& event, const QString& property)
{
    const QString title = tr("Add to Contract");
    ContractAddition addition;
    QString error;
    {
        QApplication::setOverrideCursor(Qt::WaitCursor); // every event of that name is read
        const bool proposed = proposeAddition(*m_capture, event.toStdString(), property.toStdString(), addition, error);
        QApplication::restoreOverrideCursor();
        if (!proposed) {
            showError(title, error);
            return false;
        }
    }
    {
        AddToContractDialog dialog(addition, m_window);
        const bool accepted = m_addPrompts.confirm ? m_addPrompts.confirm(dialog) : dialog.exec() == QDialog::Accepted;
        if (!accepted)
            return false;
    }
    QString path = addition.target;
    if (addition.builtin) {
        path = m_addPrompts.copyPath ? m_addPrompts.copyPath(addition.target)
                                     : QFileDialog::getSaveFileName(m_window, tr("Save a Copy of the Contract"),
                                         addition.target, tr("Contracts (*.json);;All files (*)"));
        if (path.isEmpty())
            return false;
        addition.target = path;
    }
    // Not watched while it is written: the reload below is the one that counts (watchContract() follows it).
    if (!m_watcher->files().isEmpty())
        m_watcher->removePaths(m_watcher->files());
    if (!writeAddition(addition, path, error)) {
        watchContract();
        showError(title, error);
        return false;
    }
    const QString what = property.isEmpty() ? event : QString(event + u'.' + property);
    const QString file = QFileInfo(path).fileName();
    // The copy of a built-in replaces it, now and at the next start (as Open Contract… does).
    if (!applyContract(path, false, addition.builtin ? rememberWhenApplied(path) : std::function<void()>()))
        return false;
    const QString done = addition.builtin
        ? tr("Added %1 to %2, a copy of %3, which is now the contract").arg(what, file, addition.origin)
        : tr("Added %1 to %2; the contract is reloaded").arg(what, file);
    if (m_capture->isJudging())
        m_jobDoneMessage = done + tr(" and every event was checked again");
    else
        m_statusBar->showMessage(done, 8000);
    return true;
}

} // namespace el::ui
