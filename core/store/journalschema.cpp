// SPDX-License-Identifier: MIT
#include "journalschema.h"
#include "util/base64.h"

#include <QByteArray>

namespace el::journal {

const char* const kSchema[4] = {
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)",
    ("CREATE TABLE IF NOT EXISTS requests(id INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL, method TEXT, path TEXT,"
     " query TEXT, headers TEXT, body BLOB, peer TEXT, status INTEGER, reason TEXT, response_headers TEXT,"
     " response_body BLOB, upstream_status INTEGER, upstream_ms INTEGER, upstream_error TEXT,"
     " recordings INTEGER NOT NULL DEFAULT 0)"),
    ("CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, request_id INTEGER NOT NULL,"
     " received_ms INTEGER NOT NULL, doc TEXT NOT NULL, endpoint TEXT, user_agent TEXT)"),
    "CREATE INDEX IF NOT EXISTS events_request ON events(request_id)",
};

bool readMeta(sqlite3* db, const QString& path, Meta& meta, std::string& error)
{
    sqlite::Statement s;
    const auto fail = [&](const QString& why) {
        error = QString(path + QStringLiteral(": ") + why).toStdString();
        return false;
    };
    if (!s.prepare(db, "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"))
        return fail(QStringLiteral("not an EventLens session (") + qs(s.errorText()) + u')');
    const bool found = s.next();
    if (!s.ok())
        return fail(QStringLiteral("not an EventLens session (") + qs(s.errorText()) + u')');
    if (!found)
        return fail(QStringLiteral("not an EventLens session (no meta table)"));
    if (!s.prepare(db, "SELECT key, value FROM meta"))
        return fail(qs(s.errorText()));
    while (s.next())
        meta.emplace_back(QString::fromStdString(s.bytes(0)), QString::fromStdString(s.bytes(1)));
    if (!s.ok())
        return fail(qs(s.errorText()));
    return true;
}

QString metaValue(const Meta& meta, const char* key)
{
    for (const auto& [k, v] : meta) {
        if (k == QLatin1String(key))
            return v;
    }
    return {};
}

bool checkSchema(const Meta& meta, const QString& path, std::string& error, int* version)
{
    bool ok = false;
    const int v = metaValue(meta, "schema").toInt(&ok);
    if (!ok) {
        error = QString(path + QStringLiteral(": not an EventLens session (no schema version)")).toStdString();
        return false;
    }
    if (v > kSchemaVersion) {
        error = QString(path
            + QStringLiteral(": written by a newer EventLens (session schema %1, this version reads %2)")
                  .arg(v)
                  .arg(kSchemaVersion))
                    .toStdString();
        return false;
    }
    if (version)
        *version = v;
    return true;
}

namespace {

/** Appends one header name or value to the headers JSON: a string, or {"base64": ...} when it is not UTF-8. */
void appendHeaderString(std::string& out, const std::string& s)
{
    if (isValidUtf8(s)) {
        appendJsonStringLiteral(out, s);
        return;
    }
    out += R"({"base64":)";
    appendJsonStringLiteral(out, QByteArray::fromStdString(s).toBase64().toStdString());
    out += '}';
}

bool headerStringFrom(const Json& j, std::string& out, std::string& error)
{
    if (j.is_string()) {
        out = j.get<std::string>();
        return true;
    }
    const auto b = j.is_object() && j.size() == 1 ? j.find("base64") : j.end();
    if (b == j.end() || !b->is_string()) {
        error = "a stored header name or value is neither a string nor {\"base64\": ...}";
        return false;
    }
    std::string why;
    if (!base64Decode(b->get_ref<const std::string&>(), out, why)) {
        error = "a stored header is not valid base64: " + why;
        return false;
    }
    return true;
}

} // namespace

std::string headersToText(const Headers& headers)
{
    // Written directly (no DOM): this runs for every journaled request, on the writer thread.
    std::string out;
    std::size_t size = 2;
    for (const auto& [name, value] : headers)
        size += name.size() + value.size() + 8;
    out.reserve(size);
    out += '[';
    for (const auto& [name, value] : headers) {
        if (out.size() > 1)
            out += ',';
        out += '[';
        appendHeaderString(out, name);
        out += ',';
        appendHeaderString(out, value);
        out += ']';
    }
    out += ']';
    return out;
}

bool headersFromText(const std::string& text, Headers& out, std::string& error)
{
    out.clear();
    if (text.empty())
        return true;
    const Json list = Json::parse(text, nullptr, false);
    if (!list.is_array()) {
        error = "the stored headers are not a JSON array";
        return false;
    }
    for (const Json& pair : list) {
        if (!pair.is_array() || pair.size() != 2) {
            error = "a stored header is not a [name, value] pair";
            return false;
        }
        std::string name, value;
        if (!headerStringFrom(pair[0], name, error) || !headerStringFrom(pair[1], value, error))
            return false;
        out.emplace_back(std::move(name), std::move(value));
    }
    return true;
}

} // namespace el::journal
