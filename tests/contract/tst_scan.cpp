// SPDX-License-Identifier: MIT
// `scans` (issue 18, part 3): each detector on real-shaped positives and near misses, masking, the contract format,
// allow rules, JSON pointers (escaping, nested arrays), the messages of other violations and coverage never quoting
// a detected value, no false positive on the open-design golden streams, and `eventlens check` end to end (json,
// junit, text): the key is reported once, masked, and appears nowhere in the output.
// Over 600 lines as one file: one Qt Test class is one executable and one ctest name, and its cases share this
// file's fixtures and data rows.
#include "contract/contract.h"
#include "contract/contractengine.h"
#include "contract/coverage.h"
#include "contract/scan.h"
#include "eventlensrun.h"
#include "model/verdict.h"
#include "testevents.h"
#include "testfiles.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using el::Json;

namespace {

const QString kData = QStringLiteral(EVENTLENS_TEST_DATA);

/** Deterministic random text over \a alphabet: real-shaped keys without real keys (or key literals) in the source. */
std::string rnd(std::size_t n, unsigned seed,
    std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
{
    std::mt19937 gen(seed);
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out += alphabet[gen() % alphabet.size()];
    return out;
}

const std::string kUrl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string anthropicKey(unsigned seed = 1)
{
    return "sk-ant-" + std::string("api03-") + rnd(93, seed, kUrl) + "AA";
}

std::string jwtToken()
{
    // The example token of jwt.io (HS256, {"sub":"1234567890","name":"John Doe","iat":1516239022}).
    return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MD"
           "IyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
}

/** The text of each match of detector \a name in \a text (scanText() with that detector alone). */
std::vector<std::string> found(const std::string& name, const std::string& text)
{
    const int index = el::scanDetectorIndex(name);
    if (index < 0)
        return {"<unknown detector " + name + ">"};
    std::vector<el::ScanHit> hits;
    el::scanText(text, el::DetectorMask(1) << index, hits);
    std::vector<std::string> out;
    for (const el::ScanHit& h : hits)
        out.push_back(text.substr(h.match.begin, h.match.size()));
    // The detector's own function agrees with the scan (the first pass never hides a match).
    const auto direct = el::scanDetectors()[std::size_t(index)].find(text, 0);
    if (bool(direct) != !out.empty() || (direct && text.substr(direct->begin, direct->size()) != out.front()))
        out.push_back("<scanText and detect::" + name + " disagree>");
    return out;
}

using eltest::eventFromDoc;

std::shared_ptr<const el::Contract> contractOf(const Json& doc)
{
    std::string error;
    auto c = el::Contract::fromJson(doc, "test.json", error);
    if (!c)
        qWarning("%s", error.c_str());
    return c;
}

/** A contract with nothing but \a scans (every event allowed). */
std::shared_ptr<const el::Contract> scanContract(const Json& scans)
{
    return contractOf({{"name", "scan-test"}, {"unplanned_events", "allow"}, {"scans", scans}});
}

std::vector<el::Violation> judge(const el::Contract& c, const Json& doc)
{
    return el::judgeEvent(c, eventFromDoc(doc, 1), doc).violations;
}

std::string loadError(const Json& scans)
{
    std::string error;
    const auto c = el::Contract::fromJson({{"name", "x"}, {"scans", scans}}, "test.json", error);
    return c ? std::string("<loaded>") : error;
}

using Strings = std::vector<std::string>;

} // namespace

class TestScan : public QObject
{
    Q_OBJECT

private slots:
    void detectors_data();
    void detectors();
    void detectorTable();
    void precedence();
    void luhn();
    void firstPassIsExact();
    void masking_data();
    void masking();
    void redact();
    void contractFormat();
    void contractErrors_data();
    void contractErrors();
    void pointersAndNesting();
    void allowRules();
    void severalFindingsOneViolation();
    void otherMessagesAreMasked();
    void coverageIsMasked();
    void everyEventIsScanned();
    void goldenStreamsGiveNone();
    void checkEndToEnd();
};

void TestScan::detectors_data()
{
    QTest::addColumn<QString>("detector");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("match"); // empty: no match

    auto row = [](const char* tag, const char* detector, const std::string& text, const std::string& match) {
        QTest::newRow(tag) << QString::fromLatin1(detector) << QString::fromStdString(text)
                           << QString::fromStdString(match);
    };
    // anthropic
    const std::string ant = anthropicKey();
    row("anthropic key", "anthropic", ant, ant);
    row("anthropic in an error message", "anthropic", "upstream 401: invalid x-api-key " + ant + " (req_01)", ant);
    row("anthropic after Bearer", "anthropic", "Authorization: Bearer " + ant, ant);
    row("anthropic admin key", "anthropic", "sk-ant-admin01-" + rnd(90, 2, kUrl) + "AA",
        "sk-ant-admin01-" + rnd(90, 2, kUrl) + "AA");
    row("anthropic: too short", "anthropic", "sk-ant-api03-Abc123", "");
    row("anthropic: not random (no upper case, no digit)", "anthropic", "sk-ant-this-is-only-a-placeholder-for-docs",
        "");
    row("anthropic: glued to a word", "anthropic", "mask-ant-api03-" + rnd(93, 3, kUrl), "");
    // openai
    const std::string proj = "sk-proj-" + rnd(156, 4, kUrl);
    const std::string legacy = "sk-" + rnd(20, 5) + "T3BlbkFJ" + rnd(20, 6);
    row("openai project key", "openai", proj, proj);
    row("openai legacy key", "openai", "OPENAI_API_KEY=" + legacy, legacy);
    row("openai service account key", "openai", "sk-svcacct-" + rnd(120, 7, kUrl), "sk-svcacct-" + rnd(120, 7, kUrl));
    row("openai: task-list", "openai", "task-list", "");
    row("openai: disk-usage", "openai", "disk-usage-high-on-volume-3-please-check-soon-Now", "");
    row("openai: sk-1", "openai", "sk-1", "");
    row("openai: a slug without digits or capitals", "openai", "sk-this-is-a-long-slug-used-for-a-page-anchor", "");
    row("openai: an anthropic key is not an openai key", "openai", ant, "");
    // google
    const std::string google = "AIza" + rnd(35, 8, kUrl);
    row("google key", "google", "https://maps.googleapis.com/maps/api/js?key=" + google + "&v=3", google);
    row("google: 34 characters", "google", "AIza" + rnd(34, 9, kUrl), "");
    row("google: 36 characters", "google", "AIza" + rnd(36, 10, kUrl), "");
    row("google: glued", "google", "xAIza" + rnd(35, 11, kUrl), "");
    // aws
    row("aws access key id (AWS's documented example)", "aws", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "AKIAIOSFODNN7EXAMPLE");
    row("aws temporary key id", "aws", "ASIA" + rnd(16, 12, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
        "ASIA" + rnd(16, 12, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
    row("aws: 15 characters", "aws", "AKIAIOSFODNN7EXAMP", "");
    row("aws: 17 characters", "aws", "AKIAIOSFODNN7EXAMPLE1", "");
    row("aws: lower case", "aws", "AKIAiosfodnn7example", "");
    row("aws: glued", "aws", "XAKIAIOSFODNN7EXAMPLE", "");
    // github
    const std::string ghp = "ghp_" + rnd(36, 13);
    const std::string pat = "github_pat_" + rnd(22, 14) + "_" + rnd(59, 15);
    row("github classic token", "github", "git clone https://" + ghp + "@github.com/org/repo", ghp);
    row("github oauth token", "github", "gho_" + rnd(36, 16), "gho_" + rnd(36, 16));
    row("github fine-grained token", "github", pat, pat);
    row("github: a git SHA", "github", "e83c5163316f89bfbde7d9ab23ca2e25604af290", "");
    row("github: 35 characters", "github", "ghp_" + rnd(35, 17), "");
    row("github: 37 characters", "github", "ghp_" + rnd(37, 18), "");
    row("github: unknown type letter", "github", "ghx_" + rnd(36, 19), "");
    // posthog
    const std::string phx = "phx_" + rnd(43, 20);
    row("posthog personal key", "posthog", "POSTHOG_PERSONAL_API_KEY=" + phx, phx);
    row("posthog: a project key is public", "posthog", "phc_" + rnd(43, 21), "");
    row("posthog: short", "posthog", "phx_abc123", "");
    // slack
    const std::string xoxb = "xoxb-" + rnd(12, 22, "0123456789") + "-" + rnd(13, 23, "0123456789") + "-" + rnd(24, 24);
    row("slack bot token", "slack", "token: " + xoxb, xoxb);
    row("slack user token", "slack", "xoxp-" + rnd(12, 25, "0123456789") + "-" + rnd(24, 26),
        "xoxp-" + rnd(12, 25, "0123456789") + "-" + rnd(24, 26));
    row("slack: xoxo", "slack", "xoxo-hugs-and-kisses-from-the-whole-team", "");
    row("slack: short", "slack", "xoxb-1234", "");
    row("slack: unknown type", "slack", "xoxz-" + rnd(30, 27), "");
    // pem
    const std::string rsa
        = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + rnd(64, 28) + "\n-----END RSA PRIVATE KEY-----";
    row("pem rsa key", "pem", "key: " + rsa + "\n", rsa);
    row("pem pkcs8 key without END", "pem", "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg" + rnd(40, 29),
        "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg" + rnd(40, 29));
    row("pem openssh key", "pem",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----");
    row("pem pgp key block", "pem", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGXt" + rnd(30, 30),
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGXt" + rnd(30, 30));
    row("pem: a header alone", "pem", "-----BEGIN PGP PRIVATE KEY BLOCK-----", "");
    row("pem: a masked key", "pem", "-----BEGIN RSA PRIVATE KEY-----…", "");
    const std::string tabbed = "-----BEGIN RSA PRIVATE KEY-----\tMIIEowIBAAKCAQEA" + rnd(40, 41) + "\n-----ENDJ";
    row("pem: a tab before the key, a broken END line (the match covers the key)", "pem", tabbed + " x", tabbed + " x");
    row("pem: a certificate", "pem", "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----",
        "");
    row("pem: a public key", "pem", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0B", "");
    row("pem: an rsa public key", "pem", "-----BEGIN RSA PUBLIC KEY-----", "");
    // jwt
    row("jwt", "jwt", jwtToken(), jwtToken());
    row("jwt in a cookie", "jwt", "session=" + jwtToken() + "; Path=/", jwtToken());
    row("jwt with alg none", "jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.");
    row("jwt: a header alone", "jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "");
    row("jwt: three parts, header without alg", "jwt", "eyJmb28iOiJiYXIifQ.eyJmb28iOiJiYXIifQ.c2ln", "");
    row("jwt: a base64 blob", "jwt", "U29tZSBiYXNlNjQgYmxvYiB3aXRob3V0IGFueSBzdHJ1Y3R1cmU=", "");
    row("jwt: not base64", "jwt", "eyJ!!!.abc.def", "");
    // bearer
    row("bearer header value", "bearer", "Authorization: Bearer abcDEF123456ghiJKL789", "Bearer abcDEF123456ghiJKL789");
    row("bearer lower case", "bearer", "bearer 4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99",
        "bearer 4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99");
    row("bearer: prose", "bearer", "Bearer of bad news", "");
    row("bearer: token missing", "bearer", "bearer token missing from request", "");
    row("bearer: undefined", "bearer", "Authorization: Bearer undefined", "");
    row("bearer: no digit", "bearer", "Bearer abcdefghijklmnopqrstuvwxyz", "");
    row("bearer: glued", "bearer", "cardbearer 4f3c2a1b0e9d8c7b6a5f4e3d", "");
    // email
    row("email", "email", "jane.doe@example.com", "jane.doe@example.com");
    row("email in a sentence", "email", "write to j.smith+tag@mail.co.uk.", "j.smith+tag@mail.co.uk");
    row("email in angle brackets", "email", "Bob <bob@example.org>", "bob@example.org");
    row("email in a url", "email", "http://127.0.0.1:7456/?contact=bob@example.org", "bob@example.org");
    row("email: npm scope", "email", "@posthog/plugin-server", "");
    row("email: no dot", "email", "user@localhost", "");
    row("email: image scale", "email", "icon@2x.png", "");
    row("email: image scale with a fraction", "email", "logo@1.5x.webp", "");
    row("email: package version", "email", "posthog-js@1.374.2", "");
    row("email: one-letter TLD", "email", "a@b.c", "");
    row("email: a mention", "email", "thanks @jane.doe!", "");
    // card
    row("card visa", "card", "4242424242424242", "4242424242424242");
    row("card in spaces", "card", "card 4111 1111 1111 1111 exp 12/30", "4111 1111 1111 1111");
    row("card in dashes", "card", "5555-5555-5555-4444", "5555-5555-5555-4444");
    row("card amex", "card", "378282246310005", "378282246310005");
    row("card amex grouped", "card", "3782 822463 10005", "3782 822463 10005");
    row("card in a message", "card", "payment with 4012888888881881 declined", "4012888888881881");
    row("card: fails Luhn", "card", "4242424242424241", "");
    row("card: grouped, fails Luhn", "card", "4111 1111 1111 1112", "");
    row("card: ms timestamp", "card", "1781949600400", "");
    row("card: no issuer (passes Luhn)", "card", "1234567812345670", "");
    row("card: phone-like", "card", "+4915112345678", "");
    row("card: a decimal", "card", "4242424242424242.5", "");
    row("card: glued to an id", "card", "order-4242424242424242", "");
    row("card: a uuid", "card", "0197c2a1-6003-7003-8003-0000005e1003", "");
    row("card: odd groups", "card", "42 42424242 424242", "");
    // phone
    row("phone e164", "phone", "+14155552671", "+14155552671");
    row("phone e164 grouped", "phone", "+1 415 555 2671", "+1 415 555 2671");
    row("phone uk", "phone", "reach me on +44 20 7946 0958 today", "+44 20 7946 0958");
    row("phone de with trunk", "phone", "+49 (0)30 1234567", "+49 (0)30 1234567");
    row("phone tel uri", "phone", "tel:+33612345678", "+33612345678");
    row("phone nanp parentheses", "phone", "call me at (415) 555-2671", "(415) 555-2671");
    row("phone nanp dashes", "phone", "415-555-2671", "415-555-2671");
    row("phone nanp dots", "phone", "415.555.2671", "415.555.2671");
    row("phone national", "phone", "Tel. 030 12345678", "030 12345678");
    row("phone national grouped", "phone", "020 7946 0958", "020 7946 0958");
    row("phone french", "phone", "06 12 34 56 78", "06 12 34 56 78");
    row("phone with slash", "phone", "0171/1234567", "0171/1234567");
    row("phone: ms timestamp", "phone", "1781949600400", "");
    row("phone: an integer as a string", "phone", "12345678", "");
    row("phone: a long id", "phone", "987654321012", "");
    row("phone: a version", "phone", "1.374.2", "");
    row("phone: an ip", "phone", "192.168.100.200", "");
    row("phone: a timestamp", "phone", "2026-06-20T10:00:00.400Z", "");
    row("phone: an offset", "phone", "+02:00", "");
    row("phone: a uuid", "phone", "3f9d2c1e-7a4b-4e8f-9c21-5b6d7e8f9a01", "");
    row("phone: nanp area code 1", "phone", "123-456-7890", "");
    row("phone: glued", "phone", "v415-555-2671", "");
    row("phone: short plus", "phone", "+1000", "");
    row("phone: a count with plus", "phone", "+1234567", "");
    row("phone: a date", "phone", "01-02-2026", "");
    row("phone: a range", "phone", "2020-2026 415", "");
}

void TestScan::detectors()
{
    QFETCH(QString, detector);
    QFETCH(QString, text);
    QFETCH(QString, match);
    const Strings got = found(detector.toStdString(), text.toStdString());
    const Strings want = match.isEmpty() ? Strings {} : Strings {match.toStdString()};
    if (got != want) {
        for (const std::string& g : got)
            qWarning("found: %s", g.c_str());
    }
    QVERIFY(got == want);
}

void TestScan::detectorTable()
{
    const auto& all = el::scanDetectors();
    const Strings names {"anthropic", "openai", "google", "aws", "github", "posthog", "slack", "pem", "jwt", "bearer",
        "email", "card", "phone"};
    QCOMPARE(all.size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        QCOMPARE(std::string(all[i].name), names[i]);
        QCOMPARE(el::scanDetectorIndex(names[i]), int(i));
        QVERIFY(all[i].kind == (i < 10 ? el::ScanKind::Secret : el::ScanKind::Pii));
    }
    QCOMPARE(el::scanDetectorIndex("nope"), -1);
    QCOMPARE(el::scanDetectorsOf(el::ScanKind::Secret) | el::scanDetectorsOf(el::ScanKind::Pii),
        el::DetectorMask((1u << names.size()) - 1));
}

void TestScan::precedence()
{
    const el::DetectorMask all = el::scanDetectorsOf(el::ScanKind::Secret) | el::scanDetectorsOf(el::ScanKind::Pii);
    std::vector<el::ScanHit> hits;
    // A key after "Bearer" is that key (one finding), a JWT after "Bearer" is the JWT.
    QVERIFY(el::scanText("Authorization: Bearer " + anthropicKey(), all, hits));
    QCOMPARE(hits.size(), std::size_t(1));
    QCOMPARE(std::string(el::scanDetectors()[hits[0].detector].name), std::string("anthropic"));
    QVERIFY(el::scanText("Bearer " + jwtToken(), all, hits));
    QCOMPARE(hits.size(), std::size_t(1));
    QCOMPARE(std::string(el::scanDetectors()[hits[0].detector].name), std::string("jwt"));
    // Two things in one string: both, in text order.
    QVERIFY(el::scanText("mail jane@example.com, key " + anthropicKey(), all, hits));
    QCOMPARE(hits.size(), std::size_t(2));
    QCOMPARE(std::string(el::scanDetectors()[hits[0].detector].name), std::string("email"));
    QCOMPARE(std::string(el::scanDetectors()[hits[1].detector].name), std::string("anthropic"));
    // Nothing: short strings, ordinary values.
    QVERIFY(!el::scanText("sk-", all, hits));
    QVERIFY(hits.empty());
    QVERIFY(!el::scanText("0197c2a1-6003-7003-8003-0000005e1003", all, hits));
    QVERIFY(!el::scanText("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36", all, hits));
    // Only the detectors asked for.
    QVERIFY(!el::scanText("jane@example.com", el::scanDetectorsOf(el::ScanKind::Secret), hits));
}

void TestScan::luhn()
{
    QVERIFY(el::detect::luhn("4242424242424242"));
    QVERIFY(el::detect::luhn("4111 1111 1111 1111"));
    QVERIFY(el::detect::luhn("79927398713"));
    QVERIFY(!el::detect::luhn("79927398710"));
    QVERIFY(!el::detect::luhn("4242424242424241"));
    QVERIFY(!el::detect::luhn(""));
}

void TestScan::firstPassIsExact()
{
    // The SSE2 first pass notes what the byte-by-byte one does, at every length and alignment; and scanText() (first
    // pass, then only the detectors it lets through) finds exactly what every detector run on its own finds, on random
    // mixes of real-shaped fragments, near misses and noise.
    const std::vector<std::string> fragments {anthropicKey(3), "sk-proj-" + rnd(60, 31, kUrl),
        "AIza" + rnd(35, 32, kUrl), "AKIAIOSFODNN7EXAMPLE", "ghp_" + rnd(36, 33),
        "github_pat_" + rnd(22, 34) + "_" + rnd(59, 35), "phx_" + rnd(43, 36),
        "xoxb-" + rnd(12, 37, "0123456789") + "-" + rnd(24, 38), jwtToken(),
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END PRIVATE KEY-----",
        "Bearer abcDEF123456ghiJKL789", "jane.doe@example.com", "4111 1111 1111 1111", "4242424242424242",
        "378282246310005", "+44 20 7946 0958", "(415) 555-2671", "415.555.2671", "030 12345678", "06 12 34 56 78",
        "+14155552671", "task-list", "sk-1", "0197c2a1-6003-7003-8003-0000005e1003", "2026-06-20T10:00:00.400Z",
        "1781949600400", "1.374.2", "icon@2x.png", "e83c5163316f89bfbde7d9ab23ca2e25604af290", "phc_" + rnd(43, 39),
        "Bearer of bad news", "4242424242424241", "12345678", "a", "Z", "_", "-", ".", " ", "\t", "(", ")", "+", ",",
        "#", ":", "/", "@", "0", "7", "x", "é", "\xff"};
    const el::DetectorMask all = el::scanDetectorsOf(el::ScanKind::Secret) | el::scanDetectorsOf(el::ScanKind::Pii);
    const auto& detectors = el::scanDetectors();
    std::mt19937 gen(18);
    std::vector<el::ScanHit> hits;
    std::size_t found = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string text;
        const std::size_t parts = 1 + gen() % 6;
        for (std::size_t k = 0; k < parts; ++k)
            text += fragments[gen() % fragments.size()];
        if (gen() % 4 == 0)
            text = text.substr(gen() % (text.size() + 1)); // any alignment, any cut
        QVERIFY2(el::detect::firstPassAgrees(text), text.c_str());
        // The reference: every detector, in precedence order, no first pass.
        std::vector<el::ScanHit> want;
        for (std::size_t d = 0; d < detectors.size(); ++d) {
            for (std::size_t from = 0; from < text.size();) {
                const auto m = detectors[d].find(text, from);
                if (!m)
                    break;
                from = std::max(m->end, m->begin + 1);
                const bool overlaps = std::any_of(want.begin(), want.end(),
                    [&](const el::ScanHit& h) { return m->begin < h.match.end && h.match.begin < m->end; });
                if (!overlaps)
                    want.push_back({d, *m});
            }
        }
        std::sort(want.begin(), want.end(),
            [](const el::ScanHit& a, const el::ScanHit& b) { return a.match.begin < b.match.begin; });
        el::scanText(text, all, hits, std::size_t(-1));
        QCOMPARE(hits.size(), want.size());
        for (std::size_t k = 0; k < hits.size(); ++k) {
            QCOMPARE(hits[k].detector, want[k].detector);
            QVERIFY(hits[k].match == want[k].match);
        }
        found += hits.size();
    }
    qInfo("%zu matches in 20000 texts", found);
    QVERIFY(found > 5000);
    for (std::size_t n = 0; n < 70; ++n) { // every length around the 16-byte blocks
        QVERIFY(el::detect::firstPassAgrees(std::string(n, '7') + "-kA@" + std::string(n % 17, 'f')));
        QVERIFY(el::detect::firstPassAgrees(std::string(n, 'a') + std::string(n % 5, '-') + std::string(n % 19, '9')));
        QVERIFY(el::detect::firstPassAgrees(std::string(n, '1') + "-" + std::string(n % 7, '2') + "g"));
    }
}

void TestScan::masking_data()
{
    QTest::addColumn<QString>("detector");
    QTest::addColumn<QString>("match");
    QTest::addColumn<QString>("masked");
    auto row = [](const char* tag, const char* d, const std::string& m, const std::string& masked) {
        QTest::newRow(tag) << QString::fromLatin1(d) << QString::fromStdString(m) << QString::fromStdString(masked);
    };
    const std::string ant = anthropicKey();
    row("anthropic", "anthropic", ant, "sk-ant-…" + ant.substr(ant.size() - 4));
    const std::string proj = "sk-proj-" + rnd(156, 4, kUrl);
    row("openai project", "openai", proj, "sk-proj-…" + proj.substr(proj.size() - 4));
    row("aws", "aws", "AKIAIOSFODNN7EXAMPLE", "AKIA…MPLE");
    const std::string pat = "github_pat_" + rnd(22, 14) + "_" + rnd(59, 15);
    row("github fine-grained", "github", pat, "github_pat_…" + pat.substr(pat.size() - 4));
    row("jwt", "jwt", jwtToken(), "eyJ…sw5c");
    row("bearer", "bearer", "Bearer abcDEF123456ghiJKL789", "Bearer …L789");
    row("bearer short token", "bearer", "bearer abcDEF1234567890", "bearer …7890");
    row("pem", "pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----…");
    row("email", "email", "jane.doe@example.com", "j…@e…com");
    row("short email", "email", "jo@ex.com", "…@…com");
    row("card", "card", "4111 1111 1111 1111", "…1111");
    row("phone e164", "phone", "+44 20 7946 0958", "+…58");
    row("phone national", "phone", "(415) 555-2671", "…71");
    row("slack", "slack", "xoxb-123456789012345", "xoxb-…2345");
    row("fewer than 12 characters hidden: no tail", "slack", "xoxb-12345678901", "xoxb-…");
}

void TestScan::masking()
{
    QFETCH(QString, detector);
    QFETCH(QString, match);
    QFETCH(QString, masked);
    const int index = el::scanDetectorIndex(detector.toStdString());
    QVERIFY(index >= 0);
    const std::string m = match.toStdString();
    const std::string got = el::maskMatch(std::size_t(index), m);
    QCOMPARE(QString::fromStdString(got), masked);
    // Masking a report twice changes nothing (a PEM header alone is still found, and masked to itself).
    const el::DetectorMask all = el::scanDetectorsOf(el::ScanKind::Secret) | el::scanDetectorsOf(el::ScanKind::Pii);
    QCOMPARE(el::redactText(got, all), got);
    if (el::containsMatch(m, el::DetectorMask(1) << index))
        QCOMPARE(el::redactText(m, all), got);
}

void TestScan::redact()
{
    const el::DetectorMask all = el::scanDetectorsOf(el::ScanKind::Secret) | el::scanDetectorsOf(el::ScanKind::Pii);
    const std::string ant = anthropicKey();
    const std::string text = "401 for " + ant + " sent by jane.doe@example.com";
    const std::string red = el::redactText(text, all);
    QCOMPARE(red, "401 for sk-ant-…" + ant.substr(ant.size() - 4) + " sent by j…@e…com");
    QCOMPARE(el::redactText(red, all), red); // idempotent
    QCOMPARE(el::redactText("nothing here", all), std::string("nothing here"));
    QCOMPARE(el::redactText(text, el::scanDetectorsOf(el::ScanKind::Pii)),
        "401 for " + ant + " sent by j…@e…com"); // only the detectors asked for
}

void TestScan::contractFormat()
{
    const auto c = contractOf(Json::parse(R"({
        "name": "x",
        "scans": [
            {"id": "no-secrets", "kind": "secret", "description": "d"},
            {"id": "no-pii", "kind": "pii", "severity": "warning", "detectors": ["phone", "email"],
             "allow": [{"property": "$ip"}, {"event": "$identify", "property": "email"},
                       {"path": "/properties/$set/email"}, {"event": "internal_*", "$comment": "all of it"}]}
        ]})"));
    QVERIFY(c);
    QCOMPARE(c->scans().size(), std::size_t(2));
    const el::ScanSpec& secret = c->scans()[0];
    QVERIFY(secret.kind == el::ScanKind::Secret);
    QVERIFY(secret.severity == el::Severity::Error);
    QCOMPARE(secret.detectors,
        (Strings {"anthropic", "openai", "google", "aws", "github", "posthog", "slack", "pem", "jwt", "bearer"}));
    const el::ScanSpec& pii = c->scans()[1];
    QVERIFY(pii.severity == el::Severity::Warning);
    QCOMPARE(pii.detectors, (Strings {"email", "phone"})); // in table order
    QCOMPARE(pii.allow.size(), std::size_t(4));
    QVERIFY(pii.allows("$pageview", "/properties/$ip"));
    QVERIFY(pii.allows("$pageview", "/properties/$ip/0"));
    QVERIFY(!pii.allows("$pageview", "/properties/$ipx"));
    QVERIFY(pii.allows("$identify", "/properties/email"));
    QVERIFY(!pii.allows("$pageview", "/properties/email"));
    QVERIFY(pii.allows("x", "/properties/$set/email"));
    QVERIFY(!pii.allows("x", "/properties/$set/email/0")); // path: exact
    QVERIFY(pii.allows("internal_debug", "/properties/anything/at/all"));
    QVERIFY(c->scanMask() == (secret.mask | pii.mask));
    const std::vector<std::string> ids = c->ruleIds();
    QVERIFY(std::find(ids.begin(), ids.end(), "no-secrets") != ids.end());
    QVERIFY(std::find(ids.begin(), ids.end(), "no-pii") != ids.end());
    // A property with '/' or '~' is matched escaped.
    const auto odd = scanContract(Json::parse(R"([{"id": "p", "kind": "pii", "allow": [{"property": "a/b~c"}]}])"));
    QVERIFY(odd);
    QVERIFY(odd->scans()[0].allows("e", "/properties/a~1b~0c"));
}

void TestScan::contractErrors_data()
{
    QTest::addColumn<QString>("scans");
    QTest::addColumn<QString>("error");
    QTest::newRow("not an array") << R"({"id": "x"})"
                                  << "test.json: scans: must be an array of rules, not object";
    QTest::newRow("no id") << R"([{"kind": "secret"}])"
                           << "test.json: scans[0].id: is required";
    QTest::newRow("no kind") << R"([{"id": "s"}])"
                             << "test.json: scans.s.kind: is required";
    QTest::newRow("bad kind") << R"([{"id": "s", "kind": "token"}])"
                              << R"(test.json: scans.s.kind: must be "secret" or "pii", not "token")";
    QTest::newRow("unknown key")
        << R"([{"id": "s", "kind": "pii", "allowed": []}])"
        << R"(test.json: scans.s: unknown key "allowed" (allowed: id, kind, severity, detectors, allow, description))";
    QTest::newRow("unknown detector")
        << R"([{"id": "s", "kind": "secret", "detectors": ["stripe"]}])"
        << R"(test.json: scans.s.detectors: unknown secret detector "stripe" (secret detectors: anthropic, openai, google, aws, github, posthog, slack, pem, jwt, bearer))";
    QTest::newRow("detector of the other kind")
        << R"([{"id": "s", "kind": "pii", "detectors": ["openai"]}])"
        << R"(test.json: scans.s.detectors: unknown pii detector "openai" (pii detectors: email, card, phone))";
    QTest::newRow("no detectors") << R"([{"id": "s", "kind": "pii", "detectors": []}])"
                                  << "test.json: scans.s.detectors: must name at least one detector (leave it out for "
                                     "every pii one)";
    QTest::newRow("bad severity") << R"([{"id": "s", "kind": "pii", "severity": "info"}])"
                                  << R"(test.json: scans.s.severity: must be "error" or "warning", not "info")";
    QTest::newRow("duplicate id")
        << R"([{"id": "s", "kind": "pii"}, {"id": "s", "kind": "secret"}])"
        << R"(test.json: scans.s: duplicate rule id "s" (rule ids must be unique in a contract))";
    QTest::newRow("allow not an array") << R"([{"id": "s", "kind": "pii", "allow": {"property": "x"}}])"
                                        << "test.json: scans.s.allow: must be an array of {event, property, path}, "
                                           "not object";
    QTest::newRow("allow unknown key")
        << R"([{"id": "s", "kind": "pii", "allow": [{"prop": "x"}]}])"
        << R"(test.json: scans.s.allow[0]: unknown key "prop" (allowed: event, property, path, description))";
    QTest::newRow("allow empty") << R"([{"id": "s", "kind": "pii", "allow": [{}]}])"
                                 << "test.json: scans.s.allow[0]: must give event, property or path";
    QTest::newRow("allow bad pointer") << R"([{"id": "s", "kind": "pii", "allow": [{"path": "properties/x"}]}])"
                                       << "test.json: scans.s.allow[0].path: must be a JSON pointer such as "
                                          "/properties/run_id, not \"properties/x\"";
    QTest::newRow("allow both") << R"([{"id": "s", "kind": "pii", "allow": [{"path": "/x", "property": "x"}]}])"
                                << "test.json: scans.s.allow[0]: give property or path, not both";
}

void TestScan::contractErrors()
{
    QFETCH(QString, scans);
    QFETCH(QString, error);
    QCOMPARE(QString::fromStdString(loadError(Json::parse(scans.toStdString()))), error);
}

void TestScan::pointersAndNesting()
{
    const auto c = scanContract(Json::parse(R"([{"id": "no-secrets", "kind": "secret"}])"));
    QVERIFY(c);
    const std::string ant = anthropicKey();
    Json doc = {{"event", "e"}, {"properties", Json::object()}};
    doc["properties"]["nested"] = Json::array({Json {{"key", ant}}, Json::array({"x", Json::array({"ok", ant})})});
    doc["properties"]["a/b~c"] = ant;
    doc["properties"]["list"] = Json::array({1, true, nullptr, ant});
    doc["$set"] = {{"token", ant}};
    const std::vector<el::Violation> v = judge(*c, doc);
    Strings paths;
    for (const el::Violation& x : v) {
        QVERIFY(x.kind == el::ViolationKind::Secret);
        QCOMPARE(x.rule, std::string("no-secrets"));
        QCOMPARE(x.seqs, std::vector<qint64> {1});
        paths.push_back(x.path);
        QVERIFY2(x.toJson().dump().find(ant) == std::string::npos, x.message.c_str());
    }
    std::sort(paths.begin(), paths.end());
    QCOMPARE(paths,
        (Strings {"/$set/token", "/properties/a~1b~0c", "/properties/list/3", "/properties/nested/0/key",
            "/properties/nested/1/1/1"}));
    const std::string masked = "sk-ant-…" + ant.substr(ant.size() - 4);
    for (const el::Violation& x : v) {
        if (x.path == "/properties/nested/0/key")
            QCOMPARE(x.message, "key contains an Anthropic API key (anthropic): " + masked);
        if (x.path == "/properties/nested/1/1/1")
            QCOMPARE(x.message, "nested[1][1][1] contains an Anthropic API key (anthropic): " + masked);
        if (x.path == "/properties/a~1b~0c")
            QCOMPARE(x.message, "a/b~c contains an Anthropic API key (anthropic): " + masked);
    }
}

void TestScan::allowRules()
{
    const auto c = scanContract(Json::parse(R"([{"id": "no-pii", "kind": "pii", "severity": "warning",
        "allow": [{"property": "$set"}, {"event": "$identify", "property": "email"}, {"path": "/properties/contact/0"},
                  {"event": "support_*"}]}])"));
    QVERIFY(c);
    auto paths = [&](const Json& doc) {
        Strings out;
        for (const el::Violation& v : judge(*c, doc)) {
            const bool expected = v.kind == el::ViolationKind::Pii && v.severity == el::Severity::Warning;
            out.push_back(expected ? v.path : "<not a pii warning> " + v.path);
        }
        return out;
    };
    const std::string mail = "jane.doe@example.com";
    QCOMPARE(paths({{"event", "$identify"}, {"properties", {{"email", mail}}}}), Strings {});
    QCOMPARE(paths({{"event", "$pageview"}, {"properties", {{"email", mail}}}}), Strings {"/properties/email"});
    QCOMPARE(paths({{"event", "x"}, {"properties", {{"$set", {{"email", mail}, {"p", {mail}}}}}}}), Strings {});
    QCOMPARE(paths({{"event", "x"}, {"properties", {{"contact", {mail, mail}}}}}), Strings {"/properties/contact/1"});
    QCOMPARE(paths({{"event", "support_ticket"}, {"properties", {{"from", mail}}}}), Strings {});
    QCOMPARE(paths({{"event", "x"}, {"$set", {{"email", mail}}}}),
        Strings {"/$set/email"}); // top-level $set: not /properties
}

void TestScan::severalFindingsOneViolation()
{
    const auto c = scanContract(Json::parse(R"([{"id": "p", "kind": "pii"}, {"id": "s", "kind": "secret"}])"));
    QVERIFY(c);
    const std::string ant = anthropicKey();
    const Json doc = {{"event", "x"},
        {"properties",
            {{"note", "reach jane.doe@example.com or +44 20 7946 0958, key " + ant},
                {"many", "a1@example.com b2@example.com c3@example.com d4@example.com e5@example.com"}}}};
    const std::vector<el::Violation> v = judge(*c, doc);
    QCOMPARE(v.size(), std::size_t(3)); // many (pii), note (pii), note (secret): one per value and rule
    QCOMPARE(v[0].path, std::string("/properties/many"));
    QCOMPARE(v[0].message,
        std::string("many contains an e-mail address (email): …@e…com; an e-mail address (email): …@e…com; an e-mail "
                    "address (email): …@e…com; and 2 more"));
    QCOMPARE(v[1].path, std::string("/properties/note"));
    QVERIFY(v[1].kind == el::ViolationKind::Pii);
    QCOMPARE(
        v[1].message, std::string("note contains an e-mail address (email): j…@e…com; a phone number (phone): +…58"));
    QVERIFY(v[2].kind == el::ViolationKind::Secret);
    QCOMPARE(v[2].rule, std::string("s"));
}

void TestScan::otherMessagesAreMasked()
{
    // A schema message quotes the value; a pinned mismatch quotes both values: none may show the key.
    const auto c = contractOf(Json::parse(R"({
        "name": "x",
        "events": {
            "run_created": {"schema": {"properties": {"run_id": {"type": "string"}}}},
            "run_finished": {"schema": {"properties": {"error_code": {"maxLength": 20}}}}
        },
        "sequences": [{"id": "run", "type": "pair", "start": "run_created", "end": "run_finished",
                       "key": "/properties/run_id", "pinned": ["api_key"]}],
        "scans": [{"id": "no-secrets", "kind": "secret", "allow": [{"property": "api_key"}]}]
    })"));
    QVERIFY(c);
    const std::string ghp = "ghp_" + rnd(36, 13);
    el::ContractEngine engine(c);
    std::vector<el::Violation> all;
    const Json created = {{"event", "run_created"}, {"properties", {{"run_id", "r1"}, {"api_key", "none"}}}};
    const Json finished
        = {{"event", "run_finished"}, {"properties", {{"run_id", "r1"}, {"error_code", ghp}, {"api_key", ghp}}}};
    for (const el::Violation& v : engine.onEvent(eventFromDoc(created, 1)))
        all.push_back(v);
    for (const el::Violation& v : engine.onEvent(eventFromDoc(finished, 2)))
        all.push_back(v);
    Strings kinds;
    for (const el::Violation& v : all) {
        kinds.emplace_back(el::toString(v.kind));
        QVERIFY2(v.message.find(ghp) == std::string::npos, v.message.c_str());
        QVERIFY2(v.message.find("ghp_…" + ghp.substr(ghp.size() - 4)) != std::string::npos, v.message.c_str());
    }
    // schema (error_code too long), secret (error_code; api_key is allowed), pinned mismatch (api_key)
    QCOMPARE(kinds, (Strings {"schema", "secret", "sequence.pinned_mismatch"}));
}

void TestScan::coverageIsMasked()
{
    const auto c = contractOf(Json::parse(R"({"name": "x", "scans": [{"id": "s", "kind": "secret"},
        {"id": "p", "kind": "pii"}]})"));
    QVERIFY(c);
    const std::string ant = anthropicKey();
    el::Coverage coverage(c);
    coverage.add("run_finished", {{"error", "bad key " + ant}, {"mail", "jane.doe@example.com"}, {"ok", "fine"}});
    coverage.add("run_finished", {{"error", "bad key " + ant}, {"mail", "jill.dane@example.com"}, {"ok", "fine"}});
    const std::string text = coverage.toJson().dump();
    QVERIFY2(text.find(ant) == std::string::npos, text.c_str());
    QVERIFY2(text.find("jane.doe") == std::string::npos, text.c_str());
    const Json props = coverage.toJson()[0]["properties"];
    for (const Json& p : props) {
        if (p["name"] == "error")
            QVERIFY2(p["values"] == Json({{"bad key sk-ant-…" + ant.substr(ant.size() - 4), 2}}), text.c_str());
        if (p["name"] == "mail")
            QVERIFY2(p["values"] == Json({{"j…@e…com", 2}}), text.c_str()); // counted together
        if (p["name"] == "ok")
            QVERIFY2(p["values"] == Json({{"fine", 2}}), text.c_str());
    }
}

void TestScan::everyEventIsScanned()
{
    // Planned or not, valid or not, with or without an unplanned violation; recordings are not analytics events.
    const auto c = contractOf(Json::parse(R"({"name": "x", "unplanned_events": "error",
        "events": {"planned": {"schema": {"required": ["n"]}}},
        "scans": [{"id": "s", "kind": "secret"}]})"));
    QVERIFY(c);
    const std::string ant = anthropicKey();
    Strings kinds;
    for (const char* name : {"planned", "unplanned", "$autocapture"}) {
        const Json doc = {{"event", name}, {"properties", {{"k", ant}}}};
        for (const el::Violation& v : judge(*c, doc))
            kinds.push_back(std::string(name) + ":" + std::string(el::toString(v.kind)));
    }
    QCOMPARE(kinds,
        (Strings {"planned:schema", "planned:secret", "unplanned:unplanned", "unplanned:secret",
            "$autocapture:secret"})); // $* is allowed unplanned by default
    el::Event recording = eventFromDoc({{"event", "$snapshot"}, {"properties", {{"k", ant}}}}, 1);
    recording.recording = true;
    QVERIFY(el::judgeEvent(*c, recording, recording.doc()).violations.empty());
}

void TestScan::goldenStreamsGiveNone()
{
    // Both kinds, every detector, over every open-design golden stream: ids, uuids, run ids, timestamps, versions,
    // user agents and URLs must not look like secrets, phones or cards. With and without the built-in contract.
    const Json scans = Json::parse(R"([{"id": "s", "kind": "secret"}, {"id": "p", "kind": "pii"}])");
    std::vector<std::shared_ptr<const el::Contract>> contracts {scanContract(scans)};
    QVERIFY(contracts[0]);
    std::string error;
    if (const auto builtin = el::loadContract("builtin:open-design", error)) {
        Json doc = builtin->source();
        doc.erase("scans");
        doc["scans"] = scans;
        contracts.push_back(contractOf(doc));
        QVERIFY(contracts.back());
    }
    // Every stream of both eras but those made to carry a secret or personal data (their expected verdict has such
    // findings).
    QStringList files; // paths
    for (const char* era : {"/open-design", "/open-design-era-b"}) {
        const QDir dir(kData + QLatin1String(era));
        for (const QString& f : dir.entryList({QStringLiteral("*.ndjson")}, QDir::Files, QDir::Name)) {
            QString expectedPath = dir.filePath(f);
            expectedPath.replace(QStringLiteral(".ndjson"), QStringLiteral(".expected.json"));
            const QByteArray expected = eltest::readFile(expectedPath);
            if (!expected.contains("\"kind\": \"secret\"") && !expected.contains("\"kind\": \"pii\""))
                files.push_back(dir.filePath(f));
        }
    }
    QVERIFY(files.contains(kData + QStringLiteral("/open-design/valid.ndjson")));
    std::size_t events = 0;
    for (const auto& c : contracts) {
        for (const QString& f : files) {
            el::ContractEngine engine(c);
            qint64 seq = 0;
            for (const QByteArray& line : eltest::readFile(f).split('\n')) {
                if (line.trimmed().isEmpty())
                    continue;
                const Json doc = Json::parse(line.toStdString());
                ++events;
                for (const el::Violation& v : engine.onEvent(eventFromDoc(doc, ++seq))) {
                    QVERIFY2(v.kind != el::ViolationKind::Secret && v.kind != el::ViolationKind::Pii,
                        qPrintable(f + QStringLiteral(": ") + QString::fromStdString(v.path + ": " + v.message)));
                }
            }
        }
    }
    std::size_t lines = 0;
    for (const QString& f : files) {
        for (const QByteArray& line : eltest::readFile(f).split('\n'))
            lines += line.trimmed().isEmpty() ? 0 : 1;
    }
    QVERIFY(lines >= 21);
    QCOMPARE(events, lines * contracts.size());
}

void TestScan::checkEndToEnd()
{
    // A BYOK run whose run_finished carries an Anthropic key in provider_error: exactly one secret error at that
    // pointer, and the key nowhere in what `eventlens check` prints, in any format.
    const QString dir = kData + QStringLiteral("/contract/scan/");
    const QString contract = dir + QStringLiteral("contract.json");
    const QString input = dir + QStringLiteral("byok-key.ndjson");
    const QByteArray stream = eltest::readFile(input);
    const Json finished = Json::parse(stream.split('\n')[1].toStdString());
    const std::string key = finished["properties"]["provider_error"].get<std::string>().substr(19);
    QVERIFY(key.rfind("sk-ant-api03-", 0) == 0);
    QVERIFY(stream.contains(QByteArray::fromStdString(key)));
    const std::string masked = "sk-ant-…" + key.substr(key.size() - 4);

    QTemporaryDir tmp;
    for (const char* format : {"json", "junit", "text", "markdown", "html"}) {
        const QString out = tmp.filePath(QStringLiteral("report.") + QLatin1String(format));
        const eltest::Run r = eltest::runEventlens({QStringLiteral("check"), QStringLiteral("--contract"), contract,
            QStringLiteral("-f"), QLatin1String(format), QStringLiteral("-o"), out, input});
        QVERIFY2(r.failure.isEmpty(), qPrintable(r.failure));
        QCOMPARE(r.code, 1); // an error
        const QByteArray report = eltest::readFile(out);
        QVERIFY(!report.isEmpty());
        QVERIFY2(report.contains(QByteArray::fromStdString(masked)), format);
        QVERIFY2(!r.err.contains(QByteArray::fromStdString(key)), format);
        if (std::string_view(format) == "html")
            continue; // its examples show the event itself, as the window does
        QVERIFY2(!report.contains(QByteArray::fromStdString(key)), format);
        QVERIFY2(!report.contains(QByteArray::fromStdString(key.substr(13, 24))), format); // not even part of it
        if (std::string_view(format) == "json") {
            const Json j = Json::parse(report.toStdString());
            QCOMPARE(j["violations"].size(), std::size_t(1));
            const Json& v = j["violations"][0];
            QVERIFY2(v["kind"] == Json("secret"), report.constData());
            QVERIFY2(v["rule"] == Json("no-secrets"), report.constData());
            QVERIFY2(v["severity"] == Json("error"), report.constData());
            QVERIFY2(v["path"] == Json("/properties/provider_error"), report.constData());
            QVERIFY2(v["seqs"] == Json({2}), report.constData());
            QVERIFY2(v["message"] == Json("provider_error contains an Anthropic API key (anthropic): " + masked),
                report.constData());
            QVERIFY2(j["summary"]["by_kind"] == Json({{"secret", 1}}), report.constData());
        }
        if (std::string_view(format) == "junit") {
            QVERIFY(report.contains("type=\"secret\""));
            QVERIFY(report.contains("/properties/provider_error"));
        }
    }
}

QTEST_GUILESS_MAIN(TestScan)
#include "tst_scan.moc"
