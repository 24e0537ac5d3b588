// SPDX-License-Identifier: MIT
// Runs the built executable (EVENTLENS_BINARY, set per test in CMake) as a separate process: exit code, stdout and
// stderr as a shell sees them. RUN_OK fails the test when the process did not start, did not exit or crashed.
#pragma once

#ifndef EVENTLENS_BINARY
#error                                                                                                                 \
    "eventlensrun.h needs EVENTLENS_BINARY (target_compile_definitions ... EVENTLENS_BINARY=\"$<TARGET_FILE:eventlens>\")"
#endif

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTest>

namespace eltest {

struct Run
{
    int code = -1;
    QByteArray out;
    QByteArray err;
    QString failure; ///< why the process did not finish normally (empty when it did)
};

/** `eventlens ARGS` with \a stdinData on its standard input (closed after it), offscreen, at most 60 s. */
inline Run runEventlens(const QStringList& args, const QByteArray& stdinData = {})
{
    Run r;
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(EVENTLENS_BINARY), args);
    if (!process.waitForStarted(10000)) {
        r.failure = QStringLiteral(EVENTLENS_BINARY ": cannot start: ") + process.errorString();
        return r;
    }
    if (!stdinData.isEmpty())
        process.write(stdinData);
    process.closeWriteChannel();
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished(5000);
        r.failure = QStringLiteral("eventlens %1: no exit within 60 s; stderr:\n%2")
                        .arg(args.join(QLatin1Char(' ')), QString::fromUtf8(process.readAllStandardError()));
        return r;
    }
    r.out = process.readAllStandardOutput();
    r.err = process.readAllStandardError();
    if (process.exitStatus() != QProcess::NormalExit) {
        r.failure = QStringLiteral("eventlens %1 crashed; stderr:\n%2")
                        .arg(args.join(QLatin1Char(' ')), QString::fromUtf8(r.err));
        return r;
    }
    r.code = process.exitCode();
    return r;
}

} // namespace eltest

#define RUN_OK(r)                                                                                                      \
    do {                                                                                                               \
        if (!(r).failure.isEmpty())                                                                                    \
            QFAIL(qPrintable((r).failure));                                                                            \
    } while (false)
