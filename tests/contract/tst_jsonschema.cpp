// SPDX-License-Identifier: MIT
// Runs the official JSON-Schema-Test-Suite (draft-07) through el::JsonSchema, i.e. exactly the
// schema path the contract engine uses (meta-schema check, format guard, valijson, error translation).
// Over 600 lines as one file: one Qt Test class is one executable and one ctest name, and its cases share this
// file's fixtures and data rows.
#include "contract/contract.h"
#include "contract/contractengine.h"
#include "contract/jsonschema.h"
#include "contract/schema/explanationcache.h"
#include "flatcheck.h"
#include "util/fastjson.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

using el::Json;

#ifndef JSON_SCHEMA_TEST_SUITE_DIR
#define JSON_SCHEMA_TEST_SUITE_DIR "/usr/share/json-schema-test-suite/tests/draft7"
#endif

namespace {

/**
 * Cases valijson 1.0 cannot do, keyed "file|group description|test description" (test description "*"
 * = the whole group). Keep this list small and honest: every entry names the limitation.
 */
const std::map<std::string, std::string>& skipList()
{
    static const std::map<std::string, std::string> skips = {
        // Remote references: contracts are self-contained and the schema path deliberately has no
        // document fetcher (no network, no files), so http://localhost:1234/... cannot resolve.
        {"refRemote.json|*|*", "remote $ref (http://localhost:1234/...): no document fetcher by design"},
        // "$ref": "node" must resolve through the embedded "$id": "http://localhost:1234/node"; valijson
        // 1.0 takes base URIs only from draft-04 "id" and does not index embedded ids, so only JSON
        // pointer references ("#/definitions/...") resolve.
        {"ref.json|Recursive references between schemas|*",
            "$ref resolved through an embedded $id: not in valijson 1.0"},
    };
    return skips;
}

QString skipReason(const std::string& file, const std::string& group, const std::string& test)
{
    const auto& s = skipList();
    for (const std::string& key : {file + "|" + group + "|" + test, file + "|" + group + "|*", file + "|*|*"}) {
        auto it = s.find(key);
        if (it != s.end())
            return QString::fromStdString(it->second);
    }
    return {};
}

Json readJson(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Json();
    return Json::parse(f.readAll().toStdString(), nullptr, false);
}

bool isValidPointer(const std::string& p)
{
    try {
        Json::json_pointer ptr(p);
        (void)ptr;
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

/**
 * Where the fast path decides \a instance, it says what valijson says. Counts the decided and the valid ones (for a
 * test to check that the fast path was really tried).
 */
bool fastPathAgrees(const el::JsonSchema& schema, const Json& instance, int& decided, int& valid)
{
    using Verdict = el::JsonSchema::PathVerdict;
    const Verdict general = schema.generalPathVerdict(instance);
    const Verdict fast = schema.fastPathVerdict(instance);
    if (general == Verdict::Undecided)
        return false;
    if (const std::string flat = elflat::flatDisagrees(schema, instance); !flat.empty()) {
        qWarning("%s", flat.c_str());
        return false;
    }
    valid += general == Verdict::Valid;
    if (fast == Verdict::Undecided)
        return true;
    ++decided;
    return fast == general;
}

} // namespace

class TestJsonSchema : public QObject
{
    Q_OBJECT

private slots:
    void suiteIsInstalled();
    void flatJsonReadsAsNlohmann();
    void suite_data();
    void suite();
    void skipListIsUsed();
    void errorsAreTranslated();
    void allOfReportsEveryBranch();
    void badSchemasAreRejected();
    void formatOnNonStringsDoesNotThrow();
    void longStringsDoNotCrash();
    void describedValuesAreShortDumps();
    void namedMembersGiveTheSameErrors();
    void hoistedLookupsDecideAsValijson();
    void manyHoistedNamesAndStringEnumsDecideAsValijson();
    void rememberedExplanationsAreTheInstancesOwn();
    void pointersAreEscaped();
    void everyKeywordConstrains();
    void refCyclesAreRefused();
    void patternsMatchCodePoints();

private:
    std::map<std::string, int> m_skipHits;
};

// Without the suite this test proves nothing. A developer who runs ctest by hand is told how to get
// it; in CI (CI=true, as .ci/run and .ci/fresh set it) a missing package is a failure, not a skip.
void TestJsonSchema::flatJsonReadsAsNlohmann()
{
    // FlatJson (a reload, `check` and the live sink judge events from it, without a DOM) must read every text as
    // parseJsonFast() and nlohmann build the DOM, and refuse what parseJsonFast() refuses (the caller then builds
    // the DOM).
    const std::vector<std::string> accepted = {
        R"({"b":1,"a":2,"b":3})", // a duplicate key: the last one wins, in the first one's place
        R"({"z":{"y":1,"x":[3,2,1]},"a":[{"q":1,"p":2},[],{}],"m":""})",
        R"([0,-1,1,-9223372036854775808,9223372036854775807,9223372036854775808,18446744073709551615])",
        R"([1.0,-0.0,1.5e300,1E2,-2.5e-3,0.1])", R"(["\u00e9\ud83d\ude00","a\"b\\c\/d\n","Ã©tÃ©",""])",
        R"({"":1,"a~b":{"c/d":[1,2,{"x":null}]},"t":true,"f":false})", R"("just a string")", R"(42)", R"(null)",
        R"({"é":1,"e":2,"E":3,"~":4," ":5})", // byte order, as std::map<std::string> sorts
    };
    el::FlatJson flat; // one for all: each parse starts afresh
    for (const std::string& text : accepted) {
        QVERIFY2(flat.parse(text), text.c_str());
        const std::string diff = elflat::sameDocument(flat, Json::parse(text));
        QVERIFY2(diff.empty(), diff.c_str());
    }
    const std::vector<std::string> refused = {R"({"a":-0})", R"([-0])", R"([100000000000000000000])", R"({"a":})",
        R"([1,])", "{\"a\":\"\xff\"}", "", R"({"a":1} x)"};
    for (const std::string& text : refused) {
        QVERIFY2(!flat.parse(text), text.c_str());
        Json dom;
        QVERIFY2(!el::parseJsonFast(text, dom, 1024), text.c_str());
    }
    QVERIFY(flat.parse(R"({"a":{"b":{"c":1}}})", 3));
    QVERIFY(!flat.parse(R"({"a":{"b":{"c":{"d":1}}}})", 3));

    // Pointers, as findPointer() finds them in the DOM.
    const std::string text = R"({"":1,"a~b":{"c/d":[1,2,{"x":null}]},"l":[[0,[5]]],"01":{"0":"zero"}})";
    QVERIFY(flat.parse(text));
    const Json dom = Json::parse(text);
    for (const char* pointer : {"", "/", "/a~0b", "/a~0b/c~1d", "/a~0b/c~1d/2/x", "/a~0b/c~1d/02", "/a~0b/c~1d/3",
             "/a~0b/c~1d/-", "/l/0/1/0", "/l/0/1/0/0", "/01/0", "/01/00", "/nope", "x", "/a~2b", "/a~"}) {
        const el::FlatJson::Ref mine = flat.root().at(pointer);
        const Json* theirs = el::findPointer(dom, pointer);
        QVERIFY2(mine.present() == (theirs != nullptr), pointer);
        if (theirs)
            QVERIFY2(mine.toJson() == *theirs, pointer);
    }

    // The decoder's edits (setMember(), addString()) read as the same edits of the DOM: a new member in key order
    // (first, middle, last), a replaced one, values shared within the document, a nested object edited.
    const std::string batch = R"({"batch":[{"m":1,"properties":{"token":"t"}},{"b":2,"z":[1]}],"api_key":"k"})";
    QVERIFY(flat.parse(batch));
    Json edited = Json::parse(batch);
    const el::FlatJson::Ref first = flat.root().find("batch").item(0);
    const el::FlatJson::Ref second = flat.root().find("batch").item(1);
    flat.setMember(first, "token", first.find("properties").find("token"));
    edited["batch"][0]["token"] = "t";
    flat.setMember(second, "a", flat.root().find("api_key"));
    flat.setMember(second, "n", flat.addString("new \"text\""));
    flat.setMember(second, "zz", second.emptyObject());
    flat.setMember(second, "b", flat.addString("replaced"));
    edited["batch"][1]["a"] = "k";
    edited["batch"][1]["n"] = "new \"text\"";
    edited["batch"][1]["zz"] = Json::object();
    edited["batch"][1]["b"] = "replaced";
    QCOMPARE(flat.root().toJson().dump(), edited.dump());
    QVERIFY(flat.root().equals(edited));
    QCOMPARE(second.find("n").string(), std::string_view("new \"text\""));
    QVERIFY(!second.find("c").present());
    QCOMPARE(second.size(), std::size_t(5));
    QVERIFY(flat.parse(R"({"x":1})")); // a new parse forgets the edits
    QCOMPARE(flat.root().toJson().dump(), std::string(R"({"x":1})"));

    // A document past the reuse limit (its arrays are given back at the next small one), then small ones again.
    std::string big = "[";
    for (int i = 0; i < 700000; ++i)
        big += i ? ",1" : "1";
    big += "]";
    QVERIFY(flat.parse(big));
    QCOMPARE(flat.root().size(), std::size_t(700000));
    QVERIFY(flat.parse(batch));
    QCOMPARE(flat.root().toJson().dump(), Json::parse(batch).dump());
    QVERIFY(flat.parse(R"({"x":[2]})"));
    QCOMPARE(flat.root().find("x").item(0).unsignedInt(), std::uint64_t(2));
}

void TestJsonSchema::suiteIsInstalled()
{
    if (QDir(QStringLiteral(JSON_SCHEMA_TEST_SUITE_DIR)).exists())
        return;
    const char* message
        = "json-schema-test-suite is not installed (.ci/deps installs it: apt install json-schema-test-suite)";
    if (qEnvironmentVariable("CI") == QLatin1String("true"))
        QFAIL(message);
    QSKIP(message);
}

void TestJsonSchema::suite_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("group");
    QTest::addColumn<int>("test");

    const QDir dir(QStringLiteral(JSON_SCHEMA_TEST_SUITE_DIR));
    if (!dir.exists())
        return;
    const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QString& name : files) {
        const Json groups = readJson(dir.filePath(name));
        QVERIFY2(groups.is_array(), qPrintable(name));
        for (std::size_t g = 0; g < groups.size(); ++g) {
            for (std::size_t t = 0; t < groups[g]["tests"].size(); ++t) {
                const std::string label = name.toStdString() + " / " + groups[g]["description"].get<std::string>()
                    + " / " + groups[g]["tests"][t]["description"].get<std::string>();
                QTest::newRow(label.c_str()) << dir.filePath(name) << int(g) << int(t);
            }
        }
    }
}

void TestJsonSchema::suite()
{
    if (!QDir(QStringLiteral(JSON_SCHEMA_TEST_SUITE_DIR)).exists())
        QSKIP("json-schema-test-suite is not installed (apt install json-schema-test-suite)");
    QFETCH(QString, file);
    QFETCH(int, group);
    QFETCH(int, test);

    const Json groups = readJson(file);
    const Json& g = groups[std::size_t(group)];
    const Json& t = g["tests"][std::size_t(test)];
    const std::string fileName = QFileInfo(file).fileName().toStdString();
    const std::string groupName = g["description"].get<std::string>();
    const std::string testName = t["description"].get<std::string>();

    const QString reason = skipReason(fileName, groupName, testName);
    if (!reason.isEmpty()) {
        m_skipHits[reason.toStdString()]++;
        QSKIP(qPrintable(reason));
    }

    std::string error;
    const auto schema = el::JsonSchema::compile(g["schema"], error);
    QVERIFY2(schema, qPrintable(QString::fromStdString("schema rejected: " + error)));

    const bool expected = t["valid"].get<bool>();
    QCOMPARE(schema->accepts(t["data"]), expected);
    // The FlatJson path (a reload judges kept events with no DOM) says the same where it decides.
    const std::string flat = elflat::flatDisagrees(*schema, t["data"]);
    QVERIFY2(flat.empty(), flat.c_str());
    const auto quick = [&] {
        el::FlatJson doc;
        return doc.parse(t["data"].dump()) ? schema->quickVerdict(doc.root()) : el::JsonSchema::PathVerdict::Undecided;
    }();
    QVERIFY(quick == el::JsonSchema::PathVerdict::Undecided
        || quick == (expected ? el::JsonSchema::PathVerdict::Valid : el::JsonSchema::PathVerdict::Invalid));

    std::vector<el::SchemaError> errors;
    const bool valid = schema->validate(t["data"], errors, "/properties", "properties");
    QCOMPARE(valid, expected);
    if (valid) {
        QVERIFY(errors.empty());
    } else {
        QVERIFY(!errors.empty());
        for (const el::SchemaError& e : errors) {
            QVERIFY2(e.path.rfind("/properties", 0) == 0, e.path.c_str());
            QVERIFY2(isValidPointer(e.path), e.path.c_str());
            QVERIFY(!e.message.empty());
            // Every error got a real translation, not valijson's raw text.
            QVERIFY2(e.message.find("Failed to") == std::string::npos, e.message.c_str());
            if (qEnvironmentVariableIsSet("EL_DUMP_MESSAGES"))
                qInfo("%s: %s", e.path.c_str(), e.message.c_str());
        }
    }
}

void TestJsonSchema::skipListIsUsed()
{
    if (!QDir(QStringLiteral(JSON_SCHEMA_TEST_SUITE_DIR)).exists())
        QSKIP("json-schema-test-suite is not installed");
    // A stale skip entry would hide nothing and mislead: every reason must have skipped something.
    for (const auto& [key, reason] : skipList())
        QVERIFY2(m_skipHits.count(reason) > 0, key.c_str());
}

void TestJsonSchema::errorsAreTranslated()
{
    std::string error;
    const Json schemaJson = Json::parse(R"({
        "type": "object",
        "required": ["run_id", "runtime_type"],
        "additionalProperties": false,
        "properties": {
            "run_id": {"type": "string", "minLength": 3},
            "runtime_type": {"enum": ["amr_cloud", "byok", "local_cli", "none"]},
            "count": {"type": "integer", "maximum": 10},
            "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}},
            "a/b~c": {"const": 1},
            "kind": {"anyOf": [{"const": "x"}, {"type": "integer"}]}
        }
    })");
    const auto schema = el::JsonSchema::compile(schemaJson, error);
    QVERIFY2(schema, error.c_str());

    auto check = [&](const Json& props, const std::vector<std::pair<std::string, std::string>>& expected) {
        std::vector<el::SchemaError> errors;
        QVERIFY(!schema->validate(props, errors, "/properties", "properties"));
        std::vector<std::pair<std::string, std::string>> got;
        for (const auto& e : errors)
            got.emplace_back(e.path, e.message);
        if (got != expected) {
            for (const auto& [p, m] : got)
                qWarning("got %s: %s", p.c_str(), m.c_str());
        }
        QVERIFY(got == expected);
    };

    check(Json::parse(R"({"run_id": "r-1", "runtime_type": "both"})"),
        {{"/properties/runtime_type",
            R"(runtime_type is "both", expected one of "amr_cloud", "byok", "local_cli", "none")"}});
    check(Json::parse(R"({"runtime_type": "byok"})"), {{"/properties/run_id", "required property run_id is missing"}});
    check(Json::parse(R"({"run_id": 7, "runtime_type": "byok"})"),
        {{"/properties/run_id", "run_id is 7 (integer), expected string"}});
    check(Json::parse(R"({"run_id": "r", "runtime_type": "byok"})"),
        {{"/properties/run_id", R"(run_id is "r" (1 character), expected at least 3 characters)"}});
    check(Json::parse(R"({"run_id": "r-1", "runtime_type": "byok", "count": 11})"),
        {{"/properties/count", "count is 11, expected at most 10"}});
    check(Json::parse(R"({"run_id": "r-1", "runtime_type": "byok", "tags": ["ok", "No"]})"),
        {{"/properties/tags/1", R"(tags[1] is "No", expected to match the pattern ^[a-z]+$)"}});
    check(Json::parse(R"({"run_id": "r-1", "runtime_type": "byok", "a/b~c": 2})"),
        {{"/properties/a~1b~0c", "a/b~c is 2, expected 1"}});
    check(Json::parse(R"({"run_id": "r-1", "runtime_type": "byok", "extra": 1, "more": 2})"),
        {{"/properties/extra", "property extra is not allowed (additionalProperties is false)"},
            {"/properties/more", "property more is not allowed (additionalProperties is false)"}});
    // anyOf with no matching alternative: one error at the anyOf, saying what each alternative lacks.
    check(Json::parse(R"({"run_id": "r-1", "runtime_type": "byok", "kind": "y"})"),
        {{"/properties/kind",
            R"(kind matches none of the 2 anyOf alternatives: [0] kind is "y", expected "x"; [1] kind is "y" (string), expected integer)"}});
}

void TestJsonSchema::allOfReportsEveryBranch()
{
    // valijson stops an allOf at its first failing branch; the compiled schema must still report all.
    std::string error;
    const auto schema = el::JsonSchema::compile(Json::parse(R"({"allOf": [
        {"if": {"properties": {"a": {"const": true}}, "required": ["a"]}, "then": {"properties": {"b": {"const": true}}}},
        {"properties": {"c": {"enum": ["x", "y"]}}},
        {"required": ["d"]},
        {"allOf": [{"properties": {"e": {"type": "integer"}}}, {"properties": {"f": {"type": "string"}}}]}
    ]})"),
        error);
    QVERIFY2(schema, error.c_str());
    std::vector<el::SchemaError> errors;
    QVERIFY(
        !schema->validate(Json::parse(R"({"a": true, "b": false, "c": "z", "e": 1.5, "f": 2})"), errors, "", "event"));
    std::vector<std::string> paths;
    for (const auto& e : errors)
        paths.push_back(e.path);
    QCOMPARE(paths, (std::vector<std::string> {"/b", "/c", "/d", "/e", "/f"}));
    QVERIFY(schema->accepts(Json::parse(R"({"a": true, "b": true, "c": "x", "d": 0, "e": 1, "f": "s"})")));
}

void TestJsonSchema::badSchemasAreRejected()
{
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"type": "strin"})", "not a valid draft-07 JSON Schema"},
        {R"({"required": "x"})", "not a valid draft-07 JSON Schema"},
        {R"({"minLength": -1})", "not a valid draft-07 JSON Schema"},
        {R"({"pattern": "(unclosed"})", "invalid regular expression at /pattern"},
        {R"({"patternProperties": {"[": {}}})", "invalid regular expression at /patternProperties"},
        {R"({"$ref": "http://example.com/x.json"})", "only local references"},
        {R"({"$ref": "#/definitions/nope"})", "unresolvable reference"},
        {R"({"$schema": "http://json-schema.org/draft-04/schema#"})", "only draft-07"},
        {R"(42)", "must be an object or a boolean"},
    };
    for (const auto& [text, expected] : cases) {
        std::string error;
        const auto schema = el::JsonSchema::compile(Json::parse(text), error);
        QVERIFY2(!schema, text.c_str());
        QVERIFY2(error.find(expected) != std::string::npos, (text + " -> " + error).c_str());
    }
}

void TestJsonSchema::formatOnNonStringsDoesNotThrow()
{
    std::string error;
    const auto schema = el::JsonSchema::compile(
        Json::parse(R"({"properties": {"when": {"format": "date-time"}, "mail": {"format": "email"}}})"), error);
    QVERIFY2(schema, error.c_str());
    QVERIFY(schema->accepts(Json::parse(R"({"when": 12, "mail": 3})")));
    QVERIFY(schema->accepts(Json::parse(R"({"when": "2024-05-01T10:00:00Z"})")));
    std::vector<el::SchemaError> errors;
    QVERIFY(!schema->validate(Json::parse(R"({"when": "yesterday"})"), errors, "/properties", "properties"));
    QCOMPARE(errors.size(), std::size_t(1));
    QCOMPARE(errors[0].path, std::string("/properties/when"));
    QCOMPARE(errors[0].message, std::string(R"(when is "yesterday", expected a valid date-time)"));
}

void TestJsonSchema::longStringsDoNotCrash()
{
    // valijson's own std::regex matching recurses per character and overflows the stack on long
    // strings (~50 KB with an 8 MB stack); the compiled schema must not.
    const std::string longText(100000, 'x'); // crashed valijson at ~50000
    std::string error;
    const auto schema = el::JsonSchema::compile(Json::parse(R"({"properties": {
        "a": {"pattern": "^[a-z]+$"},
        "b": {"pattern": "^[0-9]+$", "format": "date-time"},
        "c": {"pattern": "^(x)\\1*$"}
    }})"),
        error);
    QVERIFY2(schema, error.c_str());
    QVERIFY(schema->accepts(Json {{"a", longText}}));
    std::vector<el::SchemaError> errors;
    QVERIFY(!schema->validate(Json {{"b", longText}}, errors, "/properties", "properties"));
    QCOMPARE(errors.size(), std::size_t(2));
    QVERIFY2(errors[0].message.find("expected to match the pattern ^[0-9]+$") != std::string::npos,
        errors[0].message.c_str());
    QVERIFY2(errors[1].message.find("expected a valid date-time") != std::string::npos, errors[1].message.c_str());
    // Back-references need backtracking: checked on short strings, refused (not crashed) on long ones.
    QVERIFY(schema->accepts(Json {{"c", "xxxx"}}));
    errors.clear();
    QVERIFY(!schema->validate(Json {{"c", longText}}, errors, "/properties", "properties"));
    QCOMPARE(errors.size(), std::size_t(1));
    QCOMPARE(errors[0].message,
        std::string("c is 100000 characters long, too long to check against its pattern (patterns with "
                    "back-references are checked on at most 2000 characters)"));

    const auto pp = el::JsonSchema::compile(Json::parse(R"({"patternProperties": {"^k": {"type": "string"}}})"), error);
    QVERIFY2(pp, error.c_str());
    QVERIFY(pp->accepts(Json {{"k1", "v"}}));
    const std::string longName(5000, 'k');
    QVERIFY(!pp->accepts(Json {{longName, "v"}}));
    errors.clear();
    QVERIFY(!pp->validate(Json {{longName, "v"}}, errors, "", "event"));
    QCOMPARE(errors.at(0).message,
        std::string("property name of 5000 characters is too long to check against patternProperties"));
}

void TestJsonSchema::namedMembersGiveTheSameErrors()
{
    // validate() shows valijson only the members a schema names. On the built-in contract, with the golden events
    // and each of them broken one property at a time (removed, a number, an unknown string), every schema that
    // judges the event must give validateWhole()'s errors, to the message.
    std::string error;
    const auto contract = el::loadContract("builtin:open-design", error);
    QVERIFY2(contract, error.c_str());
    std::vector<std::pair<std::string, Json>> events; // name, properties
    const QDir dir(QStringLiteral(EVENTLENS_SOURCE_DIR "/tests/data/open-design"));
    for (const QString& file : dir.entryList({QStringLiteral("*.ndjson")}, QDir::Files, QDir::Name)) {
        QFile f(dir.filePath(file));
        QVERIFY(f.open(QIODevice::ReadOnly));
        for (const QByteArray& line : f.readAll().split('\n')) {
            const Json e = Json::parse(line.toStdString(), nullptr, false);
            if (e.is_object() && e.contains("properties") && e["properties"].is_object())
                events.emplace_back(e.value("event", std::string()), e["properties"]);
        }
    }
    QVERIFY(events.size() >= 30);
    int compared = 0, failing = 0;
    auto check = [&](const el::JsonSchema& schema, const Json& props) {
        std::vector<el::SchemaError> errors, whole;
        const bool valid = schema.validate(props, errors, "/properties", "properties");
        QCOMPARE(schema.validateWhole(props, whole, "/properties", "properties"), valid);
        QCOMPARE(errors.size(), whole.size());
        for (std::size_t i = 0; i < errors.size(); ++i) {
            QCOMPARE(errors[i].path, whole[i].path);
            QCOMPARE(errors[i].message, whole[i].message);
        }
        ++compared;
        failing += valid ? 0 : 1;
    };
    for (const auto& [name, props] : events) {
        std::vector<Json> variants = {props};
        for (auto it = props.begin(); it != props.end(); ++it) {
            Json removed = props;
            removed.erase(it.key());
            variants.push_back(std::move(removed));
            for (const Json& bad : {Json(12345), Json("no-such-value")}) {
                Json changed = props;
                changed[it.key()] = bad;
                variants.push_back(std::move(changed));
            }
        }
        const el::EventSpec* spec = contract->event(name);
        for (const Json& v : variants) {
            check(*contract->globals()->rule.schema, v);
            if (QTest::currentTestFailed())
                return;
            if (!spec)
                continue;
            check(*spec->schema.schema, v);
            for (const el::SchemaRule& r : spec->rules)
                check(*r.schema, v);
            if (QTest::currentTestFailed())
                return;
        }
    }
    QVERIFY2(failing > 1000, std::to_string(failing).c_str()); // the failures are what this is about
    qInfo("%d validations compared, %d failing", compared, failing);
}

void TestJsonSchema::hoistedLookupsDecideAsValijson()
{
    // The fast evaluator looks up the members that several nodes of an allOf/if/then group test once, at the group's
    // top (FastNode::hoist): here p and q at the top and again inside "nested", whose own group starts there. Its
    // verdict must be valijson's on every combination of p, q and nested.p present, absent or of another value.
    Json conditions = Json::array();
    for (int i = 0; i < 6; ++i) {
        conditions.push_back(Json {{"if", {{"properties", {{"p", {{"const", i}}}}}, {"required", {"p"}}}},
            {"then", {{"properties", {{"q", {{"enum", {i, i + 1}}}}}}}}});
    }
    conditions.push_back(Json {
        {"if", {{"required", {"q"}}}}, {"then", {{"required", {"p"}}}}, {"else", {{"not", {{"required", {"p"}}}}}}});
    Json schemaJson = {{"type", "object"}, {"allOf", conditions},
        {"properties", {{"nested", {{"allOf", conditions}, {"properties", {{"p", {{"type", "integer"}}}}}}}}}};
    std::string error;
    const auto schema = el::JsonSchema::compile(schemaJson, error);
    QVERIFY2(schema, error.c_str());
    const std::vector<Json> values = {Json(), Json(0), Json(1), Json(2), Json(5), Json(6), Json("x")};
    int decided = 0, valid = 0;
    for (const Json& p : values) {
        for (const Json& q : values) {
            for (const Json& np : values) {
                Json instance = Json::object();
                if (!p.is_null())
                    instance["p"] = p;
                if (!q.is_null())
                    instance["q"] = q;
                instance["other"] = 1;
                if (!np.is_null())
                    instance["nested"] = {{"p", np}, {"q", q.is_null() ? Json(0) : q}};
                QVERIFY2(fastPathAgrees(*schema, instance, decided, valid), instance.dump().c_str());
            }
        }
    }
    QVERIFY(decided == 343); // every case decided by the fast path: it was tested, not deferred
    QVERIFY(valid > 10 && valid < 333);
}

void TestJsonSchema::manyHoistedNamesAndStringEnumsDecideAsValijson()
{
    // With many hoisted names, the group's top walks them together with the object's sorted members instead of a
    // lookup per name (FastNode::eval); an "enum" of strings only is binary-searched. Both must decide as valijson
    // does, for objects of few and of many members, members sorting before, between and after the names, and
    // values of every kind against the enums.
    const std::vector<std::string> names = {"a", "b", "c1", "c2", "m", "q", "r", "z"};
    Json conditions = Json::array();
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string& next = names[(i + 1) % names.size()];
        conditions.push_back(
            Json {{"if", {{"properties", {{names[i], {{"enum", {"on", "yes"}}}}}}, {"required", {names[i]}}}},
                {"then", {{"properties", {{next, {{"enum", {"on", "off", "", "\u00e9t\u00e9"}}}}}}}},
                {"else", {{"properties", {{next, {{"not", {{"const", "yes"}}}}}}}}}});
    }
    const Json schemaJson = {{"type", "object"}, {"allOf", conditions}};
    std::string error;
    const auto schema = el::JsonSchema::compile(schemaJson, error);
    QVERIFY2(schema, error.c_str());
    const std::vector<std::string> others = {"", "0", "a0", "b_", "c", "c10", "n", "zz", "~"};
    const std::vector<Json> values = {Json(), Json(true), Json(1), Json(1.5), Json("on"), Json("off"), Json("yes"),
        Json(""), Json("\u00e9t\u00e9"), Json("x"), Json::object(), Json::array({"on"})};
    std::uint32_t state = 12345;
    const auto next = [&state](std::uint32_t n) {
        state = state * 1664525u + 1013904223u;
        return (state >> 8) % n;
    };
    int decided = 0, valid = 0;
    for (int round = 0; round < 4000; ++round) {
        Json instance = Json::object();
        const std::uint32_t members = next(14);
        for (std::uint32_t m = 0; m < members; ++m) {
            const std::string& key
                = next(3) ? names[next(std::uint32_t(names.size()))] : others[next(std::uint32_t(others.size()))];
            instance[key] = values[next(std::uint32_t(values.size()))];
        }
        QVERIFY2(fastPathAgrees(*schema, instance, decided, valid), instance.dump().c_str());
    }
    // Floats, objects and arrays against an enum are valijson's to decide (about 40 % here).
    QVERIFY2(decided > 2000, std::to_string(decided).c_str());
    QVERIFY2(valid > 200 && valid < 3800, std::to_string(valid).c_str());
}

void TestJsonSchema::rememberedExplanationsAreTheInstancesOwn()
{
    // validate() remembers what it said of an instance the fast evaluator could not pass, by the members the schema
    // names; a string or boolean that only a type or a length applies to is written as "present and passes". Many
    // instances from small pools (so that keys repeat) against schemas with such members, enums, if/then and an
    // anyOf of shapes: every answer, remembered or not, must be validateWhole()'s, to the message. The last two
    // schemas' messages quote the whole instance, or a member only a type applies to: neither may be remembered.
    const std::vector<Json> memberSchemas = {Json {{"type", "string"}}, Json {{"type", "string"}, {"minLength", 1}},
        Json {{"type", "string"}, {"maxLength", 2}}, Json {{"type", {"string", "null"}}, {"description", "id"}},
        Json {{"minLength", 2}}, Json {{"type", "boolean"}}, Json {{"enum", {"a", "b", "\u00e9"}}},
        Json {{"const", true}}, Json(true)};
    const std::vector<std::string> names = {"id", "kind", "flag"};
    std::vector<Json> schemas;
    for (std::size_t i = 0; i < memberSchemas.size(); ++i) {
        Json props = Json::object();
        for (std::size_t n = 0; n < names.size(); ++n)
            props[names[n]] = memberSchemas[(i + n * 4) % memberSchemas.size()];
        schemas.push_back({{"type", "object"}, {"properties", props}, {"required", {"id"}},
            {"if", {{"properties", {{"flag", {{"const", true}}}}}, {"required", {"flag"}}}},
            {"then", {{"properties", {{"kind", {{"minLength", 1}}}}}, {"required", {"kind"}}}}});
    }
    schemas.push_back({{"properties", {{"id", {{"type", "string"}}}}},
        {"anyOf",
            {{{"properties", {{"kind", {{"const", "a"}}}, {"id", {{"maxLength", 1}}}}}, {"required", {"kind"}}},
                {{"properties", {{"kind", {{"const", "b"}}}, {"flag", {{"type", "boolean"}}}}},
                    {"required", {"kind", "flag"}}}}}});
    // Messages that quote what a key may leave out: the whole instance, and a member only a type applies to.
    schemas.push_back(
        {{"properties", {{"id", {{"type", "string"}}}}}, {"not", {{"properties", {{"kind", {{"const", 1}}}}}}}});
    schemas.push_back({{"properties", {{"id", {{"type", "string"}}}}}, {"not", {{"required", {"id"}}}}});
    const std::vector<Json> values
        = {Json(""), Json("x"), Json("xy"), Json("\u00e9"), Json("\u00e9\u00e9"), Json("\u65e5\u672c"), Json("a"),
            Json("b"), Json(true), Json(false), Json(), Json(1), Json(2.0), Json::array({"x"})};
    std::uint32_t state = 20261206;
    const auto next = [&state](std::uint32_t n) {
        state = state * 1664525u + 1013904223u;
        return (state >> 8) % n;
    };
    int failing = 0, quotedRoot = 0, quotedMember = 0;
    for (const Json& schemaJson : schemas) {
        std::string error;
        const auto schema = el::JsonSchema::compile(schemaJson, error);
        QVERIFY2(schema, error.c_str());
        for (int round = 0; round < 600; ++round) {
            Json instance = Json::object();
            for (const std::string& name : names) {
                if (next(5))
                    instance[name] = values[next(std::uint32_t(values.size()))];
            }
            if (next(2))
                instance["other"] = values[next(std::uint32_t(values.size()))]; // not named: left out, not remembered
            std::vector<el::SchemaError> errors, whole;
            const bool valid = schema->validate(instance, errors, "/properties", "properties");
            QCOMPARE(schema->validateWhole(instance, whole, "/properties", "properties"), valid);
            std::string got, want;
            for (const el::SchemaError& e : errors)
                got += e.path + ": " + e.message + "\n";
            for (const el::SchemaError& e : whole)
                want += e.path + ": " + e.message + "\n";
            QVERIFY2(got == want,
                (schemaJson.dump() + "\n" + instance.dump() + "\ngot:\n" + got + "want:\n" + want).c_str());
            failing += valid ? 0 : 1;
            quotedRoot += !valid && got.find("properties is {") != std::string::npos;
            quotedMember += !valid && got.find("expected it to be absent") != std::string::npos;
        }
    }
    QVERIFY2(failing > 2000, std::to_string(failing).c_str());
    QVERIFY2(quotedRoot > 100, std::to_string(quotedRoot).c_str());
    QVERIFY2(quotedMember > 100, std::to_string(quotedMember).c_str());

    // The memory is bounded: 20,000 different failing instances (an id that fails a pattern, so it is in the key)
    // keep one schema's cache within its limit, and a schema gone gives its bytes back.
    const std::size_t before = el::schema_detail::ExplanationCache::allBytes();
    {
        std::string error;
        const auto schema = el::JsonSchema::compile(
            Json {{"properties", {{"id", {{"type", "string"}, {"pattern", "^[a-f]+$"}}}}}, {"required", {"id"}}},
            error);
        QVERIFY2(schema, error.c_str());
        std::size_t most = 0;
        for (int i = 0; i < 20000; ++i) {
            std::vector<el::SchemaError> errors;
            QVERIFY(!schema->validate(Json {{"id", "id-" + std::to_string(i)}}, errors, "/properties", "properties"));
            QCOMPARE(errors.size(), std::size_t(1));
            most = std::max(most, el::schema_detail::ExplanationCache::allBytes() - before);
        }
        QVERIFY2(most > 100000 && most <= el::schema_detail::ExplanationCache::kMaxBytes, std::to_string(most).c_str());
    }
    QCOMPARE(el::schema_detail::ExplanationCache::allBytes(), before);
}

void TestJsonSchema::describedValuesAreShortDumps()
{
    // describeJsonValue() writes at most about 80 bytes of a large value; the text must be what the whole dump,
    // cut at 77 bytes plus "...", says.
    Json big = Json::object();
    for (int i = 0; i < 200; ++i)
        big["key" + std::to_string(i)]
            = Json {{"nested", {1, 2.5, "x\"y", nullptr, true}}, {"s", std::string(30, 'a')}};
    Json nested = Json::array();
    for (int i = 0; i < 50; ++i)
        nested = Json::array({nested, i});
    const std::vector<Json> values = {Json(), Json(true), Json(-3), Json(18446744073709551615ull), Json(0.1),
        Json("short"), Json(std::string(200, 'z')), Json("caf\xc3\xa9 \xff bad utf-8 " + std::string(90, 'u')),
        Json::object(), Json::array(), Json {{"a", 1}}, big, nested, Json {{"\xff", std::string(100, 'k')}},
        Json::array({std::string(78, 'q'), 1}), Json {{std::string(76, 'k'), 1}}};
    for (const Json& v : values) {
        std::string expected = v.dump(-1, ' ', false, Json::error_handler_t::replace);
        if (expected.size() > 80)
            expected = expected.substr(0, 77) + "...";
        QCOMPARE(el::describeJsonValue(v), expected);
    }
}

void TestJsonSchema::pointersAreEscaped()
{
    QCOMPARE(el::jsonPointerFromTokens({"a/b", "c~d", ""}), std::string("/a~1b/c~0d/"));
    QCOMPARE(el::jsonPointerEscape("~/"), std::string("~0~1"));
}

void TestJsonSchema::everyKeywordConstrains()
{
    // Several value keywords on one node must all constrain: "const" and "enum" once shared one slot in
    // the fast evaluator, so whichever came last decided alone.
    const std::vector<std::tuple<std::string, Json, bool>> cases = {
        {R"({"enum": ["a", "b"], "const": "b"})", "a", false},
        {R"({"enum": ["a", "b"], "const": "b"})", "b", true},
        {R"({"enum": ["a"], "const": "b"})", "a", false},
        {R"({"enum": ["a"], "const": "b"})", "b", false},
        {R"({"const": 1, "enum": [1, 2]})", 2, false},
        {R"({"type": "string", "enum": ["a", 1], "const": 1})", 1, false},
    };
    for (const auto& [text, instance, expected] : cases) {
        std::string error;
        const auto schema = el::JsonSchema::compile(Json::parse(text), error);
        QVERIFY2(schema, error.c_str());
        const std::string label = text + " on " + instance.dump();
        QVERIFY2(schema->accepts(instance) == expected, label.c_str());
        std::vector<el::SchemaError> errors;
        QVERIFY2(schema->validate(instance, errors) == expected, label.c_str());
        QVERIFY2(errors.empty() == expected, label.c_str());
        // Nested in properties, as contracts use it.
        const auto nested = el::JsonSchema::compile(Json {{"properties", {{"p", Json::parse(text)}}}}, error);
        QVERIFY2(nested, error.c_str());
        QVERIFY2(nested->accepts(Json {{"p", instance}}) == expected, label.c_str());
    }
}

void TestJsonSchema::refCyclesAreRefused()
{
    // A $ref cycle that reaches itself without descending into the instance recursed until the stack
    // overflowed (at validation, or already at load). It is refused at compile time, naming the cycle.
    const std::vector<std::pair<std::string, std::string>> cycles = {
        {R"({"allOf": [{"$ref": "#"}]})", "# -> #/allOf/0 -> #"},
        {R"({"definitions": {"d": {"$ref": "#/definitions/d"}}, "allOf": [{"$ref": "#/definitions/d"}]})",
            "#/definitions/d -> #/definitions/d"},
        {R"({"$ref": "#"})", "# -> #"},
        {R"({"definitions": {"a": {"anyOf": [{"type": "string"}, {"$ref": "#/definitions/b"}]},
            "b": {"not": {"$ref": "#/definitions/a"}}}, "properties": {"p": {"$ref": "#/definitions/a"}}})",
            "#/definitions/a -> #/definitions/a/anyOf/1 -> #/definitions/b -> #/definitions/b/not -> #/definitions/a"},
        {R"({"if": {"$ref": "#/definitions/x"}, "then": true,
            "definitions": {"x": {"oneOf": [{"dependencies": {"k": {"$ref": "#/definitions/x"}}}]}}})",
            "#/definitions/x -> #/definitions/x/oneOf/0 -> #/definitions/x/oneOf/0/dependencies/k -> #/definitions/x"},
    };
    for (const auto& [text, cycle] : cycles) {
        std::string error;
        const auto schema = el::JsonSchema::compile(Json::parse(text), error);
        QVERIFY2(!schema, text.c_str());
        QCOMPARE(error, "$ref cycle that consumes no input (it would recurse forever): " + cycle);
    }
    // Recursion through properties or items ends with the instance: allowed, and it works.
    std::string error;
    const auto tree = el::JsonSchema::compile(Json::parse(R"({"definitions": {"node": {"type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}}},
        "allOf": [{"$ref": "#/definitions/node"}], "properties": {"self": {"$ref": "#"}}})"),
        error);
    QVERIFY2(tree, error.c_str());
    QVERIFY(tree->accepts(Json::parse(R"({"children": [{"children": []}], "self": {"children": [{}]}})")));
    QVERIFY(!tree->accepts(Json::parse(R"({"children": [{"children": [1]}]})")));
    QVERIFY(!tree->accepts(Json::parse(R"({"self": {"self": {"children": 2}}})")));
    // A chain of references without a loop is fine too.
    const auto chain = el::JsonSchema::compile(Json::parse(R"({"definitions": {"a": {"$ref": "#/definitions/b"},
        "b": {"type": "string"}}, "$ref": "#/definitions/a"})"),
        error);
    QVERIFY2(chain, error.c_str());
    QVERIFY(chain->accepts("x"));
    QVERIFY(!chain->accepts(1));
}

void TestJsonSchema::patternsMatchCodePoints()
{
    // Draft-07 patterns are ECMA-262 regular expressions over code points, not over UTF-8 bytes.
    const std::vector<std::tuple<std::string, std::string, bool>> cases = {
        {"^.$", "\u00e9", true}, // é: two bytes, one character
        {"^.$", "ab", false}, {"^..$", "\u65e5\u672c", true}, // 日本: three bytes each
        {"^.{2}$", "\u65e5\u672c", true}, {"^.{3}$", "\u65e5\u672c", false},
        {"^\\s$", "\u00a0", true}, // no-break space is white space in ECMA-262
        {"^\\s$", "\u3000", true}, {"^\\s$", "\ufeff", true}, {"^\\s+$", " \t\u2003", true}, {"^\\S$", "\u00a0", false},
        {"^\\S$", "\u00e9", true}, {"^[\\s]$", "\u00a0", true}, {"^[^\\s]$", "\u00a0", false},
        {"^[x\\S]$", "\u00e9", true}, {"^[x\\S]$", "\u00a0", false}, {"^[^x\\S]$", "\u00a0", true},
        {"^[^x\\S]$", "x", false}, {"^\\w$", "\u00e9", false}, // \w is ASCII in ECMA-262
        {"^\\w+$", "a_Z9", true}, {"^\\d$", "\u0663", false},
        {"^[\u00e0-\u00ff]+$", "\u00e9\u00e0\u00ff", true}, // [à-ÿ]
        {"^[\u00e0-\u00ff]$", "a", false}, {"^[\u00e0-\u00ff]$", "\u0100", false},
        {"^\u00e9+$", "\u00e9\u00e9\u00e9", true}, // a quantifier on a two-byte character
        {"^\u00e9{2}$", "\u00e9\u00e9", true}, {"^\u00e9{2}$", "\u00e9", false},
        {"^\\u00e9$", "\u00e9", true}, // the escape in the pattern
        {"^[^a]$", "\u65e5", true}, {"^.$", "\U0001F600", true}, // one code point outside the BMP
    };
    for (const auto& [pattern, text, expected] : cases) {
        const Json schemaJson = {{"type", "string"}, {"pattern", pattern}};
        const Json instance = text;
        const std::string label = schemaJson.dump() + " on " + instance.dump();
        std::string error;
        const auto schema = el::JsonSchema::compile(schemaJson, error);
        QVERIFY2(schema, (label + ": " + error).c_str());
        QVERIFY2(schema->accepts(instance) == expected, label.c_str());
        QVERIFY2(schema->generalPathVerdict(instance)
                == (expected ? el::JsonSchema::PathVerdict::Valid : el::JsonSchema::PathVerdict::Invalid),
            label.c_str());
        const auto fast = schema->fastPathVerdict(instance);
        QVERIFY2(fast == el::JsonSchema::PathVerdict::Undecided
                || fast == (expected ? el::JsonSchema::PathVerdict::Valid : el::JsonSchema::PathVerdict::Invalid),
            label.c_str());
        std::vector<el::SchemaError> errors;
        QVERIFY2(schema->validate(instance, errors) == expected, label.c_str());
        if (!expected) {
            QCOMPARE(errors.size(), std::size_t(1));
            QVERIFY2(errors[0].message.find("expected to match the pattern") != std::string::npos,
                errors[0].message.c_str());
        }
    }
    // A back-reference pattern (backtracking) over code points as well.
    std::string error;
    const auto backref = el::JsonSchema::compile(Json::parse(R"({"pattern": "^(.)\\1$"})"), error);
    QVERIFY2(backref, error.c_str());
    QVERIFY(backref->accepts("\u00e9\u00e9"));
    QVERIFY(!backref->accepts("\u00e9\u00e8"));
}

QTEST_GUILESS_MAIN(TestJsonSchema)
#include "tst_jsonschema.moc"
