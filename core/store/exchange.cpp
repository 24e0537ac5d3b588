// SPDX-License-Identifier: MIT
#include "exchange.h"

#include "model/savefile.h"

#include "eventstore.h"
#include "model/httpstatus.h"
#include "util/isotime.h"
#include "util/qtext.h"
#include "util/utf8.h"

#include <QByteArray>
#include <QUrl>

#include <algorithm>
#include <map>

namespace el {

namespace {

std::string dumpJson(const Json& j, int indent = -1)
{
    return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

/** Writes \a bytes to \a path atomically (see saveFile()). */
bool writeFile(const QString& path, const std::string& bytes, std::string& error)
{
    return saveFile(path, bytes, error);
}

std::vector<EventPtr> allEvents(const EventStore& store)
{
    return {store.events().begin(), store.events().end()};
}

std::string headerOf(const Headers& headers, const char* name)
{
    for (const auto& [key, value] : headers) {
        if (qs(key).compare(QLatin1String(name), Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

// --- CSV
// --------------------------------------------------------------------------------------------------------------

bool looksNumeric(const std::string& s)
{
    bool ok = false;
    QString::fromStdString(s).toDouble(&ok);
    return ok;
}

std::string csvCell(std::string s)
{
    if (!s.empty() && (s[0] == '=' || s[0] == '@' || s[0] == '\t' || s[0] == '\r' || s[0] == '+' || s[0] == '-')
        && !looksNumeric(s))
        s.insert(s.begin(), '\''); // would run as a spreadsheet formula
    if (s.find_first_of(",\"\r\n") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' ')))
        return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string jsonText(const std::optional<Json>& v)
{
    if (!v || v->is_null())
        return {};
    return v->is_string() ? v->get<std::string>() : dumpJson(*v);
}

// --- HAR export
// -------------------------------------------------------------------------------------------------------

Json harHeaders(const Headers& headers)
{
    Json list = Json::array();
    for (const auto& [name, value] : headers)
        list.push_back(Json {{"name", validUtf8(name)}, {"value", validUtf8(value)}});
    return list;
}

/** Percent-encodes what a URL path cannot hold as it is. */
std::string encodePath(const std::string& path)
{
    static const char* const hex = "0123456789ABCDEF";
    std::string out;
    for (char ch : path) {
        const auto c = static_cast<unsigned char>(ch);
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || std::string_view("-._~/!$&'()*+,;=:@").find(char(c)) != std::string_view::npos;
        if (keep) {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out.empty() ? "/" : out;
}

Json harQueryString(const std::string& query)
{
    Json list = Json::array();
    std::size_t pos = 0;
    while (pos < query.size()) {
        std::size_t amp = query.find('&', pos);
        if (amp == std::string::npos)
            amp = query.size();
        const std::string pair = query.substr(pos, amp - pos);
        pos = amp + 1;
        if (pair.empty())
            continue;
        const std::size_t eq = pair.find('=');
        const auto decode = [](std::string s) {
            std::replace(s.begin(), s.end(), '+', ' ');
            return validUtf8(QUrl::fromPercentEncoding(QByteArray::fromStdString(s)).toStdString());
        };
        list.push_back(Json {{"name", decode(pair.substr(0, eq))},
            {"value", eq == std::string::npos ? std::string() : decode(pair.substr(eq + 1))}});
    }
    return list;
}

/** A body as HAR text: UTF-8 as it is, anything else base64 with "encoding". */
void putBody(Json& target, const std::string& body)
{
    if (isValidUtf8(body)) {
        target["text"] = body;
    } else {
        target["text"] = QByteArray::fromStdString(body).toBase64().toStdString();
        target["encoding"] = "base64";
    }
}

Json harEntry(const JournalRequest& r, qint64 firstSeq)
{
    std::string host = headerOf(r.headers, "Host");
    if (host.empty())
        host = "localhost";
    const std::string url = "http://" + validUtf8(host) + encodePath(r.path)
        + (r.query.empty() ? std::string() : "?" + validUtf8(r.query));

    Json request = {{"method", validUtf8(r.method)}, {"url", url}, {"httpVersion", "HTTP/1.1"},
        {"cookies", Json::array()}, {"headers", harHeaders(r.headers)}, {"queryString", harQueryString(r.query)},
        {"headersSize", -1}, {"bodySize", qint64(r.body.size())}};
    if (!r.body.empty()) {
        Json postData = {{"mimeType", validUtf8(headerOf(r.headers, "Content-Type"))}};
        putBody(postData, r.body);
        request["postData"] = std::move(postData);
    }

    Json content = {
        {"size", qint64(r.responseBody.size())}, {"mimeType", validUtf8(headerOf(r.responseHeaders, "Content-Type"))}};
    if (!r.responseBody.empty())
        putBody(content, r.responseBody);
    Json response = {{"status", r.status}, {"statusText", httpReasonPhrase(r.status)}, {"httpVersion", "HTTP/1.1"},
        {"cookies", Json::array()}, {"headers", harHeaders(r.responseHeaders)}, {"content", std::move(content)},
        {"redirectURL", ""}, {"headersSize", -1}, {"bodySize", qint64(r.responseBody.size())}};

    const qint64 wait = std::max<qint64>(0, r.upstreamMs);
    Json eventlens = {{"id", r.id}, {"received_ms", r.receivedMs}, {"path", validUtf8(r.path)},
        {"query", validUtf8(r.query)}, {"peer", validUtf8(r.peer)}, {"status", r.status},
        {"reason", validUtf8(r.reason)}, {"upstream_status", r.upstreamStatus}, {"upstream_ms", r.upstreamMs},
        {"upstream_error", validUtf8(r.upstreamError)}};
    if (firstSeq > 0)
        eventlens["first_seq"] = firstSeq;
    return Json {{"startedDateTime", isoFromMs(r.receivedMs)}, {"time", wait}, {"request", std::move(request)},
        {"response", std::move(response)}, {"cache", Json::object()},
        {"timings",
            {{"blocked", -1}, {"dns", -1}, {"connect", -1}, {"ssl", -1}, {"send", 0}, {"wait", wait}, {"receive", 0}}},
        {"_eventlens", std::move(eventlens)}};
}

} // namespace

// --- export
// -----------------------------------------------------------------------------------------------------------

std::string ndjsonLine(const Event& event, const EventStore& store)
{
    Json j = store.eventJson(event);
    j["doc"] = event.doc();
    return dumpJson(j);
}

bool exportNdjson(const QString& path, const EventStore& store, std::string& error)
{
    return exportNdjson(path, allEvents(store), store, error);
}

bool exportNdjson(const QString& path, const std::vector<EventPtr>& events, const EventStore& store, std::string& error)
{
    std::string out;
    for (const EventPtr& e : events) {
        if (!e)
            continue;
        out += ndjsonLine(*e, store);
        out += '\n';
    }
    return writeFile(path, out, error);
}

bool exportCsv(const QString& path, const EventStore& store, std::string& error)
{
    return exportCsv(path, allEvents(store), store, error);
}

bool exportCsv(const QString& path, const std::vector<EventPtr>& events, const EventStore& store, std::string& error)
{
    std::string out = "seq,time,event,runtime_type,distinct_id,run_id,client,endpoint,errors,warnings\r\n";
    for (const EventPtr& e : events) {
        if (!e)
            continue;
        std::string client = e->lib();
        if (!e->libVersion().empty())
            client += (client.empty() ? "" : " ") + e->libVersion();
        const std::string cells[] = {std::to_string(e->seq), isoFromMs(e->receivedMs), e->name(),
            jsonText(e->runtimeType()), e->distinctId(), jsonText(e->runId()), client, e->endpoint(),
            std::to_string(store.errorCount(e->seq)), std::to_string(store.warningCount(e->seq))};
        bool first = true;
        for (const std::string& cell : cells) {
            if (!first)
                out += ',';
            first = false;
            out += csvCell(validUtf8(cell));
        }
        out += "\r\n";
    }
    return writeFile(path, out, error);
}

Json harDocument(const SessionData& session)
{
    std::map<qint64, qint64> firstSeq;
    for (const Event& e : session.events)
        firstSeq.emplace(e.requestId, e.seq); // events are in seq order: the first one wins
    Json entries = Json::array();
    for (const JournalRequest& r : session.requests) {
        const auto it = firstSeq.find(r.id);
        entries.push_back(harEntry(r, it == firstSeq.end() ? 0 : it->second));
    }
    Json meta = {{"created_ms", session.createdMs}, {"contract_origin", validUtf8(session.contractOrigin)}};
    return Json {{"log",
        {{"version", "1.2"}, {"creator", {{"name", "EventLens"}, {"version", EVENTLENS_VERSION}}},
            {"pages", Json::array()}, {"entries", std::move(entries)}, {"_eventlens", std::move(meta)}}}};
}

bool exportHar(const QString& path, const SessionData& session, std::string& error)
{
    std::string text = dumpJson(harDocument(session), 1);
    text += '\n';
    return writeFile(path, text, error);
}

} // namespace el
