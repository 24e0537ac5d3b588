// SPDX-License-Identifier: MIT
#include "store/exchange.h"

#include "contract/offlineinput.h"
#include "decode/decode.h"
#include "ingest/httpserver.h"
#include "store/eventstore.h"

#include <QByteArray>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QUrl>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

namespace el {

namespace {

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

/** Invalid UTF-8 becomes U+FFFD (JSON text must be UTF-8). */
std::string utf8(const std::string& s)
{
    return isValidUtf8(s) ? s : QString::fromUtf8(QByteArray::fromStdString(s)).toStdString();
}

std::string isoFromMs(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)
        .toString(QStringLiteral("yyyy-MM-dd'T'HH:mm:ss.zzz'Z'"))
        .toStdString();
}

bool msFromIso(const Json& v, qint64& ms)
{
    if (!v.is_string())
        return false;
    QDateTime dt = QDateTime::fromString(qs(v.get<std::string>()), Qt::ISODateWithMs);
    if (!dt.isValid())
        return false;
    if (dt.timeSpec() == Qt::LocalTime)
        dt.setTimeSpec(Qt::UTC);
    ms = dt.toMSecsSinceEpoch();
    return true;
}

std::string dumpJson(const Json& j, int indent = -1)
{
    return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

/** Writes \a bytes to \a path atomically. */
bool writeFile(const QString& path, const std::string& bytes, QString* error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = path + QStringLiteral(": ") + file.errorString();
        return false;
    }
    if (file.write(bytes.data(), qint64(bytes.size())) != qint64(bytes.size()) || !file.commit()) {
        if (error)
            *error = path + QStringLiteral(": ") + file.errorString();
        file.cancelWriting();
        return false;
    }
    return true;
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
        list.push_back(Json {{"name", utf8(name)}, {"value", utf8(value)}});
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
            return utf8(QUrl::fromPercentEncoding(QByteArray::fromStdString(s)).toStdString());
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
    const std::string url
        = "http://" + utf8(host) + encodePath(r.path) + (r.query.empty() ? std::string() : "?" + utf8(r.query));

    Json request = {{"method", utf8(r.method)}, {"url", url}, {"httpVersion", "HTTP/1.1"}, {"cookies", Json::array()},
        {"headers", harHeaders(r.headers)}, {"queryString", harQueryString(r.query)}, {"headersSize", -1},
        {"bodySize", qint64(r.body.size())}};
    if (!r.body.empty()) {
        Json postData = {{"mimeType", utf8(headerOf(r.headers, "Content-Type"))}};
        putBody(postData, r.body);
        request["postData"] = std::move(postData);
    }

    Json content
        = {{"size", qint64(r.responseBody.size())}, {"mimeType", utf8(headerOf(r.responseHeaders, "Content-Type"))}};
    if (!r.responseBody.empty())
        putBody(content, r.responseBody);
    Json response = {{"status", r.status}, {"statusText", httpReasonPhrase(r.status)}, {"httpVersion", "HTTP/1.1"},
        {"cookies", Json::array()}, {"headers", harHeaders(r.responseHeaders)}, {"content", std::move(content)},
        {"redirectURL", ""}, {"headersSize", -1}, {"bodySize", qint64(r.responseBody.size())}};

    const qint64 wait = std::max<qint64>(0, r.upstreamMs);
    Json eventlens = {{"id", r.id}, {"received_ms", r.receivedMs}, {"path", utf8(r.path)}, {"query", utf8(r.query)},
        {"peer", utf8(r.peer)}, {"status", r.status}, {"reason", utf8(r.reason)}, {"upstream_status", r.upstreamStatus},
        {"upstream_ms", r.upstreamMs}, {"upstream_error", utf8(r.upstreamError)}};
    if (firstSeq > 0)
        eventlens["first_seq"] = firstSeq;
    return Json {{"startedDateTime", isoFromMs(r.receivedMs)}, {"time", wait}, {"request", std::move(request)},
        {"response", std::move(response)}, {"cache", Json::object()},
        {"timings",
            {{"blocked", -1}, {"dns", -1}, {"connect", -1}, {"ssl", -1}, {"send", 0}, {"wait", wait}, {"receive", 0}}},
        {"_eventlens", std::move(eventlens)}};
}

// --- import
// -----------------------------------------------------------------------------------------------------------

std::string trimmed(const std::string& s)
{
    const std::size_t a = s.find_first_not_of(" \t\r\n");
    if (a == std::string::npos)
        return {};
    const std::size_t b = s.find_last_not_of(" \t\r\n");
    return s.substr(a, b - a + 1);
}

bool isExportLine(const Json& j)
{
    return j.is_object() && j.contains("doc") && j["doc"].is_object() && j.contains("seq")
        && j["seq"].is_number_integer();
}

std::string stringField(const Json& j, const char* key)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

qint64 intField(const Json& j, const char* key, qint64 fallback)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<qint64>() : fallback;
}

/** Rebuilds the Event of an NDJSON export line: makeEvent() on its doc, endpoint and user agent. */
Event eventFromLine(const Json& j)
{
    HttpRequest request;
    request.path = stringField(j, "endpoint");
    const std::string userAgent = stringField(j, "user_agent");
    if (!userAgent.empty())
        request.headers.emplace_back("User-Agent", userAgent);
    qint64 receivedMs = 0;
    if (j.contains("received_at"))
        msFromIso(j["received_at"], receivedMs);
    const qint64 requestId
        = j.contains("request_id") && j["request_id"].is_number_integer() ? j["request_id"].get<qint64>() : 0;
    return makeEvent(j["doc"], request, j["seq"].get<qint64>(), requestId, receivedMs);
}

void collectViolations(const Json& line, std::vector<Violation>& out, std::set<std::string>& seen)
{
    const auto it = line.find("violations");
    if (it == line.end() || !it->is_array())
        return;
    for (const Json& v : *it) {
        if (!v.is_object())
            continue;
        // Informational (the import is judged again): one this build cannot name is left out.
        const auto kind = violationKindFromString(stringField(v, "kind"));
        const auto severity = severityFromString(stringField(v, "severity"));
        if (!kind || !severity)
            continue;
        Violation violation;
        violation.kind = *kind;
        violation.rule = stringField(v, "rule");
        violation.severity = *severity;
        violation.path = stringField(v, "path");
        violation.message = stringField(v, "message");
        if (v.contains("seqs") && v["seqs"].is_array()) {
            for (const Json& s : v["seqs"]) {
                if (s.is_number_integer())
                    violation.seqs.push_back(s.get<qint64>());
            }
        }
        // A violation naming several events is on each of their lines: keep it once.
        if (seen.insert(dumpJson(violation.toJson())).second)
            out.push_back(std::move(violation));
    }
}

void setError(QString* error, const std::string& what)
{
    if (error)
        *error = qs(what);
}

void fromOfflineInput(OfflineInput& input, SessionData& out)
{
    for (Event& e : input.events)
        out.events.push_back(std::move(e));
}

/** Makes seqs 1..N (file order) when they are not strictly increasing; recorded violations then can't be mapped. */
void ensureIncreasing(SessionData& out, bool force)
{
    bool increasing = true;
    for (std::size_t i = 1; i < out.events.size() && increasing; ++i)
        increasing = out.events[i].seq > out.events[i - 1].seq;
    if (increasing && !force && (out.events.empty() || out.events.front().seq > 0))
        return;
    qint64 seq = 0;
    for (Event& e : out.events)
        e.seq = ++seq;
    out.violations.clear();
}

bool importNdjson(const std::string& name, const std::string& text, const Json& whole, qint64 defaultReceivedMs,
    SessionData& out, QString* error)
{
    out.format = "ndjson";
    std::set<std::string> seen;
    // One JSON document: an export line, an array of them, or anything `eventlens check` reads.
    if (!whole.is_discarded()) {
        if (isExportLine(whole)) {
            out.events.push_back(eventFromLine(whole));
            collectViolations(whole, out.violations, seen);
            return true;
        }
        if (whole.is_array() && !whole.empty() && std::all_of(whole.begin(), whole.end(), isExportLine)) {
            for (const Json& j : whole) {
                out.events.push_back(eventFromLine(j));
                collectViolations(j, out.violations, seen);
            }
            ensureIncreasing(out, false);
            return true;
        }
        OfflineInput input;
        std::string why;
        if (!readOfflineInput(name, text, defaultReceivedMs, input, why)) {
            setError(error, why);
            return false;
        }
        fromOfflineInput(input, out);
        return true;
    }

    // Line by line. Without any export line the whole text is read like `eventlens check` reads it.
    struct Line
    {
        std::size_t number;
        std::string text;
    };
    std::vector<Line> lines;
    bool anyExport = false;
    std::size_t pos = 0;
    std::size_t number = 0;
    while (pos <= text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string::npos)
            nl = text.size();
        ++number;
        std::string line = trimmed(text.substr(pos, nl - pos));
        pos = nl + 1;
        if (line.empty())
            continue;
        if (!anyExport && line.find("\"doc\"") != std::string::npos)
            anyExport = isExportLine(Json::parse(line, nullptr, false));
        lines.push_back({number, std::move(line)});
    }
    if (!anyExport) {
        OfflineInput input;
        std::string why;
        if (!readOfflineInput(name, text, defaultReceivedMs, input, why)) {
            setError(error, why);
            return false;
        }
        fromOfflineInput(input, out);
        return true;
    }

    bool mixed = false;
    for (const Line& line : lines) {
        const std::string where = name + ":" + std::to_string(line.number);
        Json j;
        std::string parseError;
        if (!parseJson(line.text, j, DecodeLimits().maxDepth, parseError)) {
            setError(error, where + ": " + parseError);
            return false;
        }
        if (isExportLine(j)) {
            out.events.push_back(eventFromLine(j));
            collectViolations(j, out.violations, seen);
            continue;
        }
        // Another kind of line in an export (an event or a request body): decode it like `eventlens check`.
        mixed = true;
        OfflineInput input;
        std::string why;
        if (!readOfflineInput(name, line.text, defaultReceivedMs, input, why)) {
            if (why.rfind(name + ":1", 0) == 0)
                why = where + why.substr(name.size() + 2);
            else if (why.rfind(name + "[", 0) == 0)
                why = where + why.substr(name.size());
            setError(error, why);
            return false;
        }
        fromOfflineInput(input, out);
    }
    ensureIncreasing(out, mixed);
    return true;
}

bool importHar(const std::string& name, const Json& har, SessionData& out, QString* error)
{
    out.format = "har";
    std::vector<HarEntry> entries;
    std::string why;
    if (!readHarEntries(name, har, entries, why)) {
        setError(error, why);
        return false;
    }
    const Json& log = har["log"];
    if (log.contains("_eventlens") && log["_eventlens"].is_object()) {
        const Json& meta = log["_eventlens"];
        out.createdMs = intField(meta, "created_ms", 0);
        out.contractOrigin = stringField(meta, "contract_origin");
    }

    qint64 nextSeq = 1;
    qint64 nextId = 1;
    for (HarEntry& entry : entries) {
        if (!entry.valid) {
            ++out.skippedRequests;
            continue;
        }
        const Json& own = entry.eventlens;
        JournalRequest r = journalRequest(entry.request, 0, entry.startedMs);
        r.responseHeaders = std::move(entry.responseHeaders);
        r.responseBody = std::move(entry.responseBody);
        const Endpoint endpoint = classifyPath(r.path);
        if (own.is_object()) {
            // EventLens's own HAR: the request as it was journaled, whatever its path.
            r.id = intField(own, "id", 0);
            r.receivedMs = intField(own, "received_ms", entry.startedMs);
            r.path = stringField(own, "path");
            r.query = stringField(own, "query");
            r.peer = stringField(own, "peer");
            r.status = int(intField(own, "status", entry.status));
            r.reason = stringField(own, "reason");
            r.upstreamStatus = int(intField(own, "upstream_status", 0));
            r.upstreamMs = intField(own, "upstream_ms", -1);
            r.upstreamError = stringField(own, "upstream_error");
            if (r.id < nextId)
                r.id = nextId;
            const qint64 firstSeq = intField(own, "first_seq", 0);
            if (firstSeq >= nextSeq)
                nextSeq = firstSeq;
        } else {
            const std::string& method = r.method;
            if ((method != "POST" && method != "GET") || !isIngestEndpoint(endpoint)) {
                ++out.skippedRequests; // page assets, CORS preflights, /flags/, /decide/, other APIs
                continue;
            }
            r.id = nextId;
            // What the recorded server answered is kept as the "upstream" of this request.
            r.upstreamStatus = entry.status > 0 ? entry.status : (entry.error.empty() ? 0 : -1);
            r.upstreamMs = entry.timeMs >= 0 ? qint64(std::llround(entry.timeMs)) : -1;
            r.upstreamError = entry.error;
        }
        nextId = r.id + 1;

        const bool decodable = (r.method == "POST" || r.method == "GET") && isIngestEndpoint(endpoint);
        if (decodable && !(own.is_object() && isRejected(r))) {
            const HttpRequest request = toHttpRequest(r);
            DecodeResult decoded = decodeIngest(request, endpoint);
            if (!decoded.ok()) {
                if (own.is_null()) {
                    r.status = decoded.status;
                    r.reason = decoded.error;
                    if (!entry.hasBody && !request.queryValue("data"))
                        r.reason += " (the HAR holds no request body: browsers often leave out binary or compressed"
                                    " bodies; record again with posthog.init(..., {disable_compression: true}))";
                }
            } else if (endpoint == Endpoint::Recording) {
                r.recordings = qint64(decoded.events.size());
                out.recordings += r.recordings;
            } else {
                if (own.is_null())
                    r.status = 200;
                EventSourceCache sources;
                for (Json& doc : decoded.events)
                    out.events.push_back(makeEvent(doc, request, nextSeq++, r.id, r.receivedMs, &sources));
            }
        }
        out.requests.push_back(std::move(r));
    }
    if (out.createdMs == 0) {
        for (const JournalRequest& r : out.requests) {
            if (r.receivedMs > 0 && (out.createdMs == 0 || r.receivedMs < out.createdMs))
                out.createdMs = r.receivedMs;
        }
    }
    return true;
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

bool exportNdjson(const QString& path, const EventStore& store, QString* error)
{
    return exportNdjson(path, allEvents(store), store, error);
}

bool exportNdjson(const QString& path, const std::vector<EventPtr>& events, const EventStore& store, QString* error)
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

bool exportCsv(const QString& path, const EventStore& store, QString* error)
{
    return exportCsv(path, allEvents(store), store, error);
}

bool exportCsv(const QString& path, const std::vector<EventPtr>& events, const EventStore& store, QString* error)
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
            out += csvCell(utf8(cell));
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
    Json meta = {{"created_ms", session.createdMs}, {"contract_origin", utf8(session.contractOrigin)}};
    return Json {{"log",
        {{"version", "1.2"}, {"creator", {{"name", "EventLens"}, {"version", EVENTLENS_VERSION}}},
            {"pages", Json::array()}, {"entries", std::move(entries)}, {"_eventlens", std::move(meta)}}}};
}

bool exportHar(const QString& path, const SessionData& session, QString* error)
{
    std::string text = dumpJson(harDocument(session), 1);
    text += '\n';
    return writeFile(path, text, error);
}

// --- import
// -----------------------------------------------------------------------------------------------------------

bool importBytes(
    const std::string& name, const std::string& bytes, qint64 defaultReceivedMs, SessionData& out, QString* error)
{
    out = SessionData {};
    std::string text = bytes;
    if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0)
        text.erase(0, 3); // UTF-8 BOM
    if (trimmed(text).empty()) {
        out.format = "ndjson";
        return true;
    }
    const Json whole = Json::parse(text, nullptr, false);
    bool ok = false;
    try {
        if (whole.is_object() && whole.contains("log") && whole["log"].is_object())
            ok = importHar(name, whole, out, error);
        else
            ok = importNdjson(name, text, whole, defaultReceivedMs, out, error);
    } catch (const Json::exception& e) {
        // A field of an unexpected JSON type somewhere in a hand-edited or unusual file.
        setError(error, name + ": unexpected content: " + e.what());
        ok = false;
    }
    if (!ok) {
        const std::string format = out.format;
        out = SessionData {};
        out.format = format;
        return false;
    }
    if (out.createdMs == 0) {
        for (const Event& e : out.events) {
            if (e.receivedMs > 0 && (out.createdMs == 0 || e.receivedMs < out.createdMs))
                out.createdMs = e.receivedMs;
        }
        if (out.createdMs == 0)
            out.createdMs = defaultReceivedMs;
    }
    return true;
}

bool importFile(const QString& path, SessionData& out, QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        out = SessionData {};
        if (error)
            *error = path + QStringLiteral(": ") + file.errorString();
        return false;
    }
    const QByteArray bytes = file.readAll();
    const qint64 modified = QFileInfo(file).lastModified().toMSecsSinceEpoch();
    return importBytes(path.toStdString(), bytes.toStdString(), modified, out, error);
}

} // namespace el
