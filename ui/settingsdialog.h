// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>
#include <QString>

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace el::ui {

/** \brief Saved preferences of the window (QSettings). */
struct GuiSettings
{
    QString bind = QStringLiteral("127.0.0.1");
    int port = 8484;
    QString contract = QStringLiteral("builtin:open-design");
    int rowCap = 100000;

    static GuiSettings load();
    void save() const;
};

/** \brief Port, bind address, contract and row cap. */
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)
public:
    /**
     * \a eventsInMemory: the events this session keeps in memory (--max-events-in-memory; 0 = all). A row cap above
     * it is shown with a note: the table never holds more events than memory does.
     */
    SettingsDialog(const GuiSettings& settings, const QStringList& builtinContracts, qint64 eventsInMemory = 0,
        QWidget* parent = nullptr);
    GuiSettings settings() const;
    /** The note under the row cap (shown while the cap is above the events kept in memory). */
    QLabel* rowCapNote() const { return m_rowCapNote; }

private:
    void browse();

    QComboBox* m_bind;
    QSpinBox* m_port;
    QComboBox* m_contract;
    QSpinBox* m_rowCap;
    QLabel* m_rowCapNote;
};

} // namespace el::ui
