// SPDX-License-Identifier: MIT
// Loading a contract: a built-in one from the Qt resources (":/contracts/NAME.json") or a file, parsed with an
// error that says where the JSON broke. Compiling the parsed JSON is Contract::fromJson() (contract.cpp).
#include "contractengine.h"

#include "contract.h"
#include "util/text.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>

#include <algorithm>

namespace el {

namespace {

const char* const kBuiltinPrefix = "builtin:";

} // namespace

std::shared_ptr<const Contract> parseContract(const std::string& text, const std::string& origin, std::string& error)
{
    Json doc = Json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        // Parse again with exceptions to learn where it broke (only on the error path).
        try {
            const Json again = Json::parse(text);
            (void)again;
            error = origin + ": invalid JSON";
        } catch (const Json::parse_error& e) {
            std::string what = e.what();
            const std::size_t colon = what.find("syntax error");
            error = origin + ": invalid JSON at " + lineColumn(text, e.byte > 0 ? std::size_t(e.byte - 1) : 0) + ": "
                + (colon != std::string::npos ? what.substr(colon) : what);
        } catch (const std::exception& e) {
            error = origin + ": invalid JSON: " + e.what();
        }
        return nullptr;
    }
    return Contract::fromJson(doc, origin, error);
}

std::vector<std::string> builtinContracts()
{
    std::vector<std::string> out;
    const QDir dir(QStringLiteral(":/contracts"));
    const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QString& f : files)
        out.push_back(QFileInfo(f).completeBaseName().toStdString());
    // By name, not by file name: "open-design" before "open-design-era-b" ('-' sorts before '.').
    std::sort(out.begin(), out.end());
    return out;
}

std::shared_ptr<const Contract> loadContract(const std::string& nameOrPath, std::string& error)
{
    if (nameOrPath.rfind(kBuiltinPrefix, 0) == 0) {
        const std::string name = nameOrPath.substr(std::string(kBuiltinPrefix).size());
        QFile f(QStringLiteral(":/contracts/") + QString::fromStdString(name) + QStringLiteral(".json"));
        if (name.empty() || name.find('/') != std::string::npos || !f.open(QIODevice::ReadOnly)) {
            std::string available;
            for (const std::string& b : builtinContracts())
                available += (available.empty() ? "" : ", ") + b;
            error = "unknown built-in contract \"" + name
                + "\" (available: " + (available.empty() ? std::string("none") : available) + ")";
            return nullptr;
        }
        return parseContract(f.readAll().toStdString(), nameOrPath, error);
    }
    QFile f(QString::fromStdString(nameOrPath));
    if (!f.open(QIODevice::ReadOnly)) {
        error = "cannot read contract file " + nameOrPath + ": " + f.errorString().toStdString();
        return nullptr;
    }
    return parseContract(f.readAll().toStdString(), nameOrPath, error);
}

} // namespace el
