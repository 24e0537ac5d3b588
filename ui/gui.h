// SPDX-License-Identifier: MIT
#pragma once

#include "ingest/ingestserver.h"

#include <QHostAddress>

#include <functional>

namespace el {
class Session;
}

/**
 * Runs the inspector window on \a session: starts the sink on \a address : \a port, shows the
 * window and returns QApplication::exec(). A QApplication must exist. If listening fails the
 * window still opens, with the error in the status bar and a dialog offering the settings.
 *
 * \a configureServer is applied to every IngestServer the window creates (pass-through, limits,
 * token: what the command line asked for).
 * Saved settings (bind, port, contract) apply when the matching command-line option was not given.
 */
int runGui(el::Session* session, const QHostAddress& address, quint16 port,
    std::function<void(el::IngestServer*)> configureServer = {});
