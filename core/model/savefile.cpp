// SPDX-License-Identifier: MIT
#include "savefile.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <cerrno>
#include <cstring>

namespace el {

bool saveFile(const QString& path, std::string_view bytes, std::string& error)
{
    return saveFile(path, std::vector<std::string_view> {bytes}, error);
}

bool saveFile(const QString& path, const std::vector<std::string_view>& pieces, std::string& error)
{
    return saveFile(
        path,
        [&pieces](const ByteSink& write) {
            for (const std::string_view bytes : pieces) {
                if (!write(bytes))
                    return false;
            }
            return true;
        },
        error);
}

bool saveFile(const QString& path, const std::function<bool(const ByteSink&)>& produce, std::string& error)
{
    const auto fail = [&](const QString& why) {
        error = QString(path + QStringLiteral(": ") + why).toStdString();
        return false;
    };
    const auto into = [](QIODevice& file) {
        return [&file](std::string_view bytes) {
            return file.write(bytes.data(), qint64(bytes.size())) == qint64(bytes.size());
        };
    };
    const QFileInfo info(path); // follows symbolic links: a link to a device is a device
    if (info.exists() && !info.isFile() && !info.isDir()) {
        QFile device(path);
        if (!device.open(QIODevice::WriteOnly | QIODevice::Unbuffered) || !produce(into(device)))
            return fail(device.errorString());
        return true;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    if (!produce(into(file)) || !file.commit()) {
        const int err = errno; // QSaveFile says "Unknown error" for a full disk
        QString why = file.errorString();
        if ((why.isEmpty() || why == QLatin1String("Unknown error")) && err != 0)
            why = QString::fromLocal8Bit(std::strerror(err));
        file.cancelWriting();
        return fail(why);
    }
    return true;
}

} // namespace el
