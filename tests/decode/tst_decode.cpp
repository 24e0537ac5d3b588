// SPDX-License-Identifier: MIT
// Data-driven tests of the PostHog request decoder (core/wire) and of the Event model (core/model/event).
// Over 600 lines as one file: one Qt Test class is one executable and one ctest name, and its cases share this
// file's fixtures and data rows.
#include "model/event.h"
#include "util/base64.h"
#include "util/fastjson.h"
#include "util/isotime.h"
#include "util/text.h"
#include "util/utf8.h"
#include "wire/decode.h"

#include "flatdecode.h"
#include "jsoncompare.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QTest>
#include <QUrl>

#include <zlib.h>

#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <vector>

using namespace el;

namespace {

std::string str(const QByteArray& b)
{
    return b.toStdString();
}

std::string gzipBytes(const std::string& in, int windowBits = 16 + MAX_WBITS)
{
    z_stream zs {};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::string zlibBytes(const std::string& in)
{
    return gzipBytes(in, MAX_WBITS);
}

std::string base64(const std::string& in)
{
    return QByteArray::fromStdString(in).toBase64().toStdString();
}

/** encodeURIComponent-like: '+', '/', '=' percent-encoded. */
std::string urlEncode(const std::string& in)
{
    return QUrl::toPercentEncoding(QString::fromStdString(in)).toStdString();
}

HttpRequest makeRequest(const std::string& method, const std::string& target, Headers headers, std::string body)
{
    HttpRequest r;
    r.method = method;
    const std::size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? std::string() : target.substr(q + 1);
    r.headers = std::move(headers);
    r.body = std::move(body);
    r.peer = "127.0.0.1:50000";
    return r;
}

std::string joined(const std::vector<Json>& events, const char* key)
{
    std::string out;
    for (const Json& e : events) {
        if (!out.empty())
            out += '|';
        auto it = e.find(key);
        if (it == e.end())
            out += "<absent>";
        else
            out += it->is_string() ? it->get<std::string>() : it->dump();
    }
    return out;
}

std::string readFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().toStdString();
}

// ---- shape × encoding matrix ------------------------------------------------------------------

struct Shape
{
    const char* name;
    const char* path;
    const char* json;
    const char* shape;
    const char* names;
    const char* distinctIds;
    const char* tokens;
    const char* timestamps;
    const char* authorization; // for v1
};

const Shape kShapes[] = {
    {"object", "/e/",
        R"({"event":"signup","distinct_id":"u1","api_key":"phc_obj","uuid":"0190-0001","timestamp":"2026-01-02T03:04:05.678Z","properties":{"plan":"pr\u00e9","$lib":"web","$lib_version":"1.0.0"}})",
        "object", "signup", "u1", "phc_obj", "2026-01-02T03:04:05.678Z", nullptr},
    {"array", "/e/",
        R"([{"event":"a","timestamp":"2026-01-02T03:04:05.000Z","properties":{"distinct_id":"u2","token":"phc_arr"}},{"event":"b","timestamp":"2026-01-02T03:04:06.000Z","properties":{"distinct_id":"u2","token":"phc_arr","emoji":"🙂"}}])",
        "array", "a|b", "u2|u2", "phc_arr|phc_arr", "2026-01-02T03:04:05.000Z|2026-01-02T03:04:06.000Z", nullptr},
    {"batch", "/batch/",
        R"({"api_key":"phc_batch","batch":[{"event":"e1","distinct_id":"u3","timestamp":"2026-01-01T00:00:00.000Z","properties":{"$lib":"posthog-node"}},{"event":"e2","distinct_id":"u3","timestamp":"2026-01-01T00:00:01.000Z"},{"event":"e3","distinct_id":42,"timestamp":"2026-01-01T00:00:02.000Z"}],"sent_at":"2026-01-01T00:00:03.000Z"})",
        "batch", "e1|e2|e3", "u3|u3|42", "phc_batch|phc_batch|phc_batch",
        "2026-01-01T00:00:00.000Z|2026-01-01T00:00:01.000Z|2026-01-01T00:00:02.000Z", nullptr},
    {"engage", "/engage/", R"({"$set":{"email":"a@b.c"},"$token":"phc_engage","$distinct_id":"u4"})", "engage",
        "$identify", "u4", "phc_engage", "<absent>", nullptr},
    {"v1", "/i/v1/analytics/events",
        R"({"created_at":"2026-01-01T00:00:00.000Z","batch":[{"event":"v1_event","uuid":"0190-0005","distinct_id":"u5","timestamp":"2026-01-01T00:00:00.000Z","options":{},"properties":{"$set":{"a":1}}}]})",
        "v1", "v1_event", "u5", "phc_v1", "2026-01-01T00:00:00.000Z", "Bearer phc_v1"},
    {"recording", "/s/",
        R"([{"event":"$snapshot","timestamp":"2026-01-01T00:00:00.000Z","sent_at":"2026-01-01T00:00:01.000Z","properties":{"$snapshot_data":[{"type":2,"data":{}}],"$snapshot_bytes":20,"$session_id":"s1","$window_id":"w1","distinct_id":"u6","token":"phc_rec"}},{"event":"$snapshot","timestamp":"2026-01-01T00:00:00.500Z","properties":{"$snapshot_data":[],"$session_id":"s1","$window_id":"w1","distinct_id":"u6","token":"phc_rec"}}])",
        "array", "$snapshot|$snapshot", "u6|u6", "phc_rec|phc_rec", "2026-01-01T00:00:00.000Z|2026-01-01T00:00:00.500Z",
        nullptr},
};

const char* const kEncodings[] = {"json", "text-plain", "ce-gzip", "query-gzip-js", "gzip-sniff", "ce-deflate",
    "form-base64", "form-base64-compression-in-form", "form-no-hint", "form-base64-gzip", "bare-base64", "query-data"};

/** Builds the request for one shape sent with one encoding; \a expectedEncoding receives DecodeResult::encoding. */
HttpRequest encodeRequest(const Shape& s, const std::string& enc, std::string& expectedEncoding)
{
    const std::string json = s.json;
    Headers h;
    if (s.authorization)
        h.emplace_back("Authorization", s.authorization);
    h.emplace_back("User-Agent", "tst_decode/1.0");
    const std::string path = s.path;
    if (enc == "json") {
        h.emplace_back("Content-Type", "application/json");
        expectedEncoding = "json";
        return makeRequest("POST", path, h, json);
    }
    if (enc == "text-plain") {
        h.emplace_back("Content-Type", "text/plain;charset=UTF-8");
        expectedEncoding = "json";
        return makeRequest("POST", path, h, json);
    }
    if (enc == "ce-gzip") {
        h.emplace_back("Content-Type", "application/json");
        h.emplace_back("content-encoding", "gzip");
        expectedEncoding = "gzip";
        return makeRequest("POST", path, h, gzipBytes(json));
    }
    if (enc == "query-gzip-js") {
        h.emplace_back("Content-Type", "text/plain");
        expectedEncoding = "gzip";
        return makeRequest("POST", path + "?ip=0&_=1767225600000&ver=1.200.0&compression=gzip-js", h, gzipBytes(json));
    }
    if (enc == "gzip-sniff") {
        h.emplace_back("Content-Type", "text/plain");
        expectedEncoding = "gzip";
        return makeRequest("POST", path, h, gzipBytes(json));
    }
    if (enc == "ce-deflate") {
        h.emplace_back("Content-Type", "application/json");
        h.emplace_back("Content-Encoding", "deflate");
        expectedEncoding = "gzip";
        return makeRequest("POST", path, h, zlibBytes(json));
    }
    if (enc == "form-base64") {
        h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        expectedEncoding = "form+base64";
        return makeRequest("POST", path + "?compression=base64", h, "data=" + urlEncode(base64(json)));
    }
    if (enc == "form-base64-compression-in-form") {
        h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        expectedEncoding = "form+base64";
        return makeRequest("POST", path, h, "data=" + urlEncode(base64(json)) + "&compression=base64");
    }
    if (enc == "form-no-hint") {
        h.emplace_back("Content-Type", "text/plain"); // recognised by the leading data=
        expectedEncoding = "form+base64";
        return makeRequest("POST", path, h, "data=" + urlEncode(base64(json)));
    }
    if (enc == "form-base64-gzip") {
        h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        expectedEncoding = "form+base64+gzip";
        return makeRequest("POST", path + "?compression=base64", h, "data=" + urlEncode(base64(gzipBytes(json))));
    }
    if (enc == "bare-base64") {
        h.emplace_back("Content-Type", "text/plain");
        expectedEncoding = "base64";
        return makeRequest("POST", path, h, base64(json));
    }
    if (enc == "query-data") {
        expectedEncoding = "query+base64";
        // v1 is POST-only; the others accept the legacy GET ...?data=<base64>
        const std::string method = std::string(s.name) == "v1" ? "POST" : "GET";
        return makeRequest(method, path + "?data=" + urlEncode(base64(json)) + "&ver=1.0", h, std::string());
    }
    qFatal("unknown encoding");
    return {};
}

// ---- fixtures for malformed input -------------------------------------------------------------

const std::string kEvent = R"({"event":"ok","distinct_id":"u","properties":{"k":"v"}})";

std::string nested(std::size_t depth, bool objects)
{
    std::string s;
    s.reserve(depth * 6 + 8);
    for (std::size_t i = 0; i < depth; ++i)
        s += objects ? "{\"a\":" : "[";
    s += "1";
    for (std::size_t i = 0; i < depth; ++i)
        s += objects ? "}" : "]";
    return s;
}

/** An event whose total JSON nesting depth is exactly \a depth (>= 3). */
std::string eventWithDepth(int depth)
{
    // depth 1 = event object, 2 = properties, then depth-2 more nested objects
    std::string props = nested(static_cast<std::size_t>(depth - 1), true);
    return R"({"event":"deep","distinct_id":"u","properties":)" + props + "}";
}

} // namespace

class TestDecode : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void textHelpers()
    {
        QCOMPARE(el::hexDigitValue('7'), 7);
        QCOMPARE(el::hexDigitValue('b'), 11);
        QCOMPARE(el::hexDigitValue('F'), 15);
        QCOMPARE(el::hexDigitValue('g'), -1);
        QCOMPARE(el::percentDecode("a+b%20c%zz%4", true), std::string("a b c%zz%4"));
        QCOMPARE(el::percentDecode("a+b%2Fc", false), std::string("a+b/c"));
        QCOMPARE(el::formDecode("data=%7B%7D&x=1+2"), std::string("data={}&x=1 2"));
        QCOMPARE(el::jsonPointerEscape("a/b~c"), std::string("a~1b~0c"));
        QCOMPARE(el::lineColumn("ab\ncd", 0), std::string("line 1, column 1"));
        QCOMPARE(el::lineColumn("ab\ncd", 4), std::string("line 2, column 2"));
        QCOMPARE(el::lineColumn("ab", 99), std::string("line 1, column 3"));
    }
    void findPointer()
    {
        // el::findPointer against nlohmann's json_pointer (contains, then at), the reference, on every pointer below.
        const el::Json doc = el::Json::parse(
            R"({"a":{"b":[10,{"c":null},[]],"x/y":1,"m~n":2,"":3,"~":{"":4}},"arr":[0,1,2,3,4,5,6,7,8,9,10,11],"s":"t"})");
        const std::vector<std::string> pointers = {"", "/a", "/a/b", "/a/b/0", "/a/b/1", "/a/b/1/c", "/a/b/1/c/d",
            "/a/b/2", "/a/b/3", "/a/b/-", "/a/b/01", "/a/b/+1", "/a/b/1e0", "/a/b/", "/a/x~1y", "/a/x/y", "/a/m~0n",
            "/a/m~n", "/a/m~2n", "/a/m~", "/a/", "/a/~0", "/a/~0/", "/arr/10", "/arr/11", "/arr/12",
            "/arr/99999999999999999999", "/arr/0/x", "/s", "/s/0", "/missing", "a", "a/b", "//", "/a//"};
        for (const std::string& p : pointers) {
            const el::Json* expected = nullptr;
            try {
                const el::Json::json_pointer ptr(p);
                if (doc.contains(ptr))
                    expected = &doc.at(ptr);
            } catch (const std::exception&) {
                expected = nullptr;
            }
            QVERIFY2(el::findPointer(doc, p) == expected, p.c_str());
        }
        QVERIFY(el::findPointer(doc, "/a/b/1/c") != nullptr); // present, null: found
        QVERIFY(el::findPointer(doc, "/a/b/1/c")->is_null());
        QCOMPARE(el::findPointer(doc, "/a/~0/")->get<int>(), 4);
    }
    void classify_data();
    void classify();

    void requestHelpers_data();
    void requestHelpers();

    void shapesAndEncodings_data();
    void shapesAndEncodings();

    void legacyAndNormalisation_data();
    void legacyAndNormalisation();

    void wireCaptures_data();
    void wireCaptures();

    void malformed_data();
    void malformed();

    void gunzipDirect_data();
    void gunzipDirect();

    void parseJsonDirect_data();
    void parseJsonDirect();

    void neverCrashes_data();
    void neverCrashes();

    void makeEventExtraction_data();
    void makeEventExtraction();

    void eventToJson();
    void rejectedToJson();

    void compactJsonMatchesDump_data();
    void compactJsonMatchesDump();

    void packedFields_data();
    void packedFields();
    void sourcesAreShared();

    void isoParse_data();
    void isoParse();
    void isoWrite();
    void utilHelpers();
};

// ---------------------------------------------------------------------------------------------

void TestDecode::classify_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("expected");
    QTest::addColumn<QByteArray>("token");

    struct Row
    {
        const char* path;
        Endpoint e;
        const char* token;
    };
    const Row rows[] = {
        {"/e/", Endpoint::Capture, ""},
        {"/e", Endpoint::Capture, ""},
        {"/e/?compression=gzip-js&ver=1.2", Endpoint::Capture, ""},
        {"/e?retry_count=1", Endpoint::Capture, ""},
        {"/i/v0/e/", Endpoint::Capture, ""},
        {"/i/v0/e", Endpoint::Capture, ""},
        {"/i/v0/e/?retry_count=2", Endpoint::Capture, ""},
        {"/capture/", Endpoint::Capture, ""},
        {"/capture", Endpoint::Capture, ""},
        {"/track/", Endpoint::Capture, ""},
        {"/track?data=abc", Endpoint::Capture, ""},
        {"/engage/", Endpoint::Engage, ""},
        {"/engage", Endpoint::Engage, ""},
        {"/batch/", Endpoint::Batch, ""},
        {"/batch", Endpoint::Batch, ""},
        {"/batch/?x=1#frag", Endpoint::Batch, ""},
        {"/s/", Endpoint::Recording, ""},
        {"/s", Endpoint::Recording, ""},
        {"/s/?compression=gzip-js", Endpoint::Recording, ""},
        {"/i/v1/analytics/events", Endpoint::CaptureV1, ""},
        {"/i/v1/analytics/events/", Endpoint::CaptureV1, ""},
        {"/i/v0/ai/batch/", Endpoint::Ai, ""},
        {"/i/v0/ai/batch", Endpoint::Ai, ""},
        {"/i/v0/ai", Endpoint::Ai, ""},
        {"/flags/", Endpoint::Flags, ""},
        {"/flags", Endpoint::Flags, ""},
        {"/flags/?v=2&config=true", Endpoint::Flags, ""},
        {"/decide/", Endpoint::Decide, ""},
        {"/decide/?v=4", Endpoint::Decide, ""},
        {"/decide", Endpoint::Decide, ""},
        {"/array/phc_abc/config", Endpoint::RemoteConfig, "phc_abc"},
        {"/array/phc_abc/config/", Endpoint::RemoteConfig, "phc_abc"},
        {"/array/phc_abc/config?ip=0", Endpoint::RemoteConfig, "phc_abc"},
        {"/array/phc_abc/config.js", Endpoint::RemoteConfigJs, "phc_abc"},
        {"/array/phc_abc/config.js?v=1", Endpoint::RemoteConfigJs, "phc_abc"},
        {"/array//config", Endpoint::Unknown, ""},
        {"/array/phc_abc", Endpoint::Unknown, ""},
        {"/array/phc_abc/other", Endpoint::Unknown, ""},
        {"/static/recorder.js?v=1.449.2", Endpoint::Static, ""},
        {"/static/1.449.2/surveys.js", Endpoint::Static, ""},
        {"/static/", Endpoint::Static, ""},
        {"/eventlens/v1/events", Endpoint::Api, ""},
        {"/eventlens/v1/events?since=3", Endpoint::Api, ""},
        {"/eventlens/v1", Endpoint::Api, ""},
        {"/", Endpoint::Unknown, ""},
        {"", Endpoint::Unknown, ""},
        {"/E/", Endpoint::Unknown, ""},
        {"/ee/", Endpoint::Unknown, ""},
        {"/e//", Endpoint::Unknown, ""},
        {"/api/surveys/", Endpoint::Unknown, ""},
        {"/flags/definitions", Endpoint::Unknown, ""},
        {"/eventlens/v2/x", Endpoint::Unknown, ""},
        {"e/", Endpoint::Unknown, ""},
    };
    for (const Row& r : rows)
        QTest::addRow("%s", *r.path ? r.path : "<empty>")
            << QByteArray(r.path) << static_cast<int>(r.e) << QByteArray(r.token);
}

void TestDecode::classify()
{
    QFETCH(QByteArray, path);
    QFETCH(int, expected);
    QFETCH(QByteArray, token);
    std::string tok = "stale";
    const Endpoint e = classifyPath(str(path), &tok);
    QCOMPARE(static_cast<int>(e), expected);
    QCOMPARE(QByteArray::fromStdString(tok), token);
    QCOMPARE(static_cast<int>(classifyPath(str(path))), expected); // token pointer optional

    const bool ingest = e == Endpoint::Capture || e == Endpoint::Engage || e == Endpoint::Batch
        || e == Endpoint::Recording || e == Endpoint::CaptureV1 || e == Endpoint::Ai;
    QCOMPARE(isIngestEndpoint(e), ingest);
}

// ---------------------------------------------------------------------------------------------

void TestDecode::requestHelpers_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<bool>("present");
    QTest::addColumn<QByteArray>("value");

    QTest::addRow("simple") << QByteArray("a=1&b=2") << QByteArray("b") << true << QByteArray("2");
    QTest::addRow("missing") << QByteArray("a=1&b=2") << QByteArray("c") << false << QByteArray();
    QTest::addRow("empty query") << QByteArray("") << QByteArray("a") << false << QByteArray();
    QTest::addRow("no value") << QByteArray("beacon&a=1") << QByteArray("beacon") << true << QByteArray("");
    QTest::addRow("empty value") << QByteArray("data=&a=1") << QByteArray("data") << true << QByteArray("");
    QTest::addRow("first wins") << QByteArray("a=1&a=2") << QByteArray("a") << true << QByteArray("1");
    QTest::addRow("percent") << QByteArray("d=%7B%22k%22%3A1%7D") << QByteArray("d") << true << QByteArray("{\"k\":1}");
    QTest::addRow("plus is space") << QByteArray("q=a+b") << QByteArray("q") << true << QByteArray("a b");
    QTest::addRow("encoded plus") << QByteArray("q=a%2Bb") << QByteArray("q") << true << QByteArray("a+b");
    QTest::addRow("encoded key") << QByteArray("comp%72ession=gzip") << QByteArray("compression") << true
                                 << QByteArray("gzip");
    QTest::addRow("broken percent kept") << QByteArray("q=100%&r=%zz") << QByteArray("q") << true << QByteArray("100%");
    QTest::addRow("broken percent 2") << QByteArray("q=100%&r=%zz") << QByteArray("r") << true << QByteArray("%zz");
    QTest::addRow("leading ?") << QByteArray("?a=1") << QByteArray("a") << true << QByteArray("1");
    QTest::addRow("empty pairs") << QByteArray("&&a=1&") << QByteArray("a") << true << QByteArray("1");
    QTest::addRow("utf8") << QByteArray("n=%C3%A9") << QByteArray("n") << true << QByteArray("\xC3\xA9");
}

void TestDecode::requestHelpers()
{
    QFETCH(QByteArray, query);
    QFETCH(QByteArray, name);
    QFETCH(bool, present);
    QFETCH(QByteArray, value);

    HttpRequest r = makeRequest("POST", "/e/", {{"Content-Type", "text/plain"}, {"X-Dup", "1"}, {"x-dup", "2"}}, "");
    r.query = str(query);
    const auto v = r.queryValue(str(name));
    QCOMPARE(v.has_value(), present);
    if (present)
        QCOMPARE(QByteArray::fromStdString(*v), value);

    QCOMPARE(r.header("content-type"), std::string("text/plain"));
    QCOMPARE(r.header("CONTENT-TYPE"), std::string("text/plain"));
    QCOMPARE(r.header("X-DUP"), std::string("1"));
    QCOMPARE(r.header("Content-Length"), std::string());
    QCOMPARE(r.header(""), std::string());
}

// ---------------------------------------------------------------------------------------------

void TestDecode::shapesAndEncodings_data()
{
    QTest::addColumn<int>("shapeIndex");
    QTest::addColumn<QByteArray>("encoding");
    for (int i = 0; i < static_cast<int>(std::size(kShapes)); ++i) {
        for (const char* enc : kEncodings)
            QTest::addRow("%s/%s", kShapes[i].name, enc) << i << QByteArray(enc);
    }
}

void TestDecode::shapesAndEncodings()
{
    QFETCH(int, shapeIndex);
    QFETCH(QByteArray, encoding);
    const Shape& s = kShapes[shapeIndex];
    std::string expectedEncoding;
    const HttpRequest req = encodeRequest(s, str(encoding), expectedEncoding);
    const Endpoint endpoint = classifyPath(req.path);
    QVERIFY(isIngestEndpoint(endpoint));

    const DecodeResult r = decodeIngest(req, endpoint);
    QVERIFY2(r.ok(), r.error.c_str());
    QCOMPARE(r.status, 200);
    QVERIFY(r.error.empty());
    QCOMPARE(r.shape, std::string(s.shape));
    // With no DOM (decodeIngestFlat()): the same answer and Events; only an engage body is left to the DOM.
    int viaFlat = 0;
    const std::string flatDiff = elflat::flatDecodeDisagrees(req, endpoint, {}, &viaFlat);
    QVERIFY2(flatDiff.empty(), flatDiff.c_str());
    QCOMPARE(viaFlat, std::string(s.shape) == "engage" ? 0 : 1);
    QCOMPARE(r.encoding, expectedEncoding);
    QCOMPARE(joined(r.events, "event"), std::string(s.names));
    QCOMPARE(joined(r.events, "distinct_id"), std::string(s.distinctIds));
    QCOMPARE(joined(r.events, "token"), std::string(s.tokens));
    QCOMPARE(joined(r.events, "timestamp"), std::string(s.timestamps));

    // the decoded body is the JSON text, byte for byte
    QCOMPARE(r.decodedBody, std::string(s.json));
    for (const Json& e : r.events) {
        QVERIFY(e.is_object());
        QVERIFY(e.at("properties").is_object());
    }

    // every event converts into an Event whose JSON can be serialised
    qint64 seq = 1;
    for (const Json& doc : r.events) {
        const Event ev = makeEvent(doc, req, seq++, 7, 1000);
        QCOMPARE(ev.endpoint(), req.path);
        QCOMPARE(ev.userAgent(), std::string("tst_decode/1.0"));
        QCOMPARE(ev.recording, std::string(s.name) == "recording");
        QVERIFY(!ev.toJson().dump().empty());
    }
}

// ---------------------------------------------------------------------------------------------

void TestDecode::legacyAndNormalisation_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QStringList>("checks"); // "<json pointer into events[i]>=<expected JSON or <absent>>"

    const QByteArray form("application/x-www-form-urlencoded");
    const QByteArray text("text/plain");

    QTest::addRow("offset with batch sent_at")
        << QByteArray("POST") << QByteArray("/e/") << text
        << QByteArray(
               R"({"batch":[{"event":"a","offset":1500,"properties":{"distinct_id":"d","token":"t"}}],"sent_at":"2026-03-01T10:00:00.000Z"})")
        << QStringList {QStringLiteral("/0/timestamp=\"2026-03-01T09:59:58.500Z\""), QStringLiteral("/0/offset=1500"),
               QStringLiteral("/0/token=\"t\""), QStringLiteral("/0/distinct_id=\"d\"")};
    QTest::addRow("offset with event sent_at (recording)")
        << QByteArray("POST") << QByteArray("/s/") << text
        << QByteArray(
               R"([{"event":"$snapshot","offset":10,"sent_at":"2026-03-01T10:00:00.000+02:00","properties":{"distinct_id":"d"}}])")
        << QStringList {QStringLiteral("/0/timestamp=\"2026-03-01T07:59:59.990Z\"")};
    QTest::addRow("offset with query _ (legacy array)")
        << QByteArray("POST") << QByteArray("/e/?ip=0&_=1767225600000&ver=1.261.0") << text
        << QByteArray(
               R"([{"event":"a","offset":250,"properties":{"distinct_id":"d1","token":"phc_p"}},{"event":"b","offset":0,"properties":{"distinct_id":"d1","token":"phc_p"}}])")
        << QStringList {QStringLiteral("/0/timestamp=\"2025-12-31T23:59:59.750Z\""),
               QStringLiteral("/1/timestamp=\"2026-01-01T00:00:00.000Z\""), QStringLiteral("/0/token=\"phc_p\""),
               QStringLiteral("/1/distinct_id=\"d1\"")};
    QTest::addRow("offset with query sent_at ms")
        << QByteArray("POST") << QByteArray("/e/?sent_at=1767225600000") << text
        << QByteArray(R"([{"event":"a","offset":1000,"properties":{"distinct_id":"d"}}])")
        << QStringList {QStringLiteral("/0/timestamp=\"2025-12-31T23:59:59.000Z\"")};
    QTest::addRow("query _ before 2020 ignored")
        << QByteArray("POST") << QByteArray("/e/?_=1000") << text
        << QByteArray(R"([{"event":"a","offset":1000,"properties":{"distinct_id":"d"}}])")
        << QStringList {QStringLiteral("/0/timestamp=<absent>")};
    QTest::addRow("body sent_at beats query _")
        << QByteArray("POST") << QByteArray("/e/?_=1767225600000") << text
        << QByteArray(R"({"batch":[{"event":"a","offset":0}],"sent_at":"2026-06-01T00:00:00Z"})")
        << QStringList {QStringLiteral("/0/timestamp=\"2026-06-01T00:00:00.000Z\"")};
    QTest::addRow("timestamp kept over offset")
        << QByteArray("POST") << QByteArray("/e/?_=1767225600000") << text
        << QByteArray(R"([{"event":"a","offset":5,"timestamp":"2020-05-05T05:05:05+05:00"}])")
        << QStringList {QStringLiteral("/0/timestamp=\"2020-05-05T05:05:05+05:00\"")};
    QTest::addRow("no timestamp, no offset: stays absent")
        << QByteArray("POST") << QByteArray("/batch/") << QByteArray("application/json")
        << QByteArray(R"({"api_key":"k","batch":[{"event":"a","distinct_id":"u"}],"sent_at":"2026-06-01T00:00:00Z"})")
        << QStringList {QStringLiteral("/0/timestamp=<absent>"), QStringLiteral("/0/uuid=<absent>")};
    QTest::addRow("offset without reference time")
        << QByteArray("POST") << QByteArray("/e/") << text << QByteArray(R"([{"event":"a","offset":5}])")
        << QStringList {QStringLiteral("/0/timestamp=<absent>"), QStringLiteral("/0/offset=5")};
    QTest::addRow("distinct_id and token inside properties")
        << QByteArray("POST") << QByteArray("/e/") << text
        << QByteArray(
               R"({"event":"$pageview","properties":{"distinct_id":"anon-1","token":"phc_in_props","$lib":"web"}})")
        << QStringList {QStringLiteral("/0/distinct_id=\"anon-1\""), QStringLiteral("/0/token=\"phc_in_props\""),
               QStringLiteral("/0/properties/distinct_id=\"anon-1\"")};
    QTest::addRow("top-level distinct_id wins")
        << QByteArray("POST") << QByteArray("/e/") << text
        << QByteArray(R"({"event":"x","distinct_id":"top","properties":{"distinct_id":"inner"}})")
        << QStringList {QStringLiteral("/0/distinct_id=\"top\"")};
    QTest::addRow("$distinct_id alias") << QByteArray("POST") << QByteArray("/capture/") << text
                                        << QByteArray(R"({"event":"x","$distinct_id":"alias","$token":"phc_alias"})")
                                        << QStringList {QStringLiteral("/0/distinct_id=\"alias\""),
                                               QStringLiteral("/0/token=\"phc_alias\"")};
    QTest::addRow("null distinct_id falls back to properties")
        << QByteArray("POST") << QByteArray("/e/") << text
        << QByteArray(R"({"event":"x","distinct_id":null,"properties":{"distinct_id":"p"}})")
        << QStringList {QStringLiteral("/0/distinct_id=\"p\"")};
    QTest::addRow("numeric distinct_id stringified")
        << QByteArray("POST") << QByteArray("/batch/") << text
        << QByteArray(
               R"({"api_key":"k","batch":[{"event":"x","distinct_id":12345},{"event":"y","distinct_id":1.5},{"event":"z","distinct_id":true},{"event":"w","distinct_id":{"a":1}}]})")
        << QStringList {QStringLiteral("/0/distinct_id=\"12345\""), QStringLiteral("/1/distinct_id=\"1.5\""),
               QStringLiteral("/2/distinct_id=\"true\""), QStringLiteral("/3/distinct_id=\"{\\\"a\\\":1}\"")};
    QTest::addRow("no distinct_id anywhere stays absent")
        << QByteArray("POST") << QByteArray("/e/") << text << QByteArray(R"({"event":"x"})")
        << QStringList {QStringLiteral("/0/distinct_id=<absent>"), QStringLiteral("/0/token=<absent>"),
               QStringLiteral("/0/properties={}")};
    QTest::addRow("batch api_key beats event token")
        << QByteArray("POST") << QByteArray("/batch/") << text
        << QByteArray(R"({"api_key":"batch_key","batch":[{"event":"x","token":"ev","properties":{"token":"prop"}}]})")
        << QStringList {QStringLiteral("/0/token=\"batch_key\"")};
    QTest::addRow("batch token alias") << QByteArray("POST") << QByteArray("/batch/") << text
                                       << QByteArray(
                                              R"({"token":"tok","historical_migration":true,"batch":[{"event":"x"}]})")
                                       << QStringList {QStringLiteral("/0/token=\"tok\"")};
    QTest::addRow("single object api_key")
        << QByteArray("POST") << QByteArray("/capture/") << QByteArray("application/json")
        << QByteArray(R"({"api_key":"phc_server","event":"srv","distinct_id":"u","properties":{"token":"other"}})")
        << QStringList {QStringLiteral("/0/token=\"phc_server\"")};
    QTest::addRow("top-level $set/$set_once kept")
        << QByteArray("POST") << QByteArray("/e/") << text
        << QByteArray(
               R"([{"event":"$identify","$set":{"email":"e@x"},"$set_once":{"first":1},"properties":{"distinct_id":"u"}}])")
        << QStringList {QStringLiteral("/0/$set={\"email\":\"e@x\"}"), QStringLiteral("/0/$set_once={\"first\":1}")};
    QTest::addRow("null properties become {}")
        << QByteArray("POST") << QByteArray("/e/") << text << QByteArray(R"({"event":"x","properties":null})")
        << QStringList {QStringLiteral("/0/properties={}")};
    QTest::addRow("uuid kept, unknown fields kept")
        << QByteArray("POST") << QByteArray("/batch/") << text
        << QByteArray(
               R"({"api_key":"k","batch":[{"event":"x","uuid":"0190-aaaa","type":"capture","library":"posthog-node"}]})")
        << QStringList {QStringLiteral("/0/uuid=\"0190-aaaa\""), QStringLiteral("/0/type=\"capture\""),
               QStringLiteral("/0/library=\"posthog-node\"")};
    QTest::addRow("engage without token")
        << QByteArray("POST") << QByteArray("/engage") << text << QByteArray(R"({"$set":{"a":1},"distinct_id":"u"})")
        << QStringList {QStringLiteral("/0/event=\"$identify\""), QStringLiteral("/0/$set={\"a\":1}"),
               QStringLiteral("/0/properties={}")};
    QTest::addRow("engage endpoint with a named event stays named")
        << QByteArray("POST") << QByteArray("/engage/") << text << QByteArray(R"({"event":"$set","distinct_id":"u"})")
        << QStringList {QStringLiteral("/0/event=\"$set\"")};
    // "???>" is base64 "Pz8/Pg==", '+' appears in base64 of ">>>~" = "Pj4+fg=="
    QTest::addRow("form base64: '+' sent raw became space, restored")
        << QByteArray("POST") << QByteArray("/e/?compression=base64") << form
        << QByteArray("data=") + QByteArray(R"({"event":">>>~","x":"~~~>>>"})").toBase64().replace('=', "%3D")
        << QStringList {QStringLiteral("/0/event=\">>>~\""), QStringLiteral("/0/x=\"~~~>>>\"")};
    QTest::addRow("query data with raw '+'")
        << QByteArray("GET")
        << QByteArray("/e/?data=") + QByteArray(R"({"event":">>>~","x":"~~~>>>"})").toBase64() + "&ver=1"
        << QByteArray() << QByteArray() << QStringList {QStringLiteral("/0/event=\">>>~\"")};
    QTest::addRow("query data plain json (percent-encoded)")
        << QByteArray("GET") << QByteArray("/e/?data=%7B%22event%22%3A%22q%22%7D") << QByteArray() << QByteArray()
        << QStringList {QStringLiteral("/0/event=\"q\"")};
    QTest::addRow("query data wins over body")
        << QByteArray("POST") << QByteArray("/e/?data=%7B%22event%22%3A%22from_query%22%7D") << text
        << QByteArray(R"({"event":"from_body"})") << QStringList {QStringLiteral("/0/event=\"from_query\"")};
    QTest::addRow("empty query data falls back to body")
        << QByteArray("POST") << QByteArray("/e/?data=") << text << QByteArray(R"({"event":"from_body"})")
        << QStringList {QStringLiteral("/0/event=\"from_body\"")};
    QTest::addRow("form data plain json")
        << QByteArray("POST") << QByteArray("/e/") << form << QByteArray("data=%7B%22event%22%3A%22f%22%7D&ver=1.2")
        << QStringList {QStringLiteral("/0/event=\"f\"")};
    QTest::addRow("unknown compression value ignored")
        << QByteArray("POST") << QByteArray("/e/?compression=none") << text << QByteArray(R"({"event":"x"})")
        << QStringList {QStringLiteral("/0/event=\"x\"")};
    QTest::addRow("utf-8 and escapes") << QByteArray("POST") << QByteArray("/e/") << text
                                       << QByteArray(
                                              R"({"event":"caf\u00e9 \ud83d\ude00 ü","properties":{"nul":"a\u0000b"}})")
                                       << QStringList {QStringLiteral("/0/event=\"café 😀 ü\""),
                                              QStringLiteral("/0/properties/nul=\"a\\u0000b\"")};
    QTest::addRow("huge numbers")
        << QByteArray("POST") << QByteArray("/e/") << text
        << QByteArray(
               R"({"event":"n","properties":{"big":123456789012345678901234567890,"u":18446744073709551615,"neg":-9223372036854775808,"f":1e308}})")
        << QStringList {QStringLiteral("/0/properties/u=18446744073709551615"),
               QStringLiteral("/0/properties/neg=-9223372036854775808")};
    QTest::addRow("depth exactly 64 accepted")
        << QByteArray("POST") << QByteArray("/e/") << text << QByteArray::fromStdString(eventWithDepth(64))
        << QStringList {QStringLiteral("/0/event=\"deep\"")};
    QTest::addRow("whitespace around json")
        << QByteArray("POST") << QByteArray("/e/") << text << QByteArray(" \r\n\t{\"event\":\"ws\"}\n ")
        << QStringList {QStringLiteral("/0/event=\"ws\"")};
    QTest::addRow("object with both batch and event is a batch")
        << QByteArray("POST") << QByteArray("/e/") << text
        << QByteArray(R"({"event":"ignored","batch":[{"event":"inner"}]})")
        << QStringList {QStringLiteral("/0/event=\"inner\"")};
    QTest::addRow("ai batch")
        << QByteArray("POST") << QByteArray("/i/v0/ai/batch/") << QByteArray("application/json")
        << QByteArray(
               R"({"api_key":"k","batch":[{"event":"$ai_generation","distinct_id":"u","properties":{"$ai_model":"m"}}]})")
        << QStringList {QStringLiteral("/0/event=\"$ai_generation\""), QStringLiteral("/0/token=\"k\"")};
}

void TestDecode::legacyAndNormalisation()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(QStringList, checks);

    Headers h;
    if (!contentType.isEmpty())
        h.emplace_back("Content-Type", str(contentType));
    const HttpRequest req = makeRequest(str(method), str(target), h, str(body));
    const DecodeResult r = decodeIngest(req, classifyPath(req.path));
    QVERIFY2(r.ok(), r.error.c_str());
    const std::string flatDiff = elflat::flatDecodeDisagrees(req, classifyPath(req.path), {});
    QVERIFY2(flatDiff.empty(), flatDiff.c_str());
    const Json all(r.events);
    for (const QString& check : checks) {
        const int eq = check.indexOf(QLatin1Char('='));
        const std::string pointer = check.left(eq).toStdString();
        const std::string expected = check.mid(eq + 1).toStdString();
        const Json::json_pointer ptr(pointer);
        if (expected == "<absent>") {
            QVERIFY2(!all.contains(ptr), (pointer + " should be absent in " + all.dump()).c_str());
            continue;
        }
        QVERIFY2(all.contains(ptr), (pointer + " missing in " + all.dump()).c_str());
        const Json want = Json::parse(expected);
        QVERIFY2(all.at(ptr) == want, (pointer + ": got " + all.at(ptr).dump() + ", want " + want.dump()).c_str());
    }
}

// ---------------------------------------------------------------------------------------------

void TestDecode::wireCaptures_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("index");

    const QDir dir(QStringLiteral(EVENTLENS_TEST_DATA "/wire"));
    const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    QVERIFY2(files.size() >= 2, "tests/data/wire must hold the posthog-js and posthog-node captures");
    for (const QString& name : files) {
        const Json capture = Json::parse(readFile(dir.filePath(name)), nullptr, false);
        QVERIFY(capture.is_object() && capture.contains("log"));
        for (std::size_t i = 0; i < capture["log"].size(); ++i) {
            const Json& entry = capture["log"][i];
            QTest::addRow(
                "%s #%zu %s %s", qPrintable(name), i, entry.value("method", "").c_str(), entry.value("url", "").c_str())
                << dir.filePath(name) << static_cast<int>(i);
        }
    }
}

void TestDecode::wireCaptures()
{
    QFETCH(QString, file);
    QFETCH(int, index);
    const Json capture = Json::parse(readFile(file));
    const Json& entry = capture["log"][static_cast<std::size_t>(index)];

    // Rebuild the request as it was on the wire: the capture stores the decoded JSON plus whether it was gzip.
    Headers headers;
    for (const auto& [k, v] : entry["headers"].items()) {
        if (k != "content-length")
            headers.emplace_back(k, v.get<std::string>());
    }
    const Json& body = entry["body"];
    const Json& sent = body["json"];
    std::string raw = sent.dump();
    if (body.value("gzip", false))
        raw = gzipBytes(raw);
    HttpRequest req = makeRequest(entry["method"].get<std::string>(), entry["url"].get<std::string>(), headers, raw);

    const Endpoint endpoint = classifyPath(req.path);
    if (!isIngestEndpoint(endpoint)) {
        // the only non-ingest requests in the captures are feature-flag calls
        QCOMPARE(static_cast<int>(endpoint), static_cast<int>(Endpoint::Flags));
        return;
    }

    const DecodeResult r = decodeIngest(req, endpoint);
    QVERIFY2(r.ok(), r.error.c_str());
    QCOMPARE(r.encoding, std::string(body.value("gzip", false) ? "gzip" : "json"));
    int viaFlat = 0;
    const std::string flatDiff = elflat::flatDecodeDisagrees(req, endpoint, {}, &viaFlat);
    QVERIFY2(flatDiff.empty(), flatDiff.c_str());
    QCOMPARE(viaFlat, 1); // what real SDKs send is decoded with no DOM
    JSON_COMPARE(Json::parse(r.decodedBody), sent);

    // expected events, straight from the capture
    Json expected = sent.is_array() ? sent : sent.contains("batch") ? sent["batch"] : Json::array({sent});
    QCOMPARE(r.events.size(), expected.size());
    const std::string apiKey = sent.value("api_key", "");
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const Json& want = expected[i];
        const Json& got = r.events[i];
        JSON_COMPARE(got["event"], want["event"]);
        QCOMPARE(got.value("uuid", ""), want.value("uuid", ""));
        QCOMPARE(got.value("timestamp", ""), want.value("timestamp", ""));
        JSON_COMPARE(got["properties"], want["properties"]);
        const std::string did = want.contains("distinct_id") ? want["distinct_id"].get<std::string>()
                                                             : want["properties"]["distinct_id"].get<std::string>();
        QCOMPARE(got.value("distinct_id", ""), did);
        QCOMPARE(got.value("token", ""), apiKey);
        for (const char* key : {"$set", "$set_once"}) {
            QCOMPARE(got.contains(key), want.contains(key));
            if (want.contains(key))
                JSON_COMPARE(got[key], want[key]);
        }

        const Event ev = makeEvent(got, req, static_cast<qint64>(i + 1), 1, 0);
        QCOMPARE(ev.name(), want["event"].get<std::string>());
        QCOMPARE(ev.distinctId(), did);
        QCOMPARE(ev.apiKey(), apiKey);
        QCOMPARE(ev.lib(), want["properties"]["$lib"].get<std::string>());
        QCOMPARE(ev.libVersion(), want["properties"]["$lib_version"].get<std::string>());
        QCOMPARE(ev.userAgent(), entry["headers"]["user-agent"].get<std::string>());
        QVERIFY(!ev.runtimeType()); // real SDKs do not send runtime_type: must not be invented
        QVERIFY(!ev.runId());
        QVERIFY(!ev.recording);
        const Json j = ev.toJson();
        QVERIFY(!j.contains("runtime_type"));
        JSON_COMPARE(j["properties"], want["properties"]);
    }
}

// ---------------------------------------------------------------------------------------------

void TestDecode::malformed_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("contentEncoding");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("maxBytes"); // 0 = default limits
    QTest::addColumn<int>("maxEvents");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("errorContains");

    const QByteArray post("POST"), e("/e/"), text("text/plain"), json("application/json"), none;
    const QByteArray form("application/x-www-form-urlencoded");
    const auto B = [](const std::string& s) { return QByteArray::fromStdString(s); };
    const std::string gz = gzipBytes(kEvent);
    const QByteArray kEv = B(kEvent);

    // empty / missing payload
    QTest::addRow("empty body") << post << e << text << none << QByteArray() << 0 << 0 << 400
                                << QByteArray("request missing data payload");
    QTest::addRow("GET without data") << QByteArray("GET") << QByteArray("/e/?ver=1") << none << none << QByteArray()
                                      << 0 << 0 << 400 << QByteArray("request missing data payload");
    QTest::addRow("whitespace body") << post << e << text << none << QByteArray("  \n") << 0 << 0 << 400
                                     << QByteArray("invalid JSON at byte");
    QTest::addRow("form without data field") << post << e << form << none << QByteArray("ip=1&_=1767225600000") << 0
                                             << 0 << 400 << QByteArray("expected form data in request payload");
    QTest::addRow("form with empty data") << post << e << form << none << QByteArray("data=&compression=base64") << 0
                                          << 0 << 400 << QByteArray("expected form data");

    // method / endpoint
    QTest::addRow("PUT") << QByteArray("PUT") << e << json << none << kEv << 0 << 0 << 405
                         << QByteArray("method PUT is not allowed");
    QTest::addRow("GET on v1") << QByteArray("GET") << QByteArray("/i/v1/analytics/events?data=e30%3D") << none << none
                               << QByteArray() << 0 << 0 << 405 << QByteArray("method GET is not allowed");
    QTest::addRow("flags is not ingest") << post << QByteArray("/flags/?v=2") << json << none << kEv << 0 << 0 << 400
                                         << QByteArray("not an event ingestion endpoint");

    // bad JSON
    QTest::addRow("truncated json") << post << e << text << none << QByteArray(R"({"event":)") << 0 << 0 << 400
                                    << QByteArray("invalid JSON at byte 9:");
    QTest::addRow("trailing comma") << post << e << text << none << QByteArray(R"({"event":"a",})") << 0 << 0 << 400
                                    << QByteArray("invalid JSON at byte 13:");
    QTest::addRow("trailing garbage") << post << e << text << none << QByteArray(R"({"event":"a"} x)") << 0 << 0 << 400
                                      << QByteArray("invalid JSON at byte 14: syntax error");
    QTest::addRow("single quotes") << post << e << text << none << QByteArray("{'event':'a'}") << 0 << 0 << 400
                                   << QByteArray("invalid JSON at byte 1");
    QTest::addRow("NaN") << post << e << text << none << QByteArray(R"({"event":"a","v":NaN})") << 0 << 0 << 400
                         << QByteArray("invalid JSON at byte");
    QTest::addRow("comment") << post << e << text << none << QByteArray("/*c*/{\"event\":\"a\"}") << 0 << 0 << 400
                             << QByteArray("invalid JSON at byte 0");
    QTest::addRow("lone surrogate escape") << post << e << text << none << QByteArray(R"({"event":"\ud800"})") << 0 << 0
                                           << 400 << QByteArray("invalid JSON at byte");
    QTest::addRow("bad escape") << post << e << text << none << QByteArray(R"({"event":"\x"})") << 0 << 0 << 400
                                << QByteArray("invalid JSON at byte");
    QTest::addRow("number overflow") << post << e << text << none << QByteArray(R"({"event":"a","v":1e999})") << 0 << 0
                                     << 400 << QByteArray("number overflow");
    QTest::addRow("unclosed array") << post << e << text << none << QByteArray("[{\"event\":\"a\"}") << 0 << 0 << 400
                                    << QByteArray("invalid JSON at byte 14");

    // NUL bytes
    QTest::addRow("NUL after json") << post << e << text << none << kEv + QByteArray(1, '\0') << 0 << 0 << 400
                                    << QByteArray("invalid JSON at byte 55: raw NUL byte");
    QTest::addRow("NUL then second event")
        << post << e << text << none << kEv + QByteArray(1, '\0') + QByteArray(R"({"event":"smuggled"})") << 0 << 0
        << 400 << QByteArray("invalid JSON at byte 55: raw NUL byte");
    QTest::addRow("NUL inside string") << post << e << text << none << QByteArray("{\"event\":\"a\0b\"}", 15) << 0 << 0
                                       << 400 << QByteArray("invalid JSON at byte 11: raw NUL byte");
    QTest::addRow("NUL first") << post << e << text << none << QByteArray("\0{}", 3) << 0 << 0 << 400
                               << QByteArray("invalid JSON at byte 0");
    QTest::addRow("only NULs") << post << e << text << none << QByteArray(16, '\0') << 0 << 0 << 400
                               << QByteArray("invalid JSON at byte 0");

    // invalid UTF-8
    QTest::addRow("utf8 0xff") << post << e << text << none << QByteArray("{\"event\":\"a\xff\"}") << 0 << 0 << 400
                               << QByteArray("invalid UTF-8 in request payload at byte 11");
    QTest::addRow("utf8 overlong") << post << e << text << none << QByteArray("{\"event\":\"\xc0\xaf\"}") << 0 << 0
                                   << 400 << QByteArray("invalid UTF-8 in request payload at byte 10");
    QTest::addRow("utf8 surrogate") << post << e << text << none << QByteArray("{\"event\":\"\xed\xa0\x80\"}") << 0 << 0
                                    << 400 << QByteArray("invalid UTF-8 in request payload at byte 10");
    QTest::addRow("utf8 truncated at end") << post << e << text << none << QByteArray("{\"event\":\"a\"}\xe2\x82") << 0
                                           << 0 << 400 << QByteArray("invalid UTF-8 in request payload at byte 13");
    QTest::addRow("utf8 latin1 key") << post << e << text << none << QByteArray("{\"\xe9v\":1,\"event\":\"a\"}") << 0
                                     << 0 << 400 << QByteArray("invalid UTF-8");
    QTest::addRow("utf8 inside gzip") << post << e << text << none << B(gzipBytes("{\"event\":\"\xfe\xfe\"}")) << 0 << 0
                                      << 400 << QByteArray("invalid UTF-8 in request payload at byte 10");
    QTest::addRow("utf8 inside base64 form") << post << QByteArray("/e/?compression=base64") << form << none
                                             << "data=" + QByteArray("{\"event\":\"\x80\"}").toBase64() << 0 << 0 << 400
                                             << QByteArray("invalid UTF-8 in request payload");
    QTest::addRow("binary garbage") << post << e << QByteArray("application/octet-stream") << none
                                    << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) << 0 << 0 << 400
                                    << QByteArray("invalid UTF-8 in request payload at byte 0");

    // gzip
    {
        std::string truncated = gz.substr(0, gz.size() - 6);
        QTest::addRow("truncated gzip (trailer cut)")
            << post << e << text << none << B(truncated) << 0 << 0 << 400 << QByteArray("truncated");
        QTest::addRow("truncated gzip (half)") << post << e << text << none << B(gz.substr(0, gz.size() / 2)) << 0 << 0
                                               << 400 << QByteArray("invalid gzip data: truncated");
        QTest::addRow("gzip header only") << post << e << text << none << QByteArray("\x1f\x8b\x08", 3) << 0 << 0 << 400
                                          << QByteArray("invalid gzip data");
        QTest::addRow("gzip magic only") << post << e << text << none << QByteArray("\x1f\x8b", 2) << 0 << 0 << 400
                                         << QByteArray("invalid gzip data");
        std::string corrupt = gz;
        for (std::size_t i = 12; i < corrupt.size() - 8; i += 3)
            corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
        QTest::addRow("corrupt gzip") << post << e << text << none << B(corrupt) << 0 << 0 << 400
                                      << QByteArray("invalid gzip data: corrupt data");
        std::string badCrc = gz;
        badCrc[badCrc.size() - 8] = static_cast<char>(badCrc[badCrc.size() - 8] ^ 0xff);
        QTest::addRow("gzip bad crc") << post << e << text << none << B(badCrc) << 0 << 0 << 400
                                      << QByteArray("incorrect data check");
        std::string badMethod = gz;
        badMethod[2] = 7; // compression method must be 8
        QTest::addRow("gzip bad method") << post << e << text << none << B(badMethod) << 0 << 0 << 400
                                         << QByteArray("invalid gzip data");
        QTest::addRow("gzip trailing garbage") << post << e << text << none << B(gz + "garbage") << 0 << 0 << 400
                                               << QByteArray("7 bytes of unexpected data after the end");
        QTest::addRow("gzip hinted, plain body") << post << QByteArray("/e/?compression=gzip-js") << text << none << kEv
                                                 << 0 << 0 << 400 << QByteArray("not the gzip magic 1f 8b");
        QTest::addRow("Content-Encoding gzip, plain body")
            << post << QByteArray("/batch/") << json << QByteArray("gzip") << kEv << 0 << 0 << 400
            << QByteArray("Content-Encoding: gzip but the payload starts with bytes 7b 22 65 76");
        const std::string bomb = gzipBytes(std::string(8u * 1024u * 1024u, ' ') + kEvent);
        QTest::addRow("gzip bomb over limit") << post << e << text << none << B(bomb) << 1024 * 1024 << 0 << 413
                                              << QByteArray("larger than the limit of 1048576 bytes");
        QTest::addRow("gzip bomb hinted") << post << QByteArray("/batch/") << json << QByteArray("gzip") << B(bomb)
                                          << 64 * 1024 << 0 << 413 << QByteArray("larger than the limit");
        QTest::addRow("gzip just over limit")
            << post << e << text << none << B(gz) << static_cast<int>(kEvent.size() - 1) << 0 << 413
            << QByteArray("larger than the limit");
        QTest::addRow("plain payload over limit")
            << post << e << text << none << kEv << 10 << 0 << 413 << QByteArray("over the limit of 10 bytes");
        QTest::addRow("deep nesting gzipped") << post << e << text << none << B(gzipBytes(nested(100000, false))) << 0
                                              << 0 << 400 << QByteArray("JSON nesting deeper than 64");
    }

    // base64
    QTest::addRow("invalid base64 hinted")
        << post << QByteArray("/e/?compression=base64") << form << none << QByteArray("data=abc%24def") << 0 << 0 << 400
        << QByteArray("invalid base64: unexpected character '$' at byte 3");
    QTest::addRow("base64 truncated") << post << QByteArray("/e/?compression=base64") << form << none
                                      << QByteArray("data=eyJldmVud") << 0 << 0 << 400
                                      << QByteArray("invalid base64: truncated");
    QTest::addRow("base64 data after padding")
        << post << QByteArray("/e/?compression=b64") << form << none << QByteArray("data=e30%3DAAAA") << 0 << 0 << 400
        << QByteArray("data after '=' padding");
    QTest::addRow("base64 query data invalid")
        << QByteArray("GET") << QByteArray("/e/?data=%21%21%21&compression=base64") << none << none << QByteArray() << 0
        << 0 << 400 << QByteArray("invalid base64: unexpected character '!'");
    QTest::addRow("strict base64 looking, bad later")
        << post << e << text << none << QByteArray("eyJldmVudCI6ImEifQ==").append("@@@@") << 0 << 0 << 400
        << QByteArray("invalid JSON at byte");
    QTest::addRow("bare base64 of non-json") << post << e << text << none << QByteArray("hello world!").toBase64() << 0
                                             << 0 << 400 << QByteArray("invalid JSON at byte 0");

    // unsupported compression
    QTest::addRow("lz64 query") << post << QByteArray("/e/?compression=lz64") << form << none
                                << QByteArray("data=N4IgdghgtgpiBcIDOAHAJ") << 0 << 0 << 415
                                << QByteArray("lz64 compression is not supported");
    QTest::addRow("lz-string form") << post << e << form << none << QByteArray("data=abcd&compression=lz-string") << 0
                                    << 0 << 415 << QByteArray("lz64 compression is not supported");
    QTest::addRow("multipart ai") << post << QByteArray("/i/v0/ai") << QByteArray("multipart/form-data; boundary=x")
                                  << none << QByteArray("--x\r\n") << 0 << 0 << 415
                                  << QByteArray("multipart bodies (multipart/form-data) are not supported");
    QTest::addRow("brotli") << post << QByteArray("/batch/") << json << QByteArray("br") << kEv << 0 << 0 << 415
                            << QByteArray("unsupported content encoding (Content-Encoding: br)");

    // depth
    QTest::addRow("deep arrays 100000") << post << e << text << none << B(nested(100000, false)) << 0 << 0 << 400
                                        << QByteArray("JSON nesting deeper than 64 (at byte 64)");
    QTest::addRow("deep objects 100000") << post << e << text << none << B(nested(100000, true)) << 0 << 0 << 400
                                         << QByteArray("JSON nesting deeper than 64");
    QTest::addRow("unclosed deep 100000") << post << e << text << none << QByteArray(100000, '[') << 0 << 0 << 400
                                          << QByteArray("JSON nesting deeper than 64");
    QTest::addRow("event depth 65") << post << e << text << none << B(eventWithDepth(65)) << 0 << 0 << 400
                                    << QByteArray("JSON nesting deeper than 64");

    // shapes
    QTest::addRow("empty array") << post << e << text << none << QByteArray("[]") << 0 << 0 << 400
                                 << QByteArray("request holds no event");
    QTest::addRow("empty batch") << post << QByteArray("/batch/") << json << none
                                 << QByteArray(R"({"api_key":"k","batch":[]})") << 0 << 0 << 400
                                 << QByteArray("request holds no event");
    QTest::addRow("batch not array") << post << QByteArray("/batch/") << json << none
                                     << QByteArray(R"({"api_key":"k","batch":{"event":"a"}})") << 0 << 0 << 400
                                     << QByteArray("\"batch\" must be an array of events, got an object");
    QTest::addRow("non-object items") << post << e << text << none << QByteArray("[1,2]") << 0 << 0 << 400
                                      << QByteArray("event 0 is not a JSON object (got a number)");
    QTest::addRow("string item") << post << e << text << none << QByteArray(R"([{"event":"a"},"x"])") << 0 << 0 << 400
                                 << QByteArray("event 1 is not a JSON object (got a string)");
    QTest::addRow("null item in batch") << post << QByteArray("/batch/") << json << none
                                        << QByteArray(R"({"api_key":"k","batch":[null]})") << 0 << 0 << 400
                                        << QByteArray("event 0 is not a JSON object (got null)");
    QTest::addRow("nameless event 3")
        << post << QByteArray("/batch/") << json << none
        << QByteArray(R"({"api_key":"k","batch":[{"event":"a"},{"event":"b"},{"event":"c"},{"distinct_id":"u"}]})") << 0
        << 0 << 400 << QByteArray("event 3 has no \"event\" name");
    QTest::addRow("null name") << post << e << text << none << QByteArray(R"([{"event":null}])") << 0 << 0 << 400
                               << QByteArray("event 0 has no \"event\" name");
    QTest::addRow("numeric name") << post << e << text << none << QByteArray(R"({"event":5})") << 0 << 0 << 400
                                  << QByteArray("event 0 has an \"event\" name that is a number, not a string");
    QTest::addRow("empty name") << post << e << text << none << QByteArray(R"({"event":""})") << 0 << 0 << 400
                                << QByteArray("event 0 has an empty \"event\" name");
    QTest::addRow("properties array") << post << e << text << none << QByteArray(R"({"event":"a","properties":[1]})")
                                      << 0 << 0 << 400
                                      << QByteArray("event 0 has \"properties\" that is an array, not an object");
    QTest::addRow("properties string") << post << e << text << none << QByteArray(R"({"event":"a","properties":"x"})")
                                       << 0 << 0 << 400 << QByteArray("\"properties\" that is a string");
    const QByteArray shapeMsg("expected an event object, an array of events or {batch:[...]}");
    QTest::addRow("number") << post << e << text << none << QByteArray("42") << 0 << 0 << 400 << shapeMsg;
    QTest::addRow("number 5 digits") << post << e << text << none << QByteArray("12345") << 0 << 0 << 400 << shapeMsg;
    QTest::addRow("huge number") << post << e << text << none << QByteArray("123456789012345678901234567890123456789")
                                 << 0 << 0 << 400 << shapeMsg + ", got a number";
    QTest::addRow("string") << post << e << text << none << QByteArray("\"hello\"") << 0 << 0 << 400
                            << shapeMsg + ", got a string";
    QTest::addRow("null") << post << e << text << none << QByteArray("null") << 0 << 0 << 400
                          << shapeMsg + ", got null";
    QTest::addRow("true") << post << e << text << none << QByteArray("true") << 0 << 0 << 400
                          << shapeMsg + ", got a boolean";
    QTest::addRow("number 4 digits") << post << e << text << none << QByteArray("1234") << 0 << 0 << 400
                                     << shapeMsg + ", got a number";
    QTest::addRow("false") << post << e << text << none << QByteArray("false") << 0 << 0 << 400 << shapeMsg;
    QTest::addRow("nameless object on /e/") << post << e << text << none << QByteArray(R"({"foo":1})") << 0 << 0 << 400
                                            << QByteArray("without \"event\" or \"batch\"");
    QTest::addRow("nameless object on /batch/") << post << QByteArray("/batch/") << json << none
                                                << QByteArray(R"({"api_key":"k"})") << 0 << 0 << 400 << shapeMsg;
    QTest::addRow("engage array nameless")
        << post << QByteArray("/engage/") << json << none << QByteArray(R"([{"$set":{}}])") << 0 << 0 << 400
        << QByteArray("event 0 has no \"event\" name");
    QTest::addRow("v1 without batch") << post << QByteArray("/i/v1/analytics/events") << json << none << kEv << 0 << 0
                                      << 200 << QByteArray();
    QTest::addRow("too many events") << post << e << text << none
                                     << QByteArray(R"([{"event":"a"},{"event":"b"},{"event":"c"},{"event":"d"}])") << 0
                                     << 3 << 413 << QByteArray("too many events in one request: 4 (limit 3)");
    QTest::addRow("events at limit") << post << e << text << none
                                     << QByteArray(R"([{"event":"a"},{"event":"b"},{"event":"c"}])") << 0 << 3 << 200
                                     << QByteArray();
}

void TestDecode::malformed()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, contentEncoding);
    QFETCH(QByteArray, body);
    QFETCH(int, maxBytes);
    QFETCH(int, maxEvents);
    QFETCH(int, status);
    QFETCH(QByteArray, errorContains);

    Headers h;
    if (!contentType.isEmpty())
        h.emplace_back("Content-Type", str(contentType));
    if (!contentEncoding.isEmpty())
        h.emplace_back("Content-Encoding", str(contentEncoding));
    const HttpRequest req = makeRequest(str(method), str(target), h, str(body));
    DecodeLimits limits;
    if (maxBytes > 0)
        limits.maxDecompressedBytes = static_cast<std::size_t>(maxBytes);
    if (maxEvents > 0)
        limits.maxEventsPerRequest = static_cast<std::size_t>(maxEvents);

    const DecodeResult r = decodeIngest(req, classifyPath(req.path), limits);
    QVERIFY2(r.status == status, ("status " + std::to_string(r.status) + ", error: " + r.error).c_str());
    const std::string flatDiff = elflat::flatDecodeDisagrees(req, classifyPath(req.path), limits);
    QVERIFY2(flatDiff.empty(), flatDiff.c_str());
    if (status == 200) {
        QVERIFY(r.error.empty());
        QVERIFY(!r.events.empty());
        return;
    }
    QVERIFY(r.events.empty());
    QVERIFY2(r.error.find(str(errorContains)) != std::string::npos,
        ("error was: \"" + r.error + "\", expected to contain \"" + str(errorContains) + "\"").c_str());
    // error texts are shown in the UI / JSON API: they must serialise
    QVERIFY(!Json(r.error).dump().empty());
    QVERIFY(!Json(r.decodedBody).dump().empty());
}

// ---------------------------------------------------------------------------------------------

void TestDecode::gunzipDirect_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("maxBytes");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<bool>("tooLarge");
    QTest::addColumn<QByteArray>("output"); // expected output, or error substring

    const auto B = [](const std::string& s) { return QByteArray::fromStdString(s); };
    const std::string hello = "hello, gzip";
    QTest::addRow("gzip") << B(gzipBytes(hello)) << 1000 << true << false << B(hello);
    QTest::addRow("zlib") << B(zlibBytes(hello)) << 1000 << true << false << B(hello);
    QTest::addRow("two members") << B(gzipBytes("ab") + gzipBytes("cd")) << 1000 << true << false << QByteArray("abcd");
    QTest::addRow("zero padding") << B(gzipBytes(hello) + std::string(8, '\0')) << 1000 << true << false << B(hello);
    QTest::addRow("empty content") << B(gzipBytes("")) << 1000 << true << false << QByteArray();
    QTest::addRow("exactly at cap") << B(gzipBytes(hello)) << static_cast<int>(hello.size()) << true << false
                                    << B(hello);
    QTest::addRow("one over cap") << B(gzipBytes(hello)) << static_cast<int>(hello.size() - 1) << false << true
                                  << QByteArray("larger than the limit");
    QTest::addRow("bomb") << B(gzipBytes(std::string(50u * 1024u * 1024u, 'a'))) << 1 << false << true
                          << QByteArray("larger than the limit of 1 bytes");
    QTest::addRow("empty input") << QByteArray() << 1000 << false << false << QByteArray("empty compressed payload");
    QTest::addRow("plain text") << QByteArray("{\"a\":1}") << 1000 << false << false
                                << QByteArray("not gzip or zlib data");
    QTest::addRow("truncated") << B(gzipBytes(hello).substr(0, 15)) << 1000 << false << false
                               << QByteArray("truncated");
    std::string badCrc = gzipBytes(hello);
    badCrc[badCrc.size() - 5] ^= 1;
    QTest::addRow("bad crc") << B(badCrc) << 1000 << false << false << QByteArray("incorrect data check");
    std::string badLen = gzipBytes(hello);
    badLen[badLen.size() - 1] ^= 1;
    QTest::addRow("bad length") << B(badLen) << 1000 << false << false << QByteArray("incorrect length check");
    QTest::addRow("garbage member") << B(gzipBytes(hello) + "\x1f\x8bxx") << 1000 << false << false
                                    << QByteArray("corrupt data");
}

void TestDecode::gunzipDirect()
{
    QFETCH(QByteArray, input);
    QFETCH(int, maxBytes);
    QFETCH(bool, ok);
    QFETCH(bool, tooLarge);
    QFETCH(QByteArray, output);

    std::string out = "stale", error = "stale";
    bool large = !tooLarge;
    const bool result = gunzip(str(input), out, static_cast<std::size_t>(maxBytes), error, &large);
    QCOMPARE(result, ok);
    QCOMPARE(large, tooLarge);
    if (ok) {
        QCOMPARE(QByteArray::fromStdString(out), output);
        QVERIFY(error.empty());
    } else {
        QVERIFY(out.empty());
        QVERIFY2(error.find(str(output)) != std::string::npos, error.c_str());
    }
    // the out-parameter for tooLarge is optional
    std::string out2, error2;
    QCOMPARE(gunzip(str(input), out2, static_cast<std::size_t>(maxBytes), error2), ok);
}

// ---------------------------------------------------------------------------------------------

void TestDecode::parseJsonDirect_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("maxDepth");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QByteArray>("errorContains");

    QTest::addRow("object") << QByteArray(R"({"a":[1,2,{"b":null}]})") << 64 << true << QByteArray();
    QTest::addRow("scalar") << QByteArray("3.5") << 64 << true << QByteArray();
    QTest::addRow("depth 3 at cap 3") << QByteArray("[[[1]]]") << 3 << true << QByteArray();
    QTest::addRow("depth 4 over cap 3") << QByteArray("[[[[1]]]]") << 3 << false
                                        << QByteArray("JSON nesting deeper than 3 (at byte 3)");
    QTest::addRow("brackets in strings do not count")
        << QByteArray(R"(["[[[[[[","{{{{\"{{{"])") << 2 << true << QByteArray();
    QTest::addRow("empty") << QByteArray() << 64 << false << QByteArray("invalid JSON at byte 0: empty document");
    QTest::addRow("bad literal") << QByteArray("[tru]") << 64 << false << QByteArray("invalid JSON at byte 4:");
    QTest::addRow("invalid utf8 in string")
        << QByteArray("[\"\xff\"]") << 64 << false << QByteArray("invalid UTF-8 in a JSON string at byte 2");
    QTest::addRow("invalid utf8 in error text")
        << QByteArray("[\xff]") << 64 << false << QByteArray("invalid JSON at byte 1");
    QTest::addRow("deep 100000") << QByteArray::fromStdString(nested(100000, false)) << 64 << false
                                 << QByteArray("JSON nesting deeper than 64");
    QTest::addRow("duplicate keys: last wins") << QByteArray(R"({"a":1,"a":2})") << 64 << true << QByteArray();
    // Keys in order go in at the end without a search (fastjson.cpp); these take the other way, or both.
    QTest::addRow("sorted keys, then the last again")
        << QByteArray(R"({"a":1,"b":2,"c":3,"c":{"d":4}})") << 64 << true << QByteArray();
    QTest::addRow("sorted keys, then an earlier one again")
        << QByteArray(R"({"a":1,"b":2,"c":3,"a":[5]})") << 64 << true << QByteArray();
    QTest::addRow("keys out of order, then in order")
        << QByteArray(R"({"m":1,"b":2,"a":3,"z":4,"$x":5,"\u00e9":6,"e":7})") << 64 << true << QByteArray();
    QTest::addRow("prefix keys") << QByteArray(R"({"ab":1,"a":2,"abc":3,"":4,"a":5})") << 64 << true << QByteArray();
}

void TestDecode::parseJsonDirect()
{
    QFETCH(QByteArray, text);
    QFETCH(int, maxDepth);
    QFETCH(bool, ok);
    QFETCH(QByteArray, errorContains);

    Json out = Json("untouched");
    std::string error;
    QCOMPARE(parseJson(str(text), out, maxDepth, error), ok);
    if (ok) {
        QVERIFY(error.empty());
        JSON_COMPARE(out, Json::parse(str(text)));
    } else {
        JSON_COMPARE(out, Json("untouched"));
        QVERIFY2(error.find(str(errorContains)) != std::string::npos, error.c_str());
        QVERIFY(!Json(error).dump().empty()); // valid UTF-8
    }
}

// ---------------------------------------------------------------------------------------------

void TestDecode::neverCrashes_data()
{
    QTest::addColumn<QByteArray>("seedBody");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("contentType");

    const auto B = [](const std::string& s) { return QByteArray::fromStdString(s); };
    const std::string batch = kShapes[2].json;
    QTest::addRow("json") << B(batch) << QByteArray("/batch/") << QByteArray("application/json");
    QTest::addRow("gzip") << B(gzipBytes(batch)) << QByteArray("/batch/") << QByteArray("application/json");
    QTest::addRow("form base64") << B("data=" + urlEncode(base64(batch))) << QByteArray("/e/?compression=base64")
                                 << QByteArray("application/x-www-form-urlencoded");
    QTest::addRow("bare base64") << B(base64(gzipBytes(batch))) << QByteArray("/e/") << QByteArray("text/plain");
    QTest::addRow("engage") << B(kShapes[3].json) << QByteArray("/engage/") << QByteArray("application/json");
}

void TestDecode::neverCrashes()
{
    // Every prefix and a few thousand random mutations of valid requests: the decoder must answer, never crash or
    // throw, with a 200 or a 4xx carrying a message.
    QFETCH(QByteArray, seedBody);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, contentType);
    const std::string seed = str(seedBody);
    const auto check = [&](const std::string& body) {
        const HttpRequest req = makeRequest("POST", str(target), {{"Content-Type", str(contentType)}}, body);
        const DecodeResult r = decodeIngest(req, classifyPath(req.path));
        if (const std::string diff = elflat::flatDecodeDisagrees(req, classifyPath(req.path), {}); !diff.empty()) {
            qWarning("decodeIngestFlat() differs: %s", diff.c_str());
            return false;
        }
        if (r.ok())
            return !r.events.empty() && r.error.empty();
        return (r.status == 400 || r.status == 413 || r.status == 415) && !r.error.empty() && r.events.empty()
            && !Json(r.error).dump().empty() && !Json(r.decodedBody).dump().empty();
    };
    for (std::size_t n = 0; n <= seed.size(); ++n)
        QVERIFY2(check(seed.substr(0, n)), ("prefix of length " + std::to_string(n)).c_str());

    std::mt19937 rng(12345);
    for (int round = 0; round < 2000; ++round) {
        std::string body = seed;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < edits && !body.empty(); ++k) {
            const std::size_t at = rng() % body.size();
            switch (rng() % 3) {
            case 0:
                body[at] = static_cast<char>(rng() & 0xff);
                break;
            case 1:
                body.erase(at, 1 + rng() % 8);
                break;
            default:
                body.insert(at, 1, "{}[]\",:\\\x00\xff\x1f\x8b"[rng() % 12]);
                break;
            }
        }
        QVERIFY2(check(body), ("mutation round " + std::to_string(round)).c_str());
    }
}

// ---------------------------------------------------------------------------------------------

void TestDecode::makeEventExtraction_data()
{
    QTest::addColumn<QByteArray>("doc");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("userAgent");
    QTest::addColumn<QByteArray>("expected"); // JSON object of Event fields to compare; "runtime_type":"<absent>"

    QTest::addRow("posthog-node style")
        << QByteArray(
               R"({"event":"run_started","distinct_id":"u1","uuid":"0190-1","timestamp":"2026-01-01T00:00:00.000Z","token":"phc_x","properties":{"$lib":"posthog-node","$lib_version":"5.70.0","runtime_type":"cli","run_id":"r-1"}})")
        << QByteArray("/batch/") << QByteArray("posthog-node/5.70.0")
        << QByteArray(
               R"({"name":"run_started","distinct_id":"u1","uuid":"0190-1","timestamp":"2026-01-01T00:00:00.000Z","api_key":"phc_x","lib":"posthog-node","lib_version":"5.70.0","user_agent":"posthog-node/5.70.0","runtime_type":"cli","run_id":"r-1","recording":false})");
    QTest::addRow("runtime_type absent stays absent")
        << QByteArray(R"({"event":"e","properties":{"distinct_id":"anon","token":"phc_p"}})") << QByteArray("/e/")
        << QByteArray("Mozilla/5.0")
        << QByteArray(
               R"({"name":"e","distinct_id":"anon","uuid":"","timestamp":"","api_key":"phc_p","lib":"","lib_version":"","user_agent":"Mozilla/5.0","runtime_type":"<absent>","run_id":"<absent>","recording":false})");
    QTest::addRow("runtime_type number kept")
        << QByteArray(R"({"event":"e","properties":{"runtime_type":3,"run_id":42}})") << QByteArray("/e/")
        << QByteArray() << QByteArray(R"({"runtime_type":3,"run_id":42})");
    QTest::addRow("runtime_type object kept")
        << QByteArray(R"({"event":"e","properties":{"runtime_type":{"k":"desktop"}}})") << QByteArray("/e/")
        << QByteArray() << QByteArray(R"({"runtime_type":{"k":"desktop"},"run_id":"<absent>"})");
    QTest::addRow("runtime_type null kept as null")
        << QByteArray(R"({"event":"e","properties":{"runtime_type":null,"run_id":false}})") << QByteArray("/e/")
        << QByteArray() << QByteArray(R"({"runtime_type":null,"run_id":false})");
    QTest::addRow("top-level runtime_type is not a property")
        << QByteArray(R"({"event":"e","runtime_type":"cli","properties":{}})") << QByteArray("/e/") << QByteArray()
        << QByteArray(R"({"runtime_type":"<absent>"})");
    QTest::addRow("api key fallbacks: api_key")
        << QByteArray(R"({"event":"e","api_key":"k1","properties":{"token":"k2"}})") << QByteArray("/e/")
        << QByteArray() << QByteArray(R"({"api_key":"k1"})");
    QTest::addRow("api key fallbacks: properties.token")
        << QByteArray(R"({"event":"e","properties":{"token":"k2"}})") << QByteArray("/e/") << QByteArray()
        << QByteArray(R"({"api_key":"k2"})");
    QTest::addRow("distinct_id from properties, numeric")
        << QByteArray(R"({"event":"e","properties":{"distinct_id":7}})") << QByteArray("/e/") << QByteArray()
        << QByteArray(R"({"distinct_id":"7"})");
    QTest::addRow("snapshot is a recording")
        << QByteArray(R"({"event":"$snapshot","properties":{"$session_id":"s"}})") << QByteArray("/e/") << QByteArray()
        << QByteArray(R"({"recording":true})");
    QTest::addRow("anything on /s/ is a recording") << QByteArray(R"({"event":"other"})") << QByteArray("/s/")
                                                    << QByteArray() << QByteArray(R"({"recording":true})");
    QTest::addRow("/s without slash") << QByteArray(R"({"event":"other"})") << QByteArray("/s") << QByteArray()
                                      << QByteArray(R"({"recording":true})");
    QTest::addRow("plain event on /e/ is not a recording") << QByteArray(R"({"event":"other"})") << QByteArray("/e/")
                                                           << QByteArray() << QByteArray(R"({"recording":false})");
    QTest::addRow("properties not an object") << QByteArray(R"({"event":"e","properties":[1,2]})") << QByteArray("/e/")
                                              << QByteArray() << QByteArray(R"({"lib":"","runtime_type":"<absent>"})");
    QTest::addRow("not an object at all") << QByteArray(R"("string")") << QByteArray("/e/") << QByteArray()
                                          << QByteArray(R"({"name":"","runtime_type":"<absent>"})");
}

void TestDecode::makeEventExtraction()
{
    QFETCH(QByteArray, doc);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, userAgent);
    QFETCH(QByteArray, expected);

    Headers h;
    if (!userAgent.isEmpty())
        h.emplace_back("user-agent", str(userAgent));
    const HttpRequest req = makeRequest("POST", str(path), h, "");
    const Json input = Json::parse(str(doc));
    const Event e = makeEvent(input, req, 5, 9, 1234);
    QCOMPARE(e.seq, qint64(5));
    QCOMPARE(e.requestId, qint64(9));
    QCOMPARE(e.receivedMs, qint64(1234));
    QCOMPARE(e.endpoint(), str(path));
    if (input.is_object())
        JSON_COMPARE(e.doc(), input); // the normalised document is kept as is

    const Json want = Json::parse(str(expected));
    const auto field = [&](const std::string& key) -> std::optional<Json> {
        if (key == "name")
            return Json(e.name());
        if (key == "distinct_id")
            return Json(e.distinctId());
        if (key == "uuid")
            return Json(e.uuid());
        if (key == "timestamp")
            return Json(e.timestamp());
        if (key == "api_key")
            return Json(e.apiKey());
        if (key == "lib")
            return Json(e.lib());
        if (key == "lib_version")
            return Json(e.libVersion());
        if (key == "user_agent")
            return Json(e.userAgent());
        if (key == "recording")
            return Json(e.recording);
        if (key == "runtime_type")
            return e.runtimeType();
        if (key == "run_id")
            return e.runId();
        return Json("<unknown field>");
    };
    const Json j = e.toJson();
    for (const auto& [key, value] : want.items()) {
        const std::optional<Json> got = field(key);
        if (value == Json("<absent>")) {
            QVERIFY2(!got.has_value(), (key + " should be absent, got " + (got ? got->dump() : "")).c_str());
            QVERIFY2(!j.contains(key), (key + " must not appear in toJson()").c_str());
            continue;
        }
        QVERIFY2(got.has_value(), (key + " missing").c_str());
        QVERIFY2(*got == value, (key + ": got " + got->dump() + ", want " + value.dump()).c_str());
        const std::string jsonKey = key == "name" ? "event" : key;
        // toJson() shows a field the client did not send (empty) as null.
        const Json shown = value == Json("") && jsonKey != "event" ? Json(nullptr) : value;
        QVERIFY2(j.contains(jsonKey) && j[jsonKey] == shown, (jsonKey + " in toJson(): " + j.dump()).c_str());
    }
}

void TestDecode::eventToJson()
{
    HttpRequest req = makeRequest("POST", "/e/", {{"User-Agent", "ua\xff"}}, "");
    Json doc = Json::parse(
        R"({"event":"$identify","distinct_id":"u","uuid":"id","timestamp":"t","token":"k","$set":{"a":1},"$set_once":{"b":2},"properties":{"$lib":"web","$lib_version":"1.449.2","x":[1,{"y":null}]}})");
    const Event e = makeEvent(doc, req, 3, 4, 1767225600123);
    const Json j = e.toJson();
    JSON_COMPARE(j["seq"], Json(3));
    JSON_COMPARE(j["request_id"], Json(4));
    JSON_COMPARE(j["received_at"], Json("2026-01-01T00:00:00.123Z"));
    JSON_COMPARE(j["endpoint"], Json("/e/"));
    JSON_COMPARE(j["lib"], Json("web"));
    JSON_COMPARE(j["lib_version"], Json("1.449.2"));
    JSON_COMPARE(j["api_key"], Json("k"));
    JSON_COMPARE(j["event"], Json("$identify"));
    JSON_COMPARE(j["distinct_id"], Json("u"));
    JSON_COMPARE(j["uuid"], Json("id"));
    JSON_COMPARE(j["timestamp"], Json("t"));
    JSON_COMPARE(j["properties"], doc["properties"]);
    JSON_COMPARE(j["recording"], Json(false));
    JSON_COMPARE(j["$set"], Json::parse(R"({"a":1})"));
    JSON_COMPARE(j["$set_once"], Json::parse(R"({"b":2})"));
    QVERIFY(!j.contains("runtime_type"));
    QVERIFY(!j.contains("run_id"));
    JSON_COMPARE(j["user_agent"], Json("ua\xEF\xBF\xBD")); // invalid UTF-8 from a header is replaced, not thrown on
    QVERIFY(!j.dump().empty());
    JSON_COMPARE(e.properties(), e.doc()["properties"]);

    Event empty;
    QVERIFY(empty.properties().is_object());
    QVERIFY(empty.properties().empty());
    JSON_COMPARE(empty.toJson()["received_at"], Json("1970-01-01T00:00:00.000Z"));
    QVERIFY(!empty.toJson().contains("$set"));

    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    const qint64 now = nowMs();
    QVERIFY(now >= before && now - before < 5000);
}

void TestDecode::rejectedToJson()
{
    RejectedRequest r;
    r.id = 12;
    r.receivedMs = 1000;
    r.method = "POST";
    r.path = "/e/";
    r.query = "compression=gzip-js";
    r.headers = {{"Content-Type", "text/plain"}, {"X-A", "1"}, {"X-A", "2"}, {"X-Bad", "\xff"}};
    r.firstBytes = std::string("\x1f\x8b\x08\0ab\\c\n\xc3\xa9\xe2\x82", 13) + std::string(300, 'z');
    r.size = 9999;
    r.status = 400;
    r.reason = "failed to decode request: invalid gzip data";
    r.peer = "127.0.0.1:1";
    const Json j = r.toJson();
    JSON_COMPARE(j["id"], Json(12));
    JSON_COMPARE(j["received_at"], Json("1970-01-01T00:00:01.000Z"));
    JSON_COMPARE(j["method"], Json("POST"));
    JSON_COMPARE(j["path"], Json("/e/"));
    JSON_COMPARE(j["query"], Json("compression=gzip-js"));
    QVERIFY(j["headers"].is_object());
    JSON_COMPARE(j["headers"]["Content-Type"], Json("text/plain"));
    JSON_COMPARE(j["headers"]["X-A"], Json("1, 2"));
    JSON_COMPARE(j["size"], Json(9999));
    JSON_COMPARE(j["status"], Json(400));
    JSON_COMPARE(j["reason"], Json(r.reason));
    JSON_COMPARE(j["peer"], Json("127.0.0.1:1"));
    const std::string fb = j["first_bytes"].get<std::string>();
    QVERIFY2(fb.rfind("\\x1f\\x8b\\x08\\x00ab\\\\c\\n\xc3\xa9\\xe2\\x82zz", 0) == 0, fb.c_str());
    QVERIFY(!j.dump().empty()); // always valid UTF-8
}

void TestDecode::compactJsonMatchesDump_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("scalars") << QByteArray(R"([null,true,false,0,-1,9223372036854775807,18446744073709551615])");
    QTest::newRow("floats") << QByteArray(R"([0.1,1e300,-2.5,3.0,1.7976931348623157e308,5e-324])");
    QTest::newRow("escapes") << QByteArray("[\"q\\\"b\\\\s\\/ \\b\\f\\n\\r\\t \\u0001\\u001f \\u007f\"]");
    QTest::newRow("utf8") << QByteArray(R"({"é":"日本語 🎉","k":"\u00e9"})");
    QTest::newRow("nested") << QByteArray(R"({"b":{"a":[1,{"c":[]},{}],"z":""},"a":"x"})");
    QTest::newRow("event") << QByteArray(
        R"({"event":"run_created","distinct_id":"u1","properties":{"runtime_type":"byok","run_id":"r1","n":1.5}})");
}

void TestDecode::compactJsonMatchesDump()
{
    QFETCH(QByteArray, json);
    const Json doc = Json::parse(json.toStdString());
    QCOMPARE(el::compactJson(doc), doc.dump(-1, ' ', false, Json::error_handler_t::replace));
    el::FlatJson flat; // the same text from a FlatJson (its strings are copied a word at a time)
    QVERIFY(flat.parse(json.toStdString()));
    QCOMPARE(el::compactJson(flat.root()), doc.dump(-1, ' ', false, Json::error_handler_t::replace));

    // Every character that must be escaped, at every offset of a string longer than a word, in keys and values.
    for (const std::string special : {R"(\")", R"(\\)", R"(\n)", R"(\u0001)", R"(\u001f)", "\x7f", R"(\u00e9)",
             "\xC3\xA9", R"(\ud83c\udf89)", "/"}) {
        for (std::size_t at = 0; at <= 17; ++at) {
            const std::string s = std::string(at, 'a') + special + std::string(17 - at, 'b');
            const std::string text = "{\"" + s + "\":[\"" + s + "\"]}";
            const Json parsed = Json::parse(text);
            QVERIFY(flat.parse(text));
            QCOMPARE(el::compactJson(flat.root()), parsed.dump(-1, ' ', false, Json::error_handler_t::replace));
            QCOMPARE(el::compactJson(parsed), parsed.dump(-1, ' ', false, Json::error_handler_t::replace));
        }
    }

    // Invalid UTF-8 in keys and values becomes U+FFFD, so the text always parses again.
    Json bad = Json::object();
    bad["k\xff"] = std::string("a\xc3(b\xed\xa0\x80z");
    bad["list"] = Json::array({std::string("\xf8ok")});
    const std::string text = el::compactJson(bad);
    const Json back = Json::parse(text, nullptr, false);
    QVERIFY2(!back.is_discarded(), text.c_str());
    QCOMPARE(back.size(), std::size_t(2));
    QVERIFY(text.find("\xEF\xBF\xBD") != std::string::npos);
}

void TestDecode::packedFields_data()
{
    QTest::addColumn<QString>("distinctId");
    QTest::addColumn<QByteArray>("runtimeType"); // compact JSON, empty = absent
    QTest::addColumn<QByteArray>("runId");
    QTest::newRow("strings") << QStringLiteral("u1") << QByteArray(R"("byok")") << QByteArray(R"("r-1")");
    QTest::newRow("absent") << QString() << QByteArray() << QByteArray();
    QTest::newRow("null is present") << QStringLiteral("u") << QByteArray("null") << QByteArray();
    QTest::newRow("non-strings") << QStringLiteral("7") << QByteArray("5") << QByteArray(R"({"a":[1,2]})");
    QTest::newRow("long distinct_id") << QString(100000, QLatin1Char('x')) << QByteArray(R"("none")")
                                      << QByteArray(R"("r")");
    QTest::newRow("unicode") << QStringLiteral("ü日本") << QByteArray(R"("é")") << QByteArray();
}

void TestDecode::packedFields()
{
    QFETCH(QString, distinctId);
    QFETCH(QByteArray, runtimeType);
    QFETCH(QByteArray, runId);
    const auto opt = [](const QByteArray& text) {
        return text.isEmpty() ? std::optional<Json>() : std::optional<Json>(Json::parse(text.toStdString()));
    };
    Event e;
    e.setFields(
        "run_created", distinctId.toStdString(), "uuid-1", "2026-11-26T00:00:00Z", "s-1", opt(runtimeType), opt(runId));
    QCOMPARE(e.name(), std::string("run_created"));
    QCOMPARE(e.distinctId(), distinctId.toStdString());
    QCOMPARE(e.uuid(), std::string("uuid-1"));
    QCOMPARE(e.timestamp(), std::string("2026-11-26T00:00:00Z"));
    QCOMPARE(e.sessionId(), std::string("s-1"));
    QCOMPARE(e.hasRuntimeType(), !runtimeType.isEmpty());
    QCOMPARE(e.hasRunId(), !runId.isEmpty());
    if (!runtimeType.isEmpty())
        JSON_COMPARE(*e.runtimeType(), Json::parse(runtimeType.toStdString()));
    if (!runId.isEmpty())
        JSON_COMPARE(*e.runId(), Json::parse(runId.toStdString()));

    // Replacing one field keeps the others.
    e.setField(Event::Field::Uuid, "uuid-2");
    QCOMPARE(e.uuid(), std::string("uuid-2"));
    QCOMPARE(e.name(), std::string("run_created"));
    QCOMPARE(e.distinctId(), distinctId.toStdString());
    QCOMPARE(e.hasRuntimeType(), !runtimeType.isEmpty());
    e.setField(Event::Field::RuntimeType, "");
    QVERIFY(!e.hasRuntimeType());
    QVERIFY(!e.runtimeType());
    QCOMPARE(e.sessionId(), std::string("s-1"));
}

void TestDecode::sourcesAreShared()
{
    HttpRequest req;
    req.path = "/batch/";
    req.headers = {{"User-Agent", "posthog-node/5.70.0"}};
    const Json node = Json::parse(R"({"event":"a","properties":{"$lib":"posthog-node","$lib_version":"5"}})");
    const Json web = Json::parse(R"({"event":"b","properties":{"$lib":"web","$lib_version":"1"}})");
    EventSourceCache cache;
    const Event e1 = makeEvent(node, req, 1, 1, 0, &cache);
    const Event e2 = makeEvent(web, req, 2, 1, 0, &cache);
    const Event e3 = makeEvent(node, req, 3, 1, 0, &cache);
    QVERIFY(e1.source == e3.source); // the same source, even with another in between
    QVERIFY(e1.source != e2.source);
    QCOMPARE(e2.lib(), std::string("web"));
    QCOMPARE(e3.libVersion(), std::string("5"));
    QCOMPARE(e3.userAgent(), std::string("posthog-node/5.70.0"));
    const Event alone = makeEvent(node, req, 4, 2, 0);
    QVERIFY(alone.source != e1.source);
    QVERIFY(*alone.source == *e1.source);
}

// ---------------------------------------------------------------------------------------------
// util/isotime, util/base64, util/text, util/utf8: the one reader/writer every stage shares

void TestDecode::isoParse_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("ms"); // with no zone read as UTC

    const qint64 t = 1709634030000; // 2024-03-05T10:20:30Z
    const auto ok = [](const char* name, const char* text, qint64 ms) {
        QTest::addRow("%s", name) << QByteArray(text) << true << ms;
    };
    const auto bad = [](const char* name, const char* text) {
        QTest::addRow("%s", name) << QByteArray(text) << false << qint64(0);
    };
    ok("Z", "2024-03-05T10:20:30Z", t);
    ok("ms", "2024-03-05T10:20:30.123Z", t + 123);
    ok("one fraction digit", "2024-03-05T10:20:30.1Z", t + 100);
    ok("micro (mitmproxy)", "2024-03-05T10:20:30.000123+00:00", t);
    ok("extra digits truncated", "2024-03-05T10:20:30.9999Z", t + 999);
    ok("comma fraction", "2024-03-05T10:20:30,5Z", t + 500);
    ok("lower case t and z", "2024-03-05t10:20:30z", t);
    ok("space separator", "2024-03-05 10:20:30Z", t);
    ok("no zone", "2024-03-05T10:20:30", t);
    ok("+hh:mm", "2024-03-05T10:20:30+05:30", t - 19800000);
    ok("+hhmm", "2024-03-05T10:20:30+0530", t - 19800000);
    ok("-hh:mm", "2024-03-05T10:20:30-05:30", t + 19800000);
    ok("+hh", "2024-03-05T10:20:30+05", t - 18000000);
    ok("+hh: (as before)", "2024-03-05T10:20:30+05:", t - 18000000);
    ok("-00:00", "2024-03-05T10:20:30-00:00", t);
    ok("+23:59", "2024-03-05T10:20:30+23:59", t - 86340000);
    ok("no seconds", "2024-03-05T10:20Z", t - 30000);
    ok("hour only", "2024-03-05T10Z", t - 1230000);
    ok("date only", "2024-03-05", t - 37230000);
    ok("whitespace around", " 2024-03-05T10:20:30Z\n", t);
    ok("leap second", "2024-03-05T23:59:60Z", 1709683200000);
    ok("24:00", "2024-03-05T24:00:00Z", 1709683200000);
    ok("24:00 with zero fraction", "2024-03-05T24:00:00.000Z", 1709683200000);
    ok("29 February of a leap year", "2024-02-29T00:00:00Z", 1709164800000);
    ok("epoch", "1970-01-01T00:00:00Z", 0);
    ok("before the epoch", "1969-12-31T23:59:59.999Z", -1);
    ok("year 0000", "0000-01-01T00:00:00Z", -62167219200000);
    ok("year 9999", "9999-12-31T23:59:59.999Z", 253402300799999);
    bad("empty", "");
    bad("date and T only", "2024-03-05T");
    bad("zone after a date", "2024-03-05Z");
    bad("fraction without digits", "2024-03-05T10:20:30.Z");
    bad("30 February", "2024-02-30T10:20:30Z");
    bad("29 February of a common year", "2023-02-29T00:00:00Z");
    bad("month 13", "2024-13-05T10:20:30Z");
    bad("24:00:01", "2024-03-05T24:00:01Z");
    bad("24:00 with a fraction", "2024-03-05T24:00:00.001Z");
    bad("minute 60", "2024-03-05T10:60:00Z");
    bad("second 61", "2024-03-05T10:20:61Z");
    bad("offset minutes 60", "2024-03-05T10:20:30+05:60");
    bad("offset +24:00", "2024-03-05T10:20:30+24:00");
    bad("one-digit offset", "2024-03-05T10:20:30+5");
    bad("minute fraction", "2024-03-05T10:20.5Z");
    bad("basic format", "20240305T102030Z");
    bad("one-digit month", "2024-3-5T10:20:30Z");
    bad("space before zone", "2024-03-05T10:20:30 Z");
    bad("zone name", "2024-03-05T10:20:30UTC");
    bad("two zones", "2024-03-05T10:20:30Z+01:00");
    bad("other separator", "2024-03-05X10:20:30Z");
    bad("epoch ms digits", "1709634030000");
}

void TestDecode::isoParse()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, ok);
    QFETCH(qint64, ms);
    const std::optional<qint64> utc = parseIsoMs(text.toStdString(), ZonelessAs::Utc);
    QCOMPARE(utc.has_value(), ok);
    if (!ok) {
        QVERIFY(!parseIsoMs(text.toStdString(), ZonelessAs::Local));
        QVERIFY(!parseIsoValue(Json(text.toStdString())));
        return;
    }
    QCOMPARE(*utc, ms);
    QCOMPARE(parseIsoValue(Json(text.toStdString())), utc);
    // A time with a zone ignores ZonelessAs; one without is the local wall-clock time (as QDateTime reads it).
    const std::optional<qint64> local = parseIsoMs(text.toStdString(), ZonelessAs::Local);
    const QByteArray trimmed = text.trimmed();
    const bool zoned = trimmed.endsWith('Z') || trimmed.endsWith('z') || trimmed.lastIndexOf('+') > 10
        || trimmed.lastIndexOf('-') > 10;
    if (zoned) {
        QCOMPARE(local, utc);
    } else if (ms >= 0) {
        const QDateTime wall = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
        QCOMPARE(local, std::optional<qint64>(QDateTime(wall.date(), wall.time(), Qt::LocalTime).toMSecsSinceEpoch()));
    }
}

void TestDecode::isoWrite()
{
    QCOMPARE(isoFromMs(0), std::string("1970-01-01T00:00:00.000Z"));
    QCOMPARE(isoFromMs(-1), std::string("1969-12-31T23:59:59.999Z"));
    QCOMPARE(isoFromMs(1234567890123), std::string("2009-02-13T23:31:30.123Z"));
    QCOMPARE(isoFromMs(1709164800000), std::string("2024-02-29T00:00:00.000Z"));
    QCOMPARE(isoFromMs(-62167219200000), std::string("0000-01-01T00:00:00.000Z"));
    QCOMPARE(isoFromMs(253402300799999), std::string("9999-12-31T23:59:59.999Z"));
    QCOMPARE(isoFromMs(253402300800000), std::string()); // no four-digit year: nothing
    QCOMPARE(isoFromMs(-62167219200001), std::string());
    // What the readers and writers agreed on before they were merged: Qt's ISO text with milliseconds.
    std::mt19937_64 rng(19);
    for (int i = 0; i < 2000; ++i) {
        const qint64 ms = qint64(rng() % 253402300800000ULL) - (i % 2 ? 0 : 62135596800000LL);
        const std::string text = isoFromMs(ms);
        QCOMPARE(text, QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs).toStdString());
        QCOMPARE(parseIsoMs(text), std::optional<qint64>(ms));
    }
}

void TestDecode::utilHelpers()
{
    // one trim, two whitespace sets
    QCOMPARE(trim(" \t\r\nab c\n "), std::string_view("ab c"));
    QCOMPARE(trim(" \tab\r\n", kBlanks), std::string_view("ab\r\n"));
    QCOMPARE(trim(" \r\n "), std::string_view());
    // strict base64: standard and URL-safe, padding optional, whitespace ignored; errors with offsets
    std::string out, error;
    QVERIFY(base64Decode("aGVs\nbG8=", out, error));
    QCOMPARE(out, std::string("hello"));
    QVERIFY(base64Decode("-_8", out, error));
    QCOMPARE(out, std::string("\xfb\xff"));
    QVERIFY(!base64Decode("aGV!bG8=", out, error));
    QCOMPARE(error, std::string("invalid base64: unexpected character '!' at byte 3"));
    QVERIFY(!base64Decode("aGVsbG8=x", out, error));
    QCOMPARE(error, std::string("invalid base64: data after '=' padding at byte 8"));
    QVERIFY(!base64Decode("aGVsb", out, error));
    QCOMPARE(error, std::string("invalid base64: truncated input (5 base64 characters)"));
    QVERIFY(!base64Decode(" = ", out, error));
    QCOMPARE(error, std::string("invalid base64: no data"));
    // one UTF-8 replacement policy: U+FFFD per bad byte (a truncated sequence is two bad bytes, not one)
    QCOMPARE(validUtf8("a\xE2\x82"
                       "b\xFF"),
        std::string("a\xEF\xBF\xBD\xEF\xBF\xBD"
                    "b\xEF\xBF\xBD"));
    QCOMPARE(validUtf8("\xC0\xAF"), std::string("\xEF\xBF\xBD\xEF\xBF\xBD")); // overlong
    QCOMPARE(validUtf8("\xED\xA0\x80"), std::string("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD")); // surrogate
    QCOMPARE(validUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"), std::string("caf\xC3\xA9 \xF0\x9F\x98\x80"));
    QCOMPARE(firstInvalidUtf8("ab\xC3"), std::size_t(2));
    QCOMPARE(describeByte('x'), std::string("'x'"));
    QCOMPARE(describeByte(0x8b), std::string("0x8b"));
}

QTEST_GUILESS_MAIN(TestDecode)
#include "tst_decode.moc"
