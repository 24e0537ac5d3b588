// SPDX-License-Identifier: MIT
#include "offlineinput.h"

#include "util/base64.h"
#include "util/flatjson.h"
#include "util/isotime.h"
#include "util/text.h"
#include "wire/decode.h"

#include <QString>
#include <QUrl>

#include <algorithm>

namespace el {

namespace {

/** Appends the events of a decoded request; false with a reason when the decoder rejected it. */
bool addDecoded(DecodeResult r, const HttpRequest& request, qint64 receivedMs, const std::string& where,
    OfflineInput& input, std::string& error)
{
    if (!r.ok()) {
        error = r.error.empty() ? "cannot decode (HTTP " + std::to_string(r.status) + ")" : r.error;
        return false;
    }
    ++input.requests;
    const qint64 requestId = input.requests;
    const EventOrigin origin = originOf(request);
    for (Json& normalised : r.events) {
        const qint64 seq = qint64(input.events.size()) + 1;
        input.events.push_back(
            makeEvent(normalised, origin, seq, requestId, receivedMs, &input.sourceCache, !input.keepDocs));
        input.sources.push_back(where);
        if (input.keepDocs)
            input.docs.push_back(std::move(normalised));
    }
    return true;
}

/** Decodes one request and appends its events; false with a reason on a rejected request. */
bool addRequest(const HttpRequest& request, Endpoint endpoint, qint64 receivedMs, const std::string& where,
    OfflineInput& input, std::string& error)
{
    return addDecoded(decodeIngest(request, endpoint), request, receivedMs, where, input, error);
}

/** The request an offline item stands for: a JSON POST to /batch/ when it has a "batch", else to /e/. */
HttpRequest offlineRequest(bool batch)
{
    HttpRequest request;
    request.method = "POST";
    request.path = batch ? "/batch/" : "/e/";
    request.headers = {{"Content-Type", "application/json"}};
    request.peer = "offline";
    return request;
}

/**
 * One event or request body (object or array) as a JSON value, decoded as the sink decodes a JSON body, from the
 * value itself (never written out and parsed again).
 */
bool addItem(Json item, qint64 defaultReceivedMs, const std::string& where, OfflineInput& input, std::string& error)
{
    if (!item.is_object() && !item.is_array()) {
        error = where + ": expected an event object or a request body, not " + std::string(item.type_name());
        return false;
    }
    qint64 receivedMs = defaultReceivedMs;
    if (item.is_object()) {
        if (auto it = item.find("received_at"); it != item.end())
            receivedMs = parseIsoValue(*it).value_or(receivedMs);
    }
    const HttpRequest request = offlineRequest(item.is_object() && item.contains("batch"));
    const Endpoint endpoint = classifyPath(request.path);
    std::string reason;
    if (!addDecoded(decodeDocument(std::move(item), request, endpoint), request, receivedMs, where, input, reason)) {
        error = where + ": " + reason;
        return false;
    }
    return true;
}

std::string headerValue(const Json& headers, const char* name)
{
    if (!headers.is_array())
        return {};
    for (const Json& h : headers) {
        if (h.is_object()
            && QString::fromStdString(h.value("name", std::string())).compare(QLatin1String(name), Qt::CaseInsensitive)
                == 0)
            return h.value("value", std::string());
    }
    return {};
}

/**
 * A HAR text field ("text", with "encoding": "base64" for bytes) into \a body. Strict base64: a bad character is
 * an error naming \a where (lenient decoders drop it and change the body silently).
 */
void harText(const Json& holder, const char* where, std::string& body, std::string& error)
{
    body = holder["text"].get<std::string>();
    if (holder.value("encoding", std::string()) != "base64")
        return;
    std::string bytes, why;
    if (base64Decode(body, bytes, why)) {
        body = std::move(bytes);
    } else {
        body.clear();
        if (error.empty())
            error = std::string(where) + ": " + why;
    }
}

/**
 * The request of a HAR entry as HttpRequest: method, decoded path, raw query, headers, body (postData). A body
 * that cannot be decoded is left empty and described in \a bodyError.
 */
HttpRequest harRequest(const Json& req, std::string& bodyError)
{
    const QUrl url(QString::fromStdString(req.value("url", std::string())));
    HttpRequest request;
    request.method = req.value("method", std::string());
    request.path = url.path(QUrl::FullyDecoded).toStdString();
    request.query = url.query(QUrl::FullyEncoded).toStdString();
    request.peer = "har";
    if (req.contains("headers") && req["headers"].is_array()) {
        for (const Json& h : req["headers"]) {
            if (h.is_object())
                request.headers.emplace_back(h.value("name", std::string()), h.value("value", std::string()));
        }
    }
    if (req.contains("postData") && req["postData"].is_object()) {
        const Json& pd = req["postData"];
        if (pd.contains("text") && pd["text"].is_string()) {
            harText(pd, "request.postData.text", request.body, bodyError);
        } else if (pd.contains("params") && pd["params"].is_array()) {
            for (const Json& p : pd["params"]) {
                if (!p.is_object())
                    continue;
                if (!request.body.empty())
                    request.body += '&';
                request.body += p.value("name", std::string()) + "=" + p.value("value", std::string());
            }
        }
        const bool hasContentType = req.contains("headers") && !headerValue(req["headers"], "Content-Type").empty();
        if (!hasContentType && pd.contains("mimeType") && pd["mimeType"].is_string()
            && !pd["mimeType"].get_ref<const std::string&>().empty())
            request.headers.emplace_back("Content-Type", pd["mimeType"].get<std::string>());
    }
    return request;
}

bool readHar(const std::string& name, const Json& entries, OfflineInput& input, std::string& error)
{
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::string where = name + "[" + std::to_string(i) + "]";
        const Json& entry = entries[i];
        if (!entry.is_object() || !entry.contains("request") || !entry["request"].is_object()) {
            ++input.skippedRequests;
            continue;
        }
        const Json& req = entry["request"];
        const std::string method = req.value("method", std::string());
        std::string bodyError;
        const HttpRequest request = harRequest(req, bodyError);
        const Endpoint endpoint = classifyPath(request.path);
        if ((method != "POST" && method != "GET") || !isIngestEndpoint(endpoint)) {
            ++input.skippedRequests; // CORS preflights, /flags/, /decide/, config, static, other sites...
            continue;
        }
        if (!bodyError.empty()) {
            error = where + " (" + method + " " + req.value("url", std::string()) + "): " + bodyError;
            return false;
        }
        const auto started = entry.find("startedDateTime");
        const qint64 receivedMs = started == entry.end() ? 0 : parseIsoValue(*started).value_or(0);
        std::string reason;
        if (!addRequest(request, endpoint, receivedMs, where, input, reason)) {
            error = where + " (" + method + " " + req.value("url", std::string()) + "): " + reason;
            if (request.body.empty() && !request.queryValue("data"))
                error += " (the HAR holds no request body: browsers often leave out binary or compressed bodies;"
                         " record again with posthog.init(..., {disable_compression: true}))";
            return false;
        }
    }
    return true;
}

bool hasGzipOrZlibHeader(const std::string& s)
{
    if (s.size() < 2)
        return false;
    const auto b0 = static_cast<unsigned char>(s[0]);
    const auto b1 = static_cast<unsigned char>(s[1]);
    return (b0 == 0x1f && b1 == 0x8b) || ((b0 & 0x0f) == 8 && (b0 * 256 + b1) % 31 == 0);
}

/**
 * mitmproxy writes a binary request body as text decoded with its charset guess (latin-1 for text/plain),
 * so a gzip body arrives as U+001F U+008B ...: every character is <= U+00FF. Maps such text back to its
 * bytes; only done when the result starts with the gzip magic, so ordinary text is never touched.
 */
bool latin1GzipBytes(const std::string& utf8, std::string& bytes)
{
    if (utf8.size() < 3 || utf8[0] != '\x1f' || static_cast<unsigned char>(utf8[1]) != 0xC2
        || static_cast<unsigned char>(utf8[2]) != 0x8B)
        return false;
    const QString text = QString::fromStdString(utf8);
    for (QChar c : text) {
        if (c.unicode() > 0xFF)
            return false;
    }
    bytes = text.toLatin1().toStdString();
    return true;
}

} // namespace

bool readHarEntries(const std::string& name, const Json& har, std::vector<HarEntry>& entries, std::string& error)
{
    if (!har.is_object() || !har.contains("log") || !har["log"].is_object()) {
        error = name + ": not a HAR file (no \"log\" object)";
        return false;
    }
    const Json& log = har["log"];
    if (!log.contains("entries") || !log["entries"].is_array()) {
        error = name + ": HAR file without log.entries";
        return false;
    }
    const Json& list = log["entries"];
    for (std::size_t i = 0; i < list.size(); ++i) {
        const Json& entry = list[i];
        HarEntry out;
        out.where = name + "[" + std::to_string(i) + "]";
        if (!entry.is_object() || !entry.contains("request") || !entry["request"].is_object()) {
            out.valid = false;
            entries.push_back(std::move(out));
            continue;
        }
        const Json& req = entry["request"];
        out.request = harRequest(req, out.bodyError);
        out.url = req.value("url", std::string());
        if (entry.contains("_eventlens") && entry["_eventlens"].is_object())
            out.eventlens = entry["_eventlens"];
        // Repairs for what HAR writers do to binary or compressed request bodies (EventLens's own HAR is exact).
        const bool repair = out.eventlens.is_null();
        if (req.contains("postData") && req["postData"].is_object()) {
            const Json& pd = req["postData"];
            out.hasBody = (pd.contains("text") && pd["text"].is_string())
                || (pd.contains("params") && pd["params"].is_array() && !pd["params"].empty());
            std::string bytes;
            if (repair && pd.value("encoding", std::string()) != "base64" && latin1GzipBytes(out.request.body, bytes))
                out.request.body = std::move(bytes);
        }
        if (repair && !hasGzipOrZlibHeader(out.request.body)) {
            // A recorder that stored the decoded body (mitmproxy) leaves Content-Encoding in the headers.
            auto& h = out.request.headers;
            const auto before = h.size();
            h.erase(std::remove_if(h.begin(), h.end(),
                        [](const auto& kv) {
                            return QString::fromStdString(kv.first).compare(
                                       QLatin1String("Content-Encoding"), Qt::CaseInsensitive)
                                == 0;
                        }),
                h.end());
            out.contentEncodingRemoved = h.size() != before;
        }
        if (const auto started = entry.find("startedDateTime"); started != entry.end())
            out.startedMs = parseIsoValue(*started).value_or(out.startedMs);
        if (entry.contains("time") && entry["time"].is_number())
            out.timeMs = entry["time"].get<double>();
        if (entry.contains("response") && entry["response"].is_object()) {
            const Json& res = entry["response"];
            if (res.contains("status") && res["status"].is_number_integer())
                out.status = res["status"].get<int>();
            if (res.contains("statusText") && res["statusText"].is_string())
                out.statusText = res["statusText"].get<std::string>();
            if (res.contains("headers") && res["headers"].is_array()) {
                for (const Json& h : res["headers"]) {
                    if (h.is_object())
                        out.responseHeaders.emplace_back(
                            h.value("name", std::string()), h.value("value", std::string()));
                }
            }
            if (res.contains("content") && res["content"].is_object()) {
                const Json& content = res["content"];
                if (content.contains("text") && content["text"].is_string())
                    harText(content, "response.content.text", out.responseBody, out.bodyError);
            }
            if (res.contains("_error") && res["_error"].is_string())
                out.error = res["_error"].get<std::string>();
        }
        entries.push_back(std::move(out));
    }
    return true;
}

bool readOfflineInput(const std::string& name, const std::string& bytes, qint64 defaultReceivedMs, OfflineInput& input,
    std::string& error)
{
    std::string text = bytes;
    if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0)
        text.erase(0, 3); // UTF-8 BOM (Windows tools)
    if (trim(text).empty())
        return true; // an empty file holds no events

    // One JSON document (HAR, array, single object)?
    const Json doc = Json::parse(text, nullptr, false);
    if (!doc.is_discarded()) {
        if (doc.is_object() && doc.contains("log") && doc["log"].is_object()) {
            const Json& log = doc["log"];
            if (!log.contains("entries") || !log["entries"].is_array()) {
                error = name + ": HAR file without log.entries";
                return false;
            }
            return readHar(name, log["entries"], input, error);
        }
        if (doc.is_array()) {
            // An array of events/bodies; but a plain array of events is also one valid request body:
            // decode it element by element so each keeps its own position for messages.
            for (std::size_t i = 0; i < doc.size(); ++i) {
                if (!addItem(doc[i], defaultReceivedMs, name + "[" + std::to_string(i) + "]", input, error))
                    return false;
            }
            return true;
        }
        return addItem(doc, defaultReceivedMs, name + ":" + std::to_string(firstNonBlankLine(text)), input, error);
    }

    // NDJSON
    std::size_t lineNo = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string::npos)
            nl = text.size();
        ++lineNo;
        const std::string_view line(text.data() + pos, nl - pos);
        pos = nl + 1;
        if (!readOfflineLine(name, lineNo, line, defaultReceivedMs, input, error))
            return false;
    }
    return true;
}

bool readOfflineLine(const std::string& name, std::size_t lineNo, std::string_view text, qint64 defaultReceivedMs,
    OfflineInput& input, std::string& error)
{
    const std::string line(trim(text));
    if (line.empty())
        return true;
    const std::string where = name + ":" + std::to_string(lineNo);
    Json item;
    std::string parseError;
    if (!parseJson(line, item, DecodeLimits().maxDepth, parseError)) {
        error = where + ": " + parseError
            + (lineNo == 1 ? " (expected NDJSON: one JSON event or request body per line, a JSON array, or a HAR file)"
                           : "");
        return false;
    }
    return addItem(std::move(item), defaultReceivedMs, where, input, error);
}

bool readOfflineLineQuickly(const std::string& name, std::size_t lineNo, std::string_view text,
    qint64 defaultReceivedMs, OfflineInput& input, FlatJson& flat, std::vector<FlatJson::Ref>& events)
{
    events.clear();
    const std::string_view line = trim(text);
    if (line.empty() || !flat.parse(line, DecodeLimits().maxDepth))
        return false;
    // As addItem() reads the item.
    const FlatJson::Ref item = flat.root();
    if (!item.isObject() && !item.isArray())
        return false;
    qint64 receivedMs = defaultReceivedMs;
    if (const FlatJson::Ref at = item.find("received_at"); at.present() && at.isString())
        receivedMs = parseIsoMs(at.string(), ZonelessAs::Utc).value_or(receivedMs);
    const HttpRequest request = offlineRequest(item.find("batch").present());
    DecodeResult r;
    if (!decodeDocumentFlat(flat, request, classifyPath(request.path), DecodeLimits(), r, events))
        return false;
    // As addDecoded() appends them.
    ++input.requests;
    const EventOrigin origin = originOf(request);
    const std::string where = name + ":" + std::to_string(lineNo);
    for (const FlatJson::Ref ev : events) {
        input.events.push_back(makeEvent(ev, origin, qint64(input.events.size()) + 1, input.requests, receivedMs,
            &input.sourceCache, !input.keepDocs));
        input.sources.push_back(where);
    }
    return true;
}

} // namespace el
