// SPDX-License-Identifier: MIT
// A sink for the tests: a Capture with the built-in open-design contract and its IngestServer on a free loopback
// port, for as long as the object lives.
#pragma once

#include "pipeline/capture.h"
#include "pipeline/ingestserver.h"

#include <QHostAddress>
#include <QUrl>

#include <string>

namespace eltest {

struct Sink
{
    el::Capture session;
    el::IngestServer server {&session};
    Sink()
    {
        std::string error;
        if (!session.loadContract("builtin:open-design", error))
            qFatal("cannot load builtin:open-design: %s", error.c_str());
        if (!server.listen(QHostAddress::LocalHost, 0))
            qFatal("cannot listen");
    }
    QUrl url() const { return QUrl(server.url()); }
};

} // namespace eltest
