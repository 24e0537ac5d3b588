// SPDX-License-Identifier: MIT
// eventSpans() / pickEventSpan() (core/wire/eventslice): where each event's JSON is in a decoded request body.
#include "model/event.h"
#include "wire/decode.h"
#include "wire/eventslice.h"

#include "jsoncompare.h"

#include <QTest>

#include <random>
#include <string>
#include <vector>

using namespace el;

Q_DECLARE_METATYPE(std::string)

namespace {

/** The text of each span. */
std::vector<std::string> texts(std::string_view json, const std::vector<TextSpan>& spans)
{
    std::vector<std::string> out;
    for (const TextSpan& s : spans)
        out.emplace_back(json.substr(s.begin, s.size()));
    return out;
}

using Texts = std::vector<std::string>;

/** A random JSON value with strings full of the characters a scanner could trip over. */
Json randomValue(std::mt19937& rng, int depth)
{
    static const std::vector<std::string> strings = {"plain", "with \"quotes\"", "back\\slash\\", "brackets [{}]", "]}",
        "{\"batch\":[1]}", "\\\"", "ünï\u2028cødé", "tab\there", "", "\\u0022", "line\nbreak"};
    std::uniform_int_distribution<int> kind(0, depth > 3 ? 3 : 5);
    switch (kind(rng)) {
    case 0:
        return Json(strings[std::uniform_int_distribution<std::size_t>(0, strings.size() - 1)(rng)]);
    case 1:
        return Json(std::uniform_int_distribution<int>(-1000, 1000)(rng) / 7.0);
    case 2:
        return std::uniform_int_distribution<int>(0, 1)(rng) ? Json(true) : Json(nullptr);
    case 3:
        return Json(std::uniform_int_distribution<int>(-5, 5)(rng));
    case 4: {
        Json a = Json::array();
        for (int i = std::uniform_int_distribution<int>(0, 3)(rng); i > 0; --i)
            a.push_back(randomValue(rng, depth + 1));
        return a;
    }
    default: {
        Json o = Json::object();
        for (int i = std::uniform_int_distribution<int>(0, 4)(rng); i > 0; --i)
            o[strings[std::uniform_int_distribution<std::size_t>(0, strings.size() - 1)(rng)] + std::to_string(i)]
                = randomValue(rng, depth + 1);
        return o;
    }
    }
}

} // namespace

class TestEventSlice : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void shapes_data();
    void shapes();
    void malformedGivesNothing_data();
    void malformedGivesNothing();
    void agreesWithTheParser();
    void agreesWithTheDecoder();
    void pickByUuidElseIndex();
    void mangledTextStaysInBounds();
};

void TestEventSlice::shapes_data()
{
    QTest::addColumn<std::string>("json");
    QTest::addColumn<Texts>("expected");

    QTest::newRow("array") << std::string(R"([{"event":"a"},{"event":"b"}])")
                           << Texts {R"({"event":"a"})", R"({"event":"b"})"};
    QTest::newRow("batch") << std::string(R"({"api_key":"k","batch":[{"event":"a"},{"event":"b","n":1}],"x":2})")
                           << Texts {R"({"event":"a"})", R"({"event":"b","n":1})"};
    QTest::newRow("batch first") << std::string(R"({"batch":[{"event":"a"}],"sent_at":"2026-01-01T00:00:00Z"})")
                                 << Texts {R"({"event":"a"})"};
    QTest::newRow("single object") << std::string(R"({"event":"a","properties":{"batch":1}})")
                                   << Texts {R"({"event":"a","properties":{"batch":1}})"};
    QTest::newRow("engage") << std::string(R"({"$set":{"a":1},"distinct_id":"u"})")
                            << Texts {R"({"$set":{"a":1},"distinct_id":"u"})"};
    QTest::newRow("v1") << std::string(
        R"({"created_at":"2026-01-01T00:00:00Z","batch":[{"event":"a","type":"capture"}]})")
                        << Texts {R"({"event":"a","type":"capture"})"};
    QTest::newRow("brackets and escaped quotes in strings")
        << std::string(R"([{"event":"a]","p":"}{[\"]"},{"event":"\"b\\","q":["]",{"}":"["}]}])")
        << Texts {R"({"event":"a]","p":"}{[\"]"})", R"({"event":"\"b\\","q":["]",{"}":"["}]})"};
    QTest::newRow("backslash before closing quote") << std::string(R"([{"event":"a\\"},{"event":"b\\\""}])")
                                                    << Texts {R"({"event":"a\\"})", R"({"event":"b\\\""})"};
    QTest::newRow("nested objects") << std::string(
        R"([{"event":"a","properties":{"x":{"y":[{"z":{}}]}}},{"event":"b"}])")
                                    << Texts {
                                           R"({"event":"a","properties":{"x":{"y":[{"z":{}}]}}})", R"({"event":"b"})"};
    QTest::newRow("nested batch is not the request's batch")
        << std::string(R"({"event":"a","properties":{"batch":[{"event":"inner"}]}})")
        << Texts {R"({"event":"a","properties":{"batch":[{"event":"inner"}]}})"};
    QTest::newRow("whitespace") << std::string(
        " \r\n\t{ \"api_key\" : \"k\" ,\n  \"batch\" : [\n    { \"event\" : \"a\" } ,\n"
        "    {\"event\":\"b\"}\n  ]\n}\n ")
                                << Texts {R"({ "event" : "a" })", R"({"event":"b"})"};
    QTest::newRow("pretty array") << std::string(
        "[\n  {\n    \"event\": \"a\"\n  },\n  {\n    \"event\": \"b\"\n  }\n]")
                                  << Texts {"{\n    \"event\": \"a\"\n  }", "{\n    \"event\": \"b\"\n  }"};
    QTest::newRow("empty array") << std::string("[]") << Texts {};
    QTest::newRow("empty batch") << std::string(R"({"batch":[ ]})") << Texts {};
    QTest::newRow("repeated batch: the last one")
        << std::string(R"({"batch":[{"event":"a"}],"batch":[{"event":"b"}]})") << Texts {R"({"event":"b"})"};
    QTest::newRow("escaped batch key") << std::string(R"({"b\u0061tch":[{"event":"a"}]})")
                                       << Texts {R"({"event":"a"})"};
    QTest::newRow("batch that is no array") << std::string(R"({"batch":"x"})") << Texts {R"({"batch":"x"})"};
    QTest::newRow("scalars in an array") << std::string(R"([1,"two",null,{"event":"a"},true,-2.5e3])")
                                         << Texts {"1", R"("two")", "null", R"({"event":"a"})", "true", "-2.5e3"};
    QTest::newRow("bom") << std::string("\xEF\xBB\xBF[{\"event\":\"a\"}]") << Texts {R"({"event":"a"})"};
    QTest::newRow("ndjson lines") << std::string(
        "{\"seq\":1,\"doc\":{\"event\":\"a\"}}\n{\"seq\":2,\"doc\":{\"event\":\"b\"}}\n")
                                  << Texts {R"({"seq":1,"doc":{"event":"a"}})", R"({"seq":2,"doc":{"event":"b"}})"};
    QTest::newRow("ndjson mixed shapes") << std::string(
        "{\"event\":\"a\"}\n[{\"event\":\"b\"}]\n{\"batch\":[{\"event\":\"c\"}]}")
                                         << Texts {R"({"event":"a"})", R"({"event":"b"})", R"({"event":"c"})"};
    QTest::newRow("unicode") << std::string("[{\"event\":\"ü\u2028\"},{\"event\":\"😀\"}]")
                             << Texts {"{\"event\":\"ü\u2028\"}", "{\"event\":\"😀\"}"};
    QTest::newRow("scalar document") << std::string("42") << Texts {};
    QTest::newRow("empty") << std::string("  ") << Texts {};
}

void TestEventSlice::shapes()
{
    QFETCH(std::string, json);
    QFETCH(Texts, expected);
    const std::vector<TextSpan> spans = eventSpans(json);
    const Texts got = texts(json, spans);
    QVERIFY2(got == expected, Json(got).dump().c_str());
    for (const TextSpan& s : spans)
        QVERIFY(s.begin < s.end && s.end <= json.size());
}

void TestEventSlice::malformedGivesNothing_data()
{
    QTest::addColumn<std::string>("json");
    QTest::newRow("unterminated string") << std::string(R"([{"event":"a}])");
    QTest::newRow("escaped closing quote") << std::string(R"([{"event":"a\"}])");
    QTest::newRow("unbalanced") << std::string(R"([{"event":"a"})");
    QTest::newRow("mismatched") << std::string(R"([{"event":"a"]])");
    QTest::newRow("missing comma") << std::string(R"([{"event":"a"} {"event":"b"}])");
    QTest::newRow("batch without colon") << std::string(R"({"batch" [{"event":"a"}]})");
    QTest::newRow("stray closer") << std::string("]");
    QTest::newRow("deep and unterminated") << std::string(100000, '[');
}

void TestEventSlice::malformedGivesNothing()
{
    QFETCH(std::string, json);
    QVERIFY(eventSpans(json).empty());
}

void TestEventSlice::agreesWithTheParser()
{
    // Random documents, compact and indented: each span parses to the element the parser sees there.
    std::mt19937 rng(20261126);
    for (int round = 0; round < 300; ++round) {
        Json events = Json::array();
        for (int i = std::uniform_int_distribution<int>(1, 5)(rng); i > 0; --i) {
            Json e = randomValue(rng, 1);
            if (!e.is_object())
                e = Json {{"value", e}};
            e["event"] = "e" + std::to_string(i);
            events.push_back(e);
        }
        const bool batch = round % 2 == 0;
        const Json body = batch ? Json {{"api_key", "k"}, {"batch", events}} : events;
        for (int indent : {-1, 0, 2}) {
            const std::string text = body.dump(indent, ' ', indent == 2);
            const std::vector<TextSpan> spans = eventSpans(text);
            QCOMPARE(spans.size(), events.size());
            for (std::size_t i = 0; i < spans.size(); ++i)
                JSON_COMPARE(Json::parse(text.substr(spans[i].begin, spans[i].size())), events[i]);
        }
    }
}

void TestEventSlice::agreesWithTheDecoder()
{
    // The decoder's events come from the spans, in order (the normalised event keeps the sent uuid and name).
    const std::string json = R"({"api_key":"phc_k","batch":[{"event":"a","uuid":"u-1","distinct_id":"d"},)"
                             R"({"event":"b","distinct_id":"d","properties":{"s":"]}\"{"}},)"
                             R"({"event":"c","uuid":"u-3","distinct_id":"d"}]})";
    HttpRequest request;
    request.method = "POST";
    request.path = "/batch/";
    request.headers = {{"Content-Encoding", "gzip"}};
    request.body = gzipCompress(json);
    const DecodeResult decoded = decodeIngest(request, Endpoint::Batch);
    QVERIFY2(decoded.ok(), decoded.error.c_str());
    QCOMPARE(decoded.encoding, std::string("gzip"));
    QCOMPARE(decoded.decodedBody, json);
    const std::vector<TextSpan> spans = eventSpans(decoded.decodedBody);
    QCOMPARE(spans.size(), decoded.events.size());
    for (std::size_t i = 0; i < spans.size(); ++i) {
        const Json element = Json::parse(decoded.decodedBody.substr(spans[i].begin, spans[i].size()));
        JSON_COMPARE(element["event"], decoded.events[i]["event"]);
        QCOMPARE(element.contains("uuid"), decoded.events[i].contains("uuid"));
    }
}

void TestEventSlice::pickByUuidElseIndex()
{
    const std::string json = R"([{"event":"a","uuid":"u-1"},{"event":"b"},{"event":"c","uuid":"u-3"},)"
                             R"({"event":"d","uuid":"u-3"},{"event":"e","uuid":42},{"seq":9,"doc":{"uuid":"u-9"}}])";
    const std::vector<TextSpan> spans = eventSpans(json);
    QCOMPARE(spans.size(), std::size_t(6));
    // The index agrees with the uuid.
    QCOMPARE(pickEventSpan(json, spans, "u-1", 0), std::optional<std::size_t>(0));
    // No uuid: the index.
    QCOMPARE(pickEventSpan(json, spans, "", 1), std::optional<std::size_t>(1));
    // The index is off (events of the request left memory): the uuid wins.
    QCOMPARE(pickEventSpan(json, spans, "u-1", 4), std::optional<std::size_t>(0));
    // A uuid sent twice: the index decides between them.
    QCOMPARE(pickEventSpan(json, spans, "u-3", 3), std::optional<std::size_t>(3));
    QCOMPARE(pickEventSpan(json, spans, "u-3", 2), std::optional<std::size_t>(2));
    // A uuid that is not a string, as Event::uuid() has it (compact JSON).
    QCOMPARE(pickEventSpan(json, spans, "42", 0), std::optional<std::size_t>(4));
    // An NDJSON export line: the doc's uuid.
    QCOMPARE(pickEventSpan(json, spans, "u-9", 0), std::optional<std::size_t>(5));
    // No span has the uuid: the index; out of range: none.
    QCOMPARE(pickEventSpan(json, spans, "nope", 2), std::optional<std::size_t>(2));
    QCOMPARE(pickEventSpan(json, spans, "nope", 6), std::optional<std::size_t>());
    QCOMPARE(pickEventSpan(json, {}, "", 0), std::optional<std::size_t>());
}

void TestEventSlice::mangledTextStaysInBounds()
{
    // Bytes cut, changed and repeated anywhere: spans stay inside the text and in order, nothing throws.
    const std::string base = R"({"api_key":"k","batch":[{"event":"a","uuid":"u-1","p":"]} \"x\\"},)"
                             R"({"event":"b","doc":{"uuid":"u-2"},"q":[1,{"r":null}]},{"seq":3,"doc":{"uuid":7}}]})";
    const std::string alphabet = "{}[]\",:\\ ux0";
    std::mt19937 rng(7);
    for (int round = 0; round < 20000; ++round) {
        std::string text = base;
        for (int edits = std::uniform_int_distribution<int>(1, 4)(rng); edits > 0; --edits) {
            const std::size_t at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng);
            switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
            case 0:
                text.erase(at, std::uniform_int_distribution<std::size_t>(1, 8)(rng));
                break;
            case 1:
                text[at] = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
                break;
            default:
                text.insert(at, text.substr(at, std::uniform_int_distribution<std::size_t>(1, 8)(rng)));
            }
            if (text.empty())
                text = "[";
        }
        const std::vector<TextSpan> spans = eventSpans(text);
        std::size_t last = 0;
        for (const TextSpan& span : spans) {
            QVERIFY(span.begin >= last && span.begin < span.end && span.end <= text.size());
            last = span.end;
        }
        for (const char* uuid : {"", "u-1", "u-2", "7"}) {
            const auto picked = pickEventSpan(text, spans, uuid, std::size_t(round % 4));
            QVERIFY(!picked || *picked < spans.size());
        }
    }
}

QTEST_APPLESS_MAIN(TestEventSlice)
#include "tst_eventslice.moc"
