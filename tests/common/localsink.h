// SPDX-License-Identifier: MIT
// A sink for the tests: a Capture and its IngestServer on 127.0.0.1, a free port; as one object (LocalSink), as a
// fresh one per test function (SinkFixture), or with the built-in open-design contract (Sink, the replay tests').
#pragma once

#include "pipeline/capture.h"
#include "pipeline/ingestserver.h"

#include <QHostAddress>
#include <QTest>
#include <QUrl>

#include <memory>
#include <string>

namespace eltest {

/** A Capture and its IngestServer, for as long as the object lives (the server goes first). */
struct LocalSink
{
    el::Capture capture;
    el::IngestServer server {&capture};

    /** Loads \a contract (a file or builtin:NAME; none when empty) and listens: empty, or why it cannot. */
    std::string start(const std::string& contract = {})
    {
        std::string error;
        if (!contract.empty() && !capture.loadContract(contract, error))
            return "cannot load " + contract + ": " + error;
        if (!server.listen(QHostAddress::LocalHost, 0))
            return "cannot listen: " + server.errorString().toStdString();
        return {};
    }
    quint16 port() const { return server.port(); }
    QUrl url() const { return QUrl(server.url()); }
};

/** A fresh LocalSink for each test function: start() in the test class's init(), stop() in its cleanup(). */
class SinkFixture
{
public:
    /** Fails the current test when the sink cannot start (then the test function does not run). */
    void start(const std::string& contract = {})
    {
        m_sink = std::make_unique<LocalSink>();
        const std::string error = m_sink->start(contract);
        QVERIFY2(error.empty(), error.c_str());
    }
    void stop() { m_sink.reset(); }

    el::Capture* capture() const { return &m_sink->capture; }
    el::IngestServer* server() const { return &m_sink->server; }
    quint16 port() const { return m_sink->port(); }

private:
    std::unique_ptr<LocalSink> m_sink;
};

/** A LocalSink with the built-in open-design contract; one that cannot start ends the test program. */
struct Sink : LocalSink
{
    el::Capture& session = capture; ///< the name the replay tests use
    Sink()
    {
        const std::string error = start("builtin:open-design");
        if (!error.empty())
            qFatal("%s", error.c_str());
    }
};

} // namespace eltest
