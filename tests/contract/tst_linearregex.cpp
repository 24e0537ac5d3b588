// SPDX-License-Identifier: MIT
// el::LinearRegex, the bit-parallel matcher behind most "pattern" keywords, against V8's ECMA-262 RegExp with the
// "u" flag (tests/contract/regex-reference.mjs): fixed cases, the patterns of the built-in contract, and random
// patterns and texts (fixed seed). Where LinearRegex compiles a pattern that V8 accepts, every verdict must agree.
#include "util/linearregex.h"

#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <vector>

using Json = nlohmann::json;

namespace {

struct Case
{
    std::string pattern;
    std::vector<std::string> texts;
};

/** One line per case from regex-reference.mjs, or an error text in \a why. */
std::vector<std::string> ecmaVerdicts(const std::vector<Case>& cases, std::string& why)
{
    const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
    if (node.isEmpty()) {
        why = "node is not on PATH (.ci/deps installs Node.js)";
        return {};
    }
    QByteArray input;
    for (const Case& c : cases) {
        input += QByteArray::fromStdString(Json {{"pattern", c.pattern}, {"texts", c.texts}}.dump());
        input += '\n';
    }
    QProcess p;
    p.start(node, {QStringLiteral(EVENTLENS_SOURCE_DIR "/tests/contract/regex-reference.mjs")});
    if (!p.waitForStarted(10000)) {
        why = "could not start node";
        return {};
    }
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        why = "regex-reference.mjs failed: " + p.readAllStandardError().toStdString();
        return {};
    }
    std::vector<std::string> out;
    for (const QByteArray& line : p.readAllStandardOutput().split('\n'))
        if (!line.isEmpty())
            out.push_back(line.toStdString());
    if (out.size() != cases.size()) {
        why = "regex-reference.mjs answered " + std::to_string(out.size()) + " of " + std::to_string(cases.size());
        return {};
    }
    return out;
}

/** Random patterns over a small alphabet that exercises classes, white space, non-ASCII and line terminators. */
class PatternGen
{
public:
    explicit PatternGen(unsigned seed)
        : m_rng(seed)
    { }

    std::string pattern()
    {
        std::string p;
        const bool start = pick(3) == 0;
        const bool end = pick(3) == 0;
        std::string body = alternation(0);
        if ((start || end) && body.find('|') != std::string::npos && pick(4) != 0)
            body = "(" + body + ")";
        return (start ? "^" : "") + body + (end ? "$" : "");
    }

    std::string text()
    {
        static const std::vector<std::string> alphabet = {"a", "b", "c", "-", "A", "1", "_", ".", " ", "\t", "\n", "\r",
            "\xC3\xA9" /* é */, "\xC2\xA0" /* nbsp */, "\xE2\x80\xA8" /* U+2028 */, "\xF0\x9F\x98\x80" /* 😀 */,
            "\xEF\xBB\xBF" /* U+FEFF */, "\xE2\x80\x8B" /* U+200B, not white space */};
        std::string t;
        const int n = pick(9);
        for (int k = 0; k < n; ++k)
            t += alphabet[std::size_t(pick(int(alphabet.size())))];
        return t;
    }

private:
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(m_rng); }

    std::string alternation(int depth)
    {
        std::string s = sequence(depth);
        if (pick(5) == 0)
            s += "|" + sequence(depth);
        return s;
    }

    std::string sequence(int depth)
    {
        std::string s;
        const int n = pick(4) + (depth == 0 ? 1 : 0);
        for (int k = 0; k < n; ++k)
            s += atom(depth) + quantifier();
        return s;
    }

    std::string quantifier()
    {
        static const std::vector<std::string> q
            = {"", "", "", "*", "+", "?", "{2}", "{1,3}", "{0,}", "*?", "{2,}", "{0,2}", "+?"};
        return q[std::size_t(pick(int(q.size())))];
    }

    std::string atom(int depth)
    {
        static const std::vector<std::string> atoms
            = {"a", "b", "c", "-", "\xC3\xA9", "\xF0\x9F\x98\x80", " ", ".", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S",
                "\\.", "[ab]", "[^a]", "[a-c]", "[\\s\\d]", "[^\\S]", "[\xC3\xA9-\xC3\xBC]", "\\u00e9", "\\x41", "[-a]",
                "[a-]", "[\\-.]", "\\n", "\\t", "\\u2028", "[^\\w\\s]", "\\/", "\\$", "\\^", "[^]", "A", "1", "_"};
        if (depth < 2 && pick(6) == 0)
            return (pick(2) ? "(" : "(?:") + alternation(depth + 1) + ")";
        return atoms[std::size_t(pick(int(atoms.size())))];
    }

    std::mt19937 m_rng;
};

} // namespace

class TestLinearRegex : public QObject
{
    Q_OBJECT

private slots:
    void fixedCases_data();
    void fixedCases();
    void refusals_data();
    void refusals();
    void contractPatternsCompile();
    void agreesWithEcma();
};

void TestLinearRegex::fixedCases_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("match");
    auto row = [](const char* p, const char* t, bool m) {
        QTest::addRow("%s ~ %s", p, t) << QString::fromUtf8(p) << QString::fromUtf8(t) << m;
    };
    const char* uuid = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
    row(uuid, "123e4567-e89b-12d3-a456-426614174000", true);
    row(uuid, "123e4567-e89b-12d3-a456-42661417400", false);
    row(uuid, "123e4567-e89b-12d3-a456-4266141740000", false);
    row(uuid, "x123e4567-e89b-12d3-a456-426614174000", false);
    row("^\\S(.*\\S)?$", "a", true);
    row("^\\S(.*\\S)?$", "a b", true);
    row("^\\S(.*\\S)?$", " a", false);
    row("^\\S(.*\\S)?$", "a ", false);
    row("^\\S(.*\\S)?$", "a\xC2\xA0", false); // no-break space is white space
    row("^\\S(.*\\S)?$", "a\nb", false); // "." does not match a line terminator
    row("^\\S(.*\\S)?$", "", false);
    row("^\\$", "$set", true);
    row("^\\$", "x$set", false);
    row("^.$", "\xF0\x9F\x98\x80", true); // one code point, four bytes
    row("^.$", "\xC3\xA9", true);
    row("^.$", "\xFF", true); // a bad byte reads as U+FFFD
    row("^..$", "\xFF\xFE", true);
    row("", "anything", true);
    row("a*", "", true);
    row("^a*$", "", true);
    row("^a*$", "b", false);
    row("b$", "ab", true);
    row("b$", "ba", false);
    row("^(a|b)c$", "bc", true);
    row("x{0}y", "y", true);
    row("[]", "a", false);
    row("[^]", "\n", true);
    row("^[\\d-]+$", "12-3", true);
    row("\\u00e9", "caf\xC3\xA9", true);
}

void TestLinearRegex::fixedCases()
{
    QFETCH(QString, pattern);
    QFETCH(QString, text);
    QFETCH(bool, match);
    const auto re = el::LinearRegex::compile(pattern.toStdString());
    QVERIFY2(re, "expected to compile");
    QCOMPARE(re->search(text.toStdString()), match);
}

void TestLinearRegex::refusals_data()
{
    QTest::addColumn<QString>("pattern");
    for (const char* p : {"(a)\\1", "a(?=b)", "a(?!b)", "(?<n>a)", "\\bword", "a^b", "a$b", "(a$)", "^a|b", "a|b$",
             "\\p{L}", "\\cJ", "\\uD83D\\uDE00", "[\\d-z]", "a**", "{", "}", "]", "*a", "a{2,1}", "(a", "a)", "[a",
             "a{65}", "\\k<n>", "\\01", "[\\b]", "((a{999}){999}){999}", "(((((a{9}){9}){9}){9}){9}){9}"}) {
        QTest::addRow("%s", p) << QString::fromUtf8(p);
    }
}

void TestLinearRegex::refusals()
{
    // What the matcher does not do is refused, so that the general engine (std::wregex) decides.
    QFETCH(QString, pattern);
    QVERIFY(!el::LinearRegex::compile(pattern.toStdString()));
}

void TestLinearRegex::contractPatternsCompile()
{
    // Every "pattern" of the built-in contract runs on the fast matcher (the reason it exists).
    QFile f(QStringLiteral(EVENTLENS_SOURCE_DIR "/resources/contracts/open-design.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const Json contract = Json::parse(f.readAll().toStdString());
    int patterns = 0;
    std::vector<const Json*> stack {&contract};
    while (!stack.empty()) {
        const Json* j = stack.back();
        stack.pop_back();
        if (j->is_object()) {
            for (auto it = j->begin(); it != j->end(); ++it) {
                if (it.key() == "pattern" && it->is_string()) {
                    ++patterns;
                    QVERIFY2(el::LinearRegex::compile(it->get<std::string>()), it->get<std::string>().c_str());
                }
                stack.push_back(&*it);
            }
        } else if (j->is_array()) {
            for (const Json& e : *j)
                stack.push_back(&e);
        }
    }
    QVERIFY(patterns >= 5);
}

void TestLinearRegex::agreesWithEcma()
{
    PatternGen gen(20261206);
    std::vector<Case> cases;
    for (int k = 0; k < 4000; ++k) {
        Case c;
        c.pattern = gen.pattern();
        for (int t = 0; t < 24; ++t)
            c.texts.push_back(gen.text());
        cases.push_back(std::move(c));
    }
    std::string why;
    const std::vector<std::string> expected = ecmaVerdicts(cases, why);
    if (expected.empty()) {
        if (qEnvironmentVariable("CI") == QLatin1String("true"))
            QFAIL(why.c_str());
        QSKIP(why.c_str());
    }
    int compiled = 0, compared = 0, refusedByEcma = 0;
    for (std::size_t k = 0; k < cases.size(); ++k) {
        const Case& c = cases[k];
        const auto re = el::LinearRegex::compile(c.pattern);
        if (!re)
            continue;
        ++compiled;
        if (expected[k] == "E") {
            ++refusedByEcma; // e.g. "\-" outside a class (a u-mode error; std::wregex, which decides validity, takes
                             // it)
            continue;
        }
        for (std::size_t t = 0; t < c.texts.size(); ++t) {
            const bool ours = re->search(c.texts[t]);
            const bool theirs = expected[k][t] == '1';
            ++compared;
            if (ours != theirs) {
                const std::string msg = "pattern " + Json(c.pattern).dump() + " text " + Json(c.texts[t]).dump()
                    + ": LinearRegex " + (ours ? "matches" : "does not match") + ", V8 "
                    + (theirs ? "does" : "does not");
                QFAIL(msg.c_str());
            }
        }
    }
    qInfo("%d of %zu random patterns compiled, %d verdicts compared with V8, %d patterns V8 refused", compiled,
        cases.size(), compared, refusedByEcma);
    QVERIFY(compiled > int(cases.size()) * 3 / 4);
}

QTEST_GUILESS_MAIN(TestLinearRegex)
#include "tst_linearregex.moc"
