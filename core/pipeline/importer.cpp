// SPDX-License-Identifier: MIT
#include "importer.h"

#include "contract/offlineinput.h"
#include "journalrequest.h"
#include "store/eventstore.h"
#include "util/isotime.h"
#include "util/text.h"
#include "wire/decode.h"
#include "wire/eventslice.h"

#include <QByteArray>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace el {

namespace {

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
    const auto receivedAt = j.find("received_at");
    const qint64 receivedMs = receivedAt == j.end() ? 0 : parseIsoValue(*receivedAt).value_or(0);
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
        if (seen.insert(violation.toJson().dump(-1, ' ', false, Json::error_handler_t::replace)).second)
            out.push_back(std::move(violation));
    }
}

/**
 * \brief What an NDJSON / JSON file had for the requests of its events, kept as SessionData::requests (such a file
 * holds no HTTP request): the line, array element or document the events were read from, with its place in the
 * file (JournalRequest::source). Lines of an EventLens export that name the same request_id make one request, their
 * lines joined by newlines.
 */
class FileRequests
{
public:
    explicit FileRequests(std::string name)
        : m_name(std::move(name))
    { }

    /**
     * \a text came from line \a place (\a line true) or element \a place of the file. Its events are request \a id;
     * with \a id 0 they get a new one, after every id the file names (out.events[first, end) are renumbered).
     */
    void add(std::string_view text, bool line, std::size_t place, qint64 id, std::size_t first = 0, std::size_t end = 0)
    {
        m_items.push_back({std::string(text), line, place, id, first, end});
    }

    /** Numbers the new requests, appends every request to out.requests (by id). */
    void finish(SessionData& out)
    {
        qint64 last = 0;
        for (const Item& item : m_items)
            last = std::max(last, item.id);
        std::map<qint64, std::vector<const Item*>> byId;
        for (Item& item : m_items) {
            if (item.id <= 0) {
                item.id = ++last;
                for (std::size_t i = item.first; i < item.end && i < out.events.size(); ++i)
                    out.events[i].requestId = item.id;
            }
            byId[item.id].push_back(&item);
        }
        for (const auto& [id, items] : byId) {
            JournalRequest r;
            r.id = id;
            for (const Item* item : items)
                r.body += (r.body.empty() ? "" : "\n") + item->text;
            const Item& a = *items.front();
            const Item& b = *items.back();
            const std::string range
                = std::to_string(a.place) + (items.size() > 1 ? "-" + std::to_string(b.place) : std::string());
            r.source = m_name + (a.line ? ":" + range : "[" + range + "]");
            out.requests.push_back(std::move(r));
        }
    }

private:
    struct Item
    {
        std::string text;
        bool line;
        std::size_t place;
        qint64 id;
        std::size_t first, end;
    };
    std::string m_name;
    std::vector<Item> m_items;
};

/**
 * Reads \a text like `eventlens check` does and appends its events to \a out, with what the file had for each of
 * their requests: request N is the N-th item readOfflineInput() read (the document, an array element, a line).
 */
bool readLikeCheck(const std::string& name, const std::string& text, const Json& whole, qint64 defaultReceivedMs,
    SessionData& out, std::string& error)
{
    OfflineInput input;
    std::string why;
    if (!readOfflineInput(name, text, defaultReceivedMs, input, why)) {
        error = why;
        return false;
    }
    for (Event& e : input.events)
        out.events.push_back(std::move(e));

    FileRequests requests(name);
    std::size_t items = 0;
    if (whole.is_array()) {
        for (const TextSpan& element : eventSpans(text)) { // a top-level array: its elements
            requests.add(std::string_view(text).substr(element.begin, element.size()), false, items, qint64(items + 1));
            ++items;
        }
    } else if (!whole.is_discarded()) {
        requests.add(std::string(trim(text)), true, firstNonBlankLine(text), 1);
        items = 1;
    } else {
        std::size_t pos = 0;
        for (std::size_t number = 1; pos <= text.size(); ++number) {
            std::size_t nl = text.find('\n', pos);
            if (nl == std::string::npos)
                nl = text.size();
            const std::string line(trim(std::string_view(text).substr(pos, nl - pos)));
            pos = nl + 1;
            if (!line.empty()) {
                ++items;
                requests.add(line, true, number, qint64(items));
            }
        }
    }
    if (items == std::size_t(input.requests)) // else (never expected) the events keep no request
        requests.finish(out);
    return true;
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
    SessionData& out, std::string& error)
{
    out.format = "ndjson";
    std::set<std::string> seen;
    // One JSON document: an export line, an array of them, or anything `eventlens check` reads.
    FileRequests requests(name);
    if (!whole.is_discarded()) {
        if (isExportLine(whole)) {
            out.events.push_back(eventFromLine(whole));
            collectViolations(whole, out.violations, seen);
            requests.add(std::string(trim(text)), true, firstNonBlankLine(text), out.events.back().requestId, 0, 1);
            requests.finish(out);
            return true;
        }
        if (whole.is_array() && !whole.empty() && std::all_of(whole.begin(), whole.end(), isExportLine)) {
            const std::vector<TextSpan> elements = eventSpans(text);
            for (std::size_t i = 0; i < whole.size(); ++i) {
                const Json& j = whole[i];
                out.events.push_back(eventFromLine(j));
                collectViolations(j, out.violations, seen);
                if (elements.size() == whole.size())
                    requests.add(std::string_view(text).substr(elements[i].begin, elements[i].size()), false, i,
                        out.events.back().requestId, i, i + 1);
            }
            requests.finish(out);
            ensureIncreasing(out, false);
            return true;
        }
        return readLikeCheck(name, text, whole, defaultReceivedMs, out, error);
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
        std::string line(trim(std::string_view(text).substr(pos, nl - pos)));
        pos = nl + 1;
        if (line.empty())
            continue;
        if (!anyExport && line.find("\"doc\"") != std::string::npos)
            anyExport = isExportLine(Json::parse(line, nullptr, false));
        lines.push_back({number, std::move(line)});
    }
    if (!anyExport) {
        return readLikeCheck(name, text, whole, defaultReceivedMs, out, error);
    }

    bool mixed = false;
    for (const Line& line : lines) {
        const std::string where = name + ":" + std::to_string(line.number);
        Json j;
        std::string parseError;
        if (!parseJson(line.text, j, DecodeLimits().maxDepth, parseError)) {
            error = where + ": " + parseError;
            return false;
        }
        if (isExportLine(j)) {
            out.events.push_back(eventFromLine(j));
            collectViolations(j, out.violations, seen);
            requests.add(
                line.text, true, line.number, out.events.back().requestId, out.events.size() - 1, out.events.size());
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
            error = why;
            return false;
        }
        const std::size_t first = out.events.size();
        for (Event& e : input.events)
            out.events.push_back(std::move(e));
        requests.add(line.text, true, line.number, 0, first, out.events.size()); // a request of its own
    }
    requests.finish(out);
    ensureIncreasing(out, mixed);
    return true;
}

bool importHar(const std::string& name, const Json& har, SessionData& out, std::string& error)
{
    out.format = "har";
    std::vector<HarEntry> entries;
    std::string why;
    if (!readHarEntries(name, har, entries, why)) {
        error = why;
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
        const bool ingest = (entry.request.method == "POST" || entry.request.method == "GET")
            && isIngestEndpoint(classifyPath(entry.request.path));
        if (!entry.bodyError.empty() && (own.is_object() || ingest)) {
            error = entry.where + " (" + entry.request.method + " " + entry.url + "): " + entry.bodyError;
            return false;
        }
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

bool importBytes(
    const std::string& name, const std::string& bytes, qint64 defaultReceivedMs, SessionData& out, std::string& error)
{
    out = SessionData {};
    std::string text = bytes;
    if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0)
        text.erase(0, 3); // UTF-8 BOM
    if (trim(text).empty()) {
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
        error = name + ": unexpected content: " + e.what();
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

bool importFile(const QString& path, SessionData& out, std::string& error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        out = SessionData {};
        error = QString(path + QStringLiteral(": ") + file.errorString()).toStdString();
        return false;
    }
    const QByteArray bytes = file.readAll();
    const qint64 modified = QFileInfo(file).lastModified().toMSecsSinceEpoch();
    return importBytes(path.toStdString(), bytes.toStdString(), modified, out, error);
}

} // namespace el
