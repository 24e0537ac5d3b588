// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <utility>

class QFileSystemWatcher;
class QMessageBox;
class QWidget;

namespace el {
class Capture;
} // namespace el

namespace el::ui {

class AddToContractDialog;
class StatusBar;

/**
 * \brief The window's hold on the contract: Open Contract…, Reload, a built-in or file chosen in the settings, the
 * file watched and reloaded when it changes, Add to Contract…, and what the status bar says when the background
 * re-check of a reload ends. Errors go to one non-modal box on \a window.
 */
class ContractController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ContractController)
public:
    ContractController(Capture* capture, StatusBar* statusBar, QWidget* window);
    ~ContractController() override;

    /** File ▸ Open Contract…: a file dialog, then the contract is applied and remembered for the next start. */
    void openContract();
    /** File ▸ Reload Contract (F5). */
    void reloadContract();
    /** The settings chose \a nameOrPath ("builtin:NAME" or a file): applied when it is not the loaded one. */
    void useContract(const QString& nameOrPath);

    /** See MainWindow::addToContract(). */
    bool addToContract(const QString& event, const QString& property = QString());
    /** How addToContract() asks the user; tests replace them so that no modal dialog blocks. */
    struct AddToContractPrompts
    {
        /// Shows the dialog; true to go on. Default: QDialog::exec() accepted.
        std::function<bool(AddToContractDialog& dialog)> confirm;
        /// The file a built-in contract's copy goes to (\a suggested offered first); empty cancels. Default: a file
        /// dialog.
        std::function<QString(const QString& suggested)> copyPath;
    };
    void setAddToContractPrompts(AddToContractPrompts prompts) { m_addPrompts = std::move(prompts); }

Q_SIGNALS:
    /** \a path is the contract now, and at the next start (saved in the settings). */
    void contractRemembered(const QString& path);

private:
    /** Loads and applies a contract in the background; \a onApplied once it is (not when cancelled). */
    bool applyContract(const QString& nameOrPath, bool fromWatcher, std::function<void()> onApplied = {});
    /** An onApplied for applyContract() that remembers \a path. */
    std::function<void()> rememberWhenApplied(const QString& path);
    void watchContract();
    void showError(const QString& title, const QString& message);
    void onJudgingStarted();
    void onJudgingFinished(bool contractJob, bool cancelled);

    Capture* m_capture;
    StatusBar* m_statusBar;
    QWidget* m_window;
    QFileSystemWatcher* m_watcher;
    QTimer m_reloadDelay; ///< editors save in several steps
    QPointer<QMessageBox> m_errorBox;
    QString m_jobDoneMessage; ///< what the status bar says when the re-check started here is applied
    AddToContractPrompts m_addPrompts;
};

} // namespace el::ui
