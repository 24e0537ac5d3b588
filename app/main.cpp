// SPDX-License-Identifier: MIT
#include "checkcommand.h"
#include "controller.h"
#include "diffcommand.h"
#include "infercommand.h"
#include "pipeline/capture.h"
#include "replaycommand.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#ifdef EVENTLENS_WITH_GUI
#include "gui.h"
#include <QApplication>
#endif

namespace {

/** `eventlens COMMAND ARGS...`: what runs each command (with ARGS). */
struct Command
{
    const char* name;
    int (*run)(const QStringList& args);
};
constexpr Command kCommands[]
    = {{"check", runCheckCommand}, {"replay", runReplayCommand}, {"diff", runDiffCommand}, {"infer", runInferCommand}};

/** The command argv[1] names, or null (the sink, with or without its window). */
const Command* commandOf(int argc, char** argv)
{
    if (argc > 1)
        for (const Command& c : kCommands)
            if (std::strcmp(argv[1], c.name) == 0)
                return &c;
    return nullptr;
}

[[maybe_unused]] bool wantsGui(int argc, char** argv)
{
    if (commandOf(argc, argv))
        return false;
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        if (!std::strcmp(a, "--headless") || !std::strcmp(a, "--version") || !std::strcmp(a, "-v")
            || !std::strcmp(a, "--help") || !std::strcmp(a, "-h"))
            return false;
    }
#ifdef EVENTLENS_WITH_GUI
    return true;
#else
    return false;
#endif
}

#ifdef EVENTLENS_WITH_GUI
/** True when argv picks a Qt platform itself (-platform NAME or -platform=NAME). */
bool choosesPlatform(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i)
        if (!std::strcmp(argv[i], "-platform") || !std::strncmp(argv[i], "-platform=", 10))
            return true;
    return false;
}

/**
 * On X11/Wayland systems, a window needs a display. Without one Qt aborts in the platform plugin
 * ("could not connect to display", a core dump), which tells a user on a server or in CI nothing useful.
 */
bool displayMissing(int argc, char** argv)
{
#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS)
    const auto set = [](const char* name) {
        const char* v = std::getenv(name);
        return v && *v;
    };
    return !(set("DISPLAY") || set("WAYLAND_DISPLAY") || set("QT_QPA_PLATFORM") || choosesPlatform(argc, argv));
#else
    Q_UNUSED(argc);
    Q_UNUSED(argv);
    return false;
#endif
}

/**
 * QGuiApplication takes -session/--session NAME for itself (X11 session management) and removes it from
 * the arguments, so the window would never see our --session FILE. Qt is given argv without it; our
 * parser reads the full argv.
 */
std::vector<char*> argvForQt(int argc, char** argv)
{
    std::vector<char*> out;
    for (int i = 0; i < argc; ++i) {
        const char* a = argv[i];
        if (i > 0 && (!std::strcmp(a, "--session") || !std::strcmp(a, "-session"))) {
            ++i; // and its value
            continue;
        }
        if (i > 0 && (!std::strncmp(a, "--session=", 10) || !std::strncmp(a, "-session=", 9)))
            continue;
        out.push_back(argv[i]);
    }
    out.push_back(nullptr);
    return out;
}
#endif

} // namespace

int main(int argc, char** argv)
{
    // Our own parser reads every argument; Qt's application object gets argv without --session.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    const Command* command = commandOf(argc, argv); // before the application object may edit argv
#ifdef EVENTLENS_WITH_GUI
    const bool gui = wantsGui(argc, argv);
    // Without a display the arguments are still checked (a typo is named first), then refused below.
    const bool noDisplay = gui && displayMissing(argc, argv);
    std::vector<char*> qtArgv = argvForQt(argc, argv);
    int qtArgc = static_cast<int>(qtArgv.size()) - 1;
    std::unique_ptr<QCoreApplication> app(
        gui && !noDisplay ? new QApplication(qtArgc, qtArgv.data()) : new QCoreApplication(argc, argv));
#else
    std::unique_ptr<QCoreApplication> app(new QCoreApplication(argc, argv));
#endif
    QCoreApplication::setApplicationName(QStringLiteral("eventlens"));
    QCoreApplication::setOrganizationName(QStringLiteral("EventLens"));
    QCoreApplication::setApplicationVersion(QStringLiteral(EVENTLENS_VERSION));

    if (command)
        return command->run(arguments.mid(2));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "EventLens: a local PostHog sink that shows every event and checks it against a contract.\n\n"
        "Commands:\n"
        "  eventlens [options]                 open the inspector window and start the sink\n"
        "  eventlens --headless [options]      run the sink without a window\n"
        "  eventlens check [options] INPUT...  validate NDJSON/JSON/HAR offline (see: eventlens check --help)\n"
        "  eventlens replay [options] SCENARIO...  replay simulated runs (see: eventlens replay --help)\n"
        "  eventlens diff [options] BASELINE CURRENT  compare two recordings (see: eventlens diff --help)\n"
        "  eventlens infer [options] INPUT...  infer a draft contract from events (see: eventlens infer --help)"));
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    const QCommandLineOption headless(QStringLiteral("headless"), QStringLiteral("Run the sink without a window."));
    const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("Port to listen on (default 8484; 0 = any)."),
        QStringLiteral("N"), QStringLiteral("8484"));
    const QCommandLineOption bind(QStringLiteral("bind"),
        QStringLiteral("Address to listen on (default 127.0.0.1). Anything else exposes the sink to the network."),
        QStringLiteral("ADDR"), QStringLiteral("127.0.0.1"));
    const QCommandLineOption contract(QStringLiteral("contract"),
        QStringLiteral("Contract: a JSON file or builtin:NAME (default builtin:open-design)."), QStringLiteral("FILE"),
        QStringLiteral("builtin:open-design"));
    const QCommandLineOption quiet(
        QStringLiteral("quiet"), QStringLiteral("Headless only: do not log each request (the window has its log)."));
    const QCommandLineOption sessionFile(QStringLiteral("session"),
        QStringLiteral("Session file (SQLite) journaling every request before it is acknowledged. Default: a new "
                       "file in %1, or the last one if it was not closed cleanly (crash recovery).")
            .arg(el::SessionJournal::defaultDirectory()),
        QStringLiteral("FILE"));
    const QCommandLineOption maxEventsInMemory(QStringLiteral("max-events-in-memory"),
        QStringLiteral("Keep only the newest N events in memory (default 200000; 0 = all). The session file keeps "
                       "every event; the API and re-validation see the newest N."),
        QStringLiteral("N"), QStringLiteral("200000"));
    const QCommandLineOption noSession(
        QStringLiteral("no-session"), QStringLiteral("Keep events in memory only (nothing is written to disk)."));
    const QCommandLineOption upstream(QStringLiteral("upstream"),
        QStringLiteral("Pass-through: also forward every PostHog request verbatim to URL (e.g. "
                       "https://us.i.posthog.com); clients get the upstream's answer."),
        QStringLiteral("URL"));
    const QCommandLineOption upstreamFailOpen(QStringLiteral("upstream-fail-open"),
        QStringLiteral("When the upstream is down or slow, answer clients 200 instead of 502/504."));
    const QCommandLineOption upstreamTimeout(QStringLiteral("upstream-timeout"),
        QStringLiteral("Upstream timeout in ms (default 10000)."), QStringLiteral("MS"), QStringLiteral("10000"));
    parser.addOptions({headless, port, bind, contract, quiet, sessionFile, noSession, upstream, upstreamFailOpen,
        upstreamTimeout, maxEventsInMemory});

    // Limits and access control (issue 9; README "Reliability and security"). Defaults are el::HttpLimits /
    // el::DecodeLimits.
    const el::HttpLimits httpDefaults;
    const el::DecodeLimits decodeDefaults;
    auto limitOption = [](const char* name, const QString& what, qint64 def) {
        return QCommandLineOption(QString::fromLatin1(name), what + QStringLiteral(" (default %1).").arg(def),
            QStringLiteral("N"), QString::number(def));
    };
    const QCommandLineOption maxBodyBytes = limitOption("max-body-bytes",
        QStringLiteral("Largest request body in bytes; larger is answered 413"), httpDefaults.maxBodyBytes);
    const QCommandLineOption maxDecompressedBytes = limitOption("max-decompressed-bytes",
        QStringLiteral("Largest body after gzip/base64 decoding (gzip bombs); larger is 413"),
        static_cast<qint64>(decodeDefaults.maxDecompressedBytes));
    const QCommandLineOption maxDepth = limitOption(
        "max-depth", QStringLiteral("Deepest JSON nesting accepted; deeper is 400"), decodeDefaults.maxDepth);
    const QCommandLineOption maxEvents
        = limitOption("max-events-per-request", QStringLiteral("Most events in one request; more is 413"),
            static_cast<qint64>(decodeDefaults.maxEventsPerRequest));
    const QCommandLineOption maxHeaderBytes = limitOption("max-header-bytes",
        QStringLiteral("Largest request line + headers in bytes; larger is 431"), httpDefaults.maxHeaderBytes);
    const QCommandLineOption maxHeaderCount = limitOption("max-header-count",
        QStringLiteral("Most header fields in one request; more is 431"), httpDefaults.maxHeaderCount);
    const QCommandLineOption maxConnections = limitOption("max-connections",
        QStringLiteral("Most concurrent connections; more get 503 and are closed"), httpDefaults.maxConnections);
    const QCommandLineOption idleTimeout = limitOption(
        "idle-timeout-ms", QStringLiteral("Close a keep-alive connection idle this long"), httpDefaults.idleTimeoutMs);
    const QCommandLineOption requestTimeout = limitOption("request-timeout-ms",
        QStringLiteral("A started request must be complete within this (slow clients, slowloris); else 408"),
        httpDefaults.requestTimeoutMs);
    const QCommandLineOption lingerTimeout = limitOption("linger-timeout-ms",
        QStringLiteral("After an answer that closes the connection (e.g. 413), read and discard what the client "
                       "still sends for at most this long, so it can read the answer (lingering close)"),
        httpDefaults.lingerTimeoutMs);
    const QCommandLineOption lingerMaxBytes = limitOption("linger-max-bytes",
        QStringLiteral("Lingering close: discard at most this many bytes the client still sends, then close"),
        httpDefaults.lingerMaxBytes);
    const QCommandLineOption tokenOption(QStringLiteral("token"),
        QStringLiteral("Require TOKEN on every request (Authorization: Bearer TOKEN, X-EventLens-Token: TOKEN or "
                       "?eventlens_token=TOKEN); else 401. Also read from $EVENTLENS_TOKEN (keeps it out of ps)."),
        QStringLiteral("TOKEN"));
    parser.addOptions({maxBodyBytes, maxDecompressedBytes, maxDepth, maxEvents, maxHeaderBytes, maxHeaderCount,
        maxConnections, idleTimeout, requestTimeout, lingerTimeout, lingerMaxBytes, tokenOption});
    // Usage errors exit 2 and name the word (QCommandLineParser::process() would exit 1).
    if (!parser.parse(arguments)) {
        std::fprintf(stderr, "eventlens: %s (see eventlens --help)\n", qPrintable(parser.errorText()));
        return 2;
    }
    if (parser.isSet(helpOption))
        parser.showHelp(0);
    if (parser.isSet(versionOption))
        parser.showVersion();
    if (!parser.positionalArguments().isEmpty()) {
        std::fprintf(stderr,
            "eventlens: unknown command or argument '%s' (commands: check, replay, diff, infer; "
            "see eventlens --help)\n",
            qPrintable(parser.positionalArguments().constFirst()));
        return 2;
    }
#ifdef EVENTLENS_WITH_GUI
    if (gui && !parser.isSet(headless)) {
        if (noDisplay) {
            std::fprintf(stderr,
                "eventlens: there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set): "
                "run 'eventlens --headless' for the sink without a window, or give it a display "
                "('xvfb-run -a eventlens')\n");
            return 2;
        }
        if (parser.isSet(quiet)) {
            std::fprintf(stderr, "eventlens: --quiet applies to --headless only (the window keeps its own log)\n");
            return 2;
        }
    }
#endif

    bool limitsOk = true;
    auto positive = [&](const QCommandLineOption& option, qint64 max) -> qint64 {
        bool ok = false;
        const qint64 v = parser.value(option).toLongLong(&ok);
        if (!ok || v <= 0 || v > max) {
            std::fprintf(stderr, "eventlens: invalid --%s '%s' (expected 1-%lld)\n", qPrintable(option.names().first()),
                qPrintable(parser.value(option)), static_cast<long long>(max));
            limitsOk = false;
            return 1;
        }
        return v;
    };
    constexpr qint64 kMaxInt = 2147483647;
    constexpr qint64 kMaxBytes = qint64(1) << 40;
    el::HttpLimits httpLimits;
    httpLimits.maxBodyBytes = positive(maxBodyBytes, kMaxBytes);
    httpLimits.maxHeaderBytes = positive(maxHeaderBytes, kMaxBytes);
    httpLimits.maxHeaderCount = static_cast<int>(positive(maxHeaderCount, kMaxInt));
    httpLimits.maxConnections = static_cast<int>(positive(maxConnections, kMaxInt));
    httpLimits.idleTimeoutMs = static_cast<int>(positive(idleTimeout, kMaxInt));
    httpLimits.requestTimeoutMs = static_cast<int>(positive(requestTimeout, kMaxInt));
    httpLimits.lingerTimeoutMs = static_cast<int>(positive(lingerTimeout, kMaxInt));
    httpLimits.lingerMaxBytes = positive(lingerMaxBytes, kMaxBytes);
    el::DecodeLimits decodeLimits;
    decodeLimits.maxDecompressedBytes = static_cast<std::size_t>(positive(maxDecompressedBytes, kMaxBytes));
    decodeLimits.maxDepth = static_cast<int>(positive(maxDepth, 100000));
    decodeLimits.maxEventsPerRequest = static_cast<std::size_t>(positive(maxEvents, kMaxInt));
    if (!limitsOk)
        return 2;
    const std::string accessToken = parser.isSet(tokenOption) ? parser.value(tokenOption).toStdString()
                                                              : qEnvironmentVariable("EVENTLENS_TOKEN").toStdString();
    if (parser.isSet(tokenOption) && accessToken.empty()) {
        std::fprintf(stderr, "eventlens: --token must not be empty\n");
        return 2;
    }

    bool portOk = false;
    const uint portValue = parser.value(port).toUInt(&portOk);
    if (!portOk || portValue > 65535) {
        std::fprintf(stderr, "eventlens: invalid --port '%s' (expected 0-65535)\n", qPrintable(parser.value(port)));
        return 2;
    }
    QHostAddress address;
    const QString bindValue = parser.value(bind);
    if (bindValue == QLatin1String("localhost"))
        address = QHostAddress(QHostAddress::LocalHost);
    else if (!address.setAddress(bindValue)) {
        std::fprintf(stderr, "eventlens: invalid --bind address '%s'\n", qPrintable(bindValue));
        return 2;
    }
    if (!address.isLoopback())
        std::fprintf(stderr,
            "eventlens: WARNING: listening on %s exposes the sink and its inspection API beyond this machine%s\n",
            qPrintable(address.toString()),
            accessToken.empty() ? " (without a --token: anyone who can reach it can read and reset the session)" : "");

    el::Capture capture;
    capture.setDecodeLimits(decodeLimits);
    bool maxEventsOk = false;
    const qlonglong maxEventsValue = parser.value(maxEventsInMemory).toLongLong(&maxEventsOk);
    if (!maxEventsOk || maxEventsValue < 0) {
        std::fprintf(stderr, "eventlens: invalid --max-events-in-memory '%s' (expected a number >= 0)\n",
            qPrintable(parser.value(maxEventsInMemory)));
        return 2;
    }
    capture.store()->setMaxEvents(static_cast<std::size_t>(maxEventsValue));
    std::string error;
    if (!capture.loadContractNow(parser.value(contract).toStdString(), error)) { // the store is empty yet
        std::fprintf(stderr, "eventlens: cannot load contract: %s\n", error.c_str());
        return 2;
    }

    el::UpstreamConfig upstreamConfig;
    if (parser.isSet(upstream)) {
        upstreamConfig.url = QUrl(parser.value(upstream), QUrl::StrictMode);
        if (!upstreamConfig.url.isValid()
            || (upstreamConfig.url.scheme() != QLatin1String("http")
                && upstreamConfig.url.scheme() != QLatin1String("https"))
            || upstreamConfig.url.host().isEmpty()) {
            std::fprintf(stderr, "eventlens: invalid --upstream '%s' (expected http(s)://host[:port][/prefix])\n",
                qPrintable(parser.value(upstream)));
            return 2;
        }
        upstreamConfig.failOpen = parser.isSet(upstreamFailOpen);
        upstreamConfig.timeoutMs = parser.value(upstreamTimeout).toInt();
        if (upstreamConfig.timeoutMs <= 0)
            upstreamConfig.timeoutMs = 10000;
    }

    if (!parser.isSet(noSession)) {
        QString path = parser.value(sessionFile);
        bool recovered = false;
        if (path.isEmpty()) {
            const QStringList recent = el::SessionJournal::recentSessions(1);
            if (!recent.isEmpty() && !el::SessionJournal::wasClean(recent.first())) {
                path = recent.first();
                recovered = true;
            } else {
                path = el::SessionJournal::newDefaultPath();
            }
        }
        std::string sessionError;
        if (!capture.openSessionFile(path, sessionError)) {
            std::fprintf(
                stderr, "eventlens: cannot open session file %s: %s\n", qPrintable(path), sessionError.c_str());
            return 2;
        }
        std::fprintf(stderr, "eventlens: session file %s%s (%zu events)\n", qPrintable(path),
            recovered ? " (recovered after an unclean exit)" : "", capture.store()->events().size());
    }

    // Everything the command line says about the server: the controller gives it to every listener it
    // starts (the window restarts it when the settings change).
    el::Controller::Config serverConfig;
    serverConfig.upstream = upstreamConfig;
    serverConfig.limits = httpLimits;
    serverConfig.token = accessToken;
    // The API may load by name only builtin:NAME or the file the operator named here.
    if (!parser.value(contract).startsWith(QLatin1String("builtin:")))
        serverConfig.allowedContractFiles = {parser.value(contract).toStdString()};
    el::Controller controller(&capture, serverConfig);
    // SIGINT/SIGTERM end the event loop in both modes; controller.stop() then closes the session file cleanly.
    el::Controller::quitOnSignals(app.get());

#ifdef EVENTLENS_WITH_GUI
    if (gui && !parser.isSet(headless)) {
        const int guiRc = runGui(&capture, &controller, address, static_cast<quint16>(portValue), &compareRecordings);
        controller.stop(); // flushed and marked clean: not "recovered" next time
        return guiRc;
    }
#endif

    if (!controller.listen(address, static_cast<quint16>(portValue))) {
        std::fprintf(stderr, "eventlens: cannot listen on %s:%u: %s\n", qPrintable(address.toString()), portValue,
            qPrintable(controller.errorString()));
        controller.stop(); // nothing was captured: not an unclean exit
        return 1;
    }
    if (!parser.isSet(quiet)) {
        QObject::connect(&controller, &el::Controller::requestLogged,
            [](const QString& line) { std::fprintf(stderr, "%s\n", qPrintable(line)); });
    }
    std::fprintf(stderr, "eventlens %s listening on %s (contract %s)\n", EVENTLENS_VERSION,
        qPrintable(controller.url()), capture.contract() ? capture.contractName().c_str() : "none");
    std::fprintf(stderr, "  point PostHog SDKs at %s; inspection API: %s/eventlens/v1/health\n",
        qPrintable(controller.url()), qPrintable(controller.url()));
    if (!accessToken.empty())
        std::fprintf(stderr,
            "  a token is required on every request (header Authorization: Bearer, X-EventLens-Token, or "
            "?eventlens_token=)\n");
    std::fflush(stderr);
    if (!upstreamConfig.url.isEmpty())
        std::fprintf(stderr, "  pass-through to %s%s\n", qPrintable(upstreamConfig.url.toString()),
            upstreamConfig.failOpen ? " (fail-open)" : "");
    const int rc = app->exec();
    controller.stop();
    std::fprintf(stderr, "eventlens: stopped (%lld events, %zu rejected)\n",
        static_cast<long long>(capture.store()->events().size()), capture.store()->rejected().size());
    return rc;
}
