// SPDX-License-Identifier: MIT
// Where session files live: SessionJournal::defaultDirectory(), newDefaultPath(), recentSessions().
#include "journal.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <algorithm>
#include <utility>
#include <vector>

namespace el {

QString SessionJournal::defaultDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/sessions");
}

QString SessionJournal::newDefaultPath()
{
    const QString dir = defaultDirectory();
    const QString stem
        = QStringLiteral("eventlens-") + QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd_HH-mm-ss"));
    QString candidate = dir + u'/' + stem + QStringLiteral(".elsession");
    for (int n = 2; QFileInfo::exists(candidate); ++n)
        candidate = dir + u'/' + stem + u'-' + QString::number(n) + QStringLiteral(".elsession");
    return candidate;
}

QStringList SessionJournal::recentSessions(int max)
{
    const QDir dir(defaultDirectory());
    const QFileInfoList files = dir.entryInfoList({QStringLiteral("*.elsession")}, QDir::Files);
    // A WAL-mode file's own mtime changes only at checkpoints: the -wal file is written on every commit.
    const auto lastWrite = [](const QFileInfo& f) {
        const QFileInfo wal(f.absoluteFilePath() + QStringLiteral("-wal"));
        const QDateTime t = f.lastModified();
        return wal.exists() && wal.lastModified() > t ? wal.lastModified() : t;
    };
    std::vector<std::pair<QDateTime, QString>> sorted;
    sorted.reserve(std::size_t(files.size()));
    for (const QFileInfo& f : files)
        sorted.emplace_back(lastWrite(f), f.absoluteFilePath());
    std::sort(sorted.begin(), sorted.end(),
        [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second > b.second; });
    QStringList out;
    for (const auto& [time, file] : sorted) {
        if (max >= 0 && out.size() >= max)
            break;
        out << file;
    }
    return out;
}

} // namespace el
