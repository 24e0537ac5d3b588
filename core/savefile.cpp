// SPDX-License-Identifier: MIT
#include "savefile.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace el {

namespace {

template<typename File> bool writeAll(File& file, const std::vector<std::string_view>& pieces)
{
    for (const std::string_view bytes : pieces) {
        if (file.write(bytes.data(), qint64(bytes.size())) != qint64(bytes.size()))
            return false;
    }
    return true;
}

} // namespace

bool saveFile(const QString& path, std::string_view bytes, QString* error)
{
    return saveFile(path, std::vector<std::string_view> {bytes}, error);
}

bool saveFile(const QString& path, const std::vector<std::string_view>& pieces, QString* error)
{
    const auto fail = [&](const QString& why) {
        if (error)
            *error = path + QStringLiteral(": ") + why;
        return false;
    };
    const QFileInfo info(path); // follows symbolic links: a link to a device is a device
    if (info.exists() && !info.isFile() && !info.isDir()) {
        QFile device(path);
        if (!device.open(QIODevice::WriteOnly | QIODevice::Unbuffered) || !writeAll(device, pieces))
            return fail(device.errorString());
        return true;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    if (!writeAll(file, pieces) || !file.commit()) {
        const QString why = file.errorString();
        file.cancelWriting();
        return fail(why);
    }
    return true;
}

} // namespace el
