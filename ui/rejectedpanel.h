// SPDX-License-Identifier: MIT
#pragma once

#include <QTableView>

namespace el::ui {

class RejectedModel;

/** \brief The Rejected Requests tab: one row per refused request, sortable (a third click: arrival order). */
class RejectedPanel final : public QTableView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RejectedPanel)
public:
    explicit RejectedPanel(RejectedModel* model, QWidget* parent = nullptr);
};

} // namespace el::ui
