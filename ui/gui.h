// SPDX-License-Identifier: MIT
#pragma once

#include "mainwindow.h"
#include "pipeline/sinkcontrol.h"

#include <QHostAddress>

namespace el {
class Capture;
}

/**
 * Runs the inspector window on \a session: has \a sink listen on \a address : \a port, shows the
 * window and returns QApplication::exec(). A QApplication must exist. If listening fails the
 * window still opens, with the error in the status bar and a dialog offering the settings.
 * Saved settings (bind, port, contract) apply when the matching command-line option was not given.
 */
int runGui(el::Capture* capture, el::SinkControl* sink, const QHostAddress& address, quint16 port,
    el::ui::MainWindow::CompareFunction compare = {});
