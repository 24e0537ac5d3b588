// SPDX-License-Identifier: MIT
// Reading test inputs and outputs whole.
#pragma once

#include <QByteArray>
#include <QFile>
#include <QString>

namespace eltest {

/** The whole file, or empty when it cannot be read. */
inline QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace eltest
