// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>
#include <QString>

class QComboBox;
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
    SettingsDialog(const GuiSettings& settings, const QStringList& builtinContracts, QWidget* parent = nullptr);
    GuiSettings settings() const;

private:
    void browse();

    QComboBox* m_bind;
    QSpinBox* m_port;
    QComboBox* m_contract;
    QSpinBox* m_rowCap;
};

} // namespace el::ui
