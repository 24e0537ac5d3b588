// SPDX-License-Identifier: MIT
// Data-driven tests of the case-insensitive substring search (core/model/textsearch): every case runs through each
// kernel this machine can run (scalar, SSE2, AVX2), on short haystacks and on padded ones long enough for
// the SIMD loops. Haystacks are copied into exactly sized heap blocks so ASan catches any over-read.
#include "model/textsearch.h"

#include <QTest>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace el;

namespace {

using Kernel = TextMatcher::Kernel;

std::vector<Kernel> kernels()
{
    std::vector<Kernel> all;
    for (Kernel k : {Kernel::Scalar, Kernel::Sse2, Kernel::Avx2})
        if (TextMatcher::kernelAvailable(k))
            all.push_back(k);
    return all;
}

/** Exactly size bytes on the heap: one byte more read is an ASan heap-buffer-overflow. */
class Exact
{
public:
    explicit Exact(std::string_view s)
        : m_size(s.size())
        , m_data(new char[s.size() ? s.size() : 1])
    {
        if (!s.empty())
            std::memcpy(m_data.get(), s.data(), s.size());
    }
    std::string_view view() const { return {m_data.get(), m_size}; }

private:
    std::size_t m_size;
    std::unique_ptr<char[]> m_data;
};

/** The reference: try every position, fold every byte. */
bool naiveMatches(std::string_view haystack, std::string_view needle)
{
    if (needle.size() > haystack.size())
        return false;
    for (std::size_t p = 0; p + needle.size() <= haystack.size(); ++p) {
        std::size_t j = 0;
        while (j < needle.size()
            && foldAscii(static_cast<unsigned char>(haystack[p + j]))
                == foldAscii(static_cast<unsigned char>(needle[j])))
            ++j;
        if (j == needle.size())
            return true;
    }
    return false;
}

QByteArray bytes(std::string_view s)
{
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

/** A literal's bytes including embedded NULs (without the terminating one). */
template<std::size_t N> QByteArray bytes(const char (&literal)[N])
{
    return QByteArray(literal, static_cast<qsizetype>(N - 1));
}

std::string describe(std::string_view haystack, std::string_view needle, Kernel k)
{
    return std::string(TextMatcher::kernelName(k)) + ": needle "
        + QByteArray(bytes(needle).toPercentEncoding()).toStdString() + " in "
        + QByteArray(bytes(haystack).toPercentEncoding()).toStdString();
}

/** Checks every kernel on haystack as is and padded with '.' on either side (past every SIMD block size). */
void checkAllKernels(std::string_view haystack, std::string_view needle, bool expected)
{
    const std::string pad(70, '.');
    const std::string variants[] = {std::string(haystack), pad + std::string(haystack), std::string(haystack) + pad,
        pad + std::string(haystack) + pad};
    for (const std::string& h : variants) {
        const Exact exact(h);
        for (Kernel k : kernels()) {
            const TextMatcher m(needle, k);
            QCOMPARE(m.kernel(), k);
            QVERIFY2(m.matches(exact.view()) == expected, describe(h, needle, k).c_str());
        }
        QVERIFY2(TextMatcher(needle).matches(exact.view()) == expected, describe(h, needle, Kernel::Auto).c_str());
    }
}

std::string flipCase(std::string s, std::mt19937& rng)
{
    for (char& c : s)
        if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && (rng() & 1))
            c = static_cast<char>(c ^ 0x20);
    return s;
}

} // namespace

class TestTextSearch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        qInfo("kernels: auto=%s, available:%s%s%s",
            TextMatcher::kernelName(TextMatcher(std::string_view("x")).kernel()), " scalar",
            TextMatcher::kernelAvailable(Kernel::Sse2) ? " sse2" : "",
            TextMatcher::kernelAvailable(Kernel::Avx2) ? " avx2" : "");
    }

    void kernelSelection()
    {
        QVERIFY(TextMatcher::kernelAvailable(Kernel::Scalar));
#if defined(__SSE2__)
        QVERIFY(TextMatcher::kernelAvailable(Kernel::Sse2));
#endif
        const TextMatcher automatic(std::string_view("abc"));
        QVERIFY(automatic.kernel() != Kernel::Auto);
        QCOMPARE(automatic.kernel(),
            TextMatcher::kernelAvailable(Kernel::Avx2)       ? Kernel::Avx2
                : TextMatcher::kernelAvailable(Kernel::Sse2) ? Kernel::Sse2
                                                             : Kernel::Scalar);
        // An unavailable kernel falls back rather than crashing.
        QVERIFY(TextMatcher(std::string_view("abc"), Kernel::Avx2).matches("xxABCxx"));
        QCOMPARE(TextMatcher(std::string_view("AbC")).foldedNeedle(), std::string("abc"));
    }

    void matches_data()
    {
        QTest::addColumn<QByteArray>("haystack");
        QTest::addColumn<QByteArray>("needle");
        QTest::addColumn<bool>("expected");
        auto row = [](const char* name, std::string_view h, std::string_view n, bool expected) {
            QTest::newRow(name) << bytes(h) << bytes(n) << expected;
        };
        // ASCII case folding, both ways.
        row("lower needle, upper haystack", "\"BYOK_RUNNABLE\":true", "byok", true);
        row("upper needle, lower haystack", "\"byok_runnable\":true", "BYOK", true);
        row("mixed both", "Runtime_Type", "rUNTIME_tYPE", true);
        row("only in a different case", "{\"runtime_type\":\"amr_cloud\"}", "AMR_Cloud", true);
        row("one letter differs", "byok_runnable", "byol", false);
        row("single letter upper", "xyzQxyz", "q", true);
        row("single letter lower", "XYZqXYZ", "Q", true);
        row("single letter absent", "xyzxyz", "q", false);
        // Punctuation that OR 0x20 would conflate: must not match each other, in any needle position.
        row("@ vs backtick", "a`b", "a@b", false);
        row("backtick vs @", "a@b", "a`b", false);
        row("@ first", "`user", "@user", false);
        row("@ last", "user`", "user@", false);
        row("@ alone", "```", "@", false);
        row("backtick alone", "@@@", "`", false);
        row("[ vs {", "{\"k\":[1]}", "{\"k\":{", false);
        row("[ alone", "{}", "[", false);
        row("{ alone", "[]", "{", false);
        row("] vs }", "x}", "x]", false);
        row("^ vs ~", "a~b", "a^b", false);
        row("~ vs ^", "a^b", "a~b", false);
        row("backslash vs |", "a|b", "a\\b", false);
        row("_ vs DEL", "run\x7f", "run_", false);
        row("DEL vs _", "run_", "run\x7f", false);
        row("space vs NUL", std::string_view("a\0b", 3), "a b", false);
        row("NUL vs space", "a b", std::string_view("a\0b", 3), false);
        row("digit vs control", "a\x10", "a0", false);
        row("@ present", "mail: a@b.c", "A@B", true);
        row("[ present", "{\"k\":[1]}", "\"K\":[", true);
        row("^ present", "2^10", "2^1", true);
        // Positions.
        row("at 0", "byok_runnable", "BYOK", true);
        row("at the end", "runnable_byok", "BYOK", true);
        row("whole haystack", "byok", "BYOK", true);
        row("spanning 16-byte boundary", "0123456789abcdEFGHij", "defgh", true);
        row("spanning 32-byte boundary", "0123456789abcdef0123456789abcdEFGHij", "defgh", true);
        row("last char differs at end", "runnable_byoX", "byok", false);
        row("first char differs at 0", "Xyok_runnable", "byok", false);
        row("partial at the end", "runnable_byo", "byok", false);
        // Lengths.
        row("needle longer than haystack", "byo", "byok", false);
        row("needle longer, same prefix", "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz!", false);
        row("empty needle", "anything", "", true);
        row("empty needle, empty haystack", "", "", true);
        row("empty haystack", "", "a", false);
        row("short haystack", "aB", "b", true);
        // UTF-8: ASCII letters fold, other bytes compare exactly.
        row("utf8 with ascii folding", "city=Zürich", "ZüRICH", true);
        row("utf8 letter case not folded", "city=zürich", "ZÜRICH", false);
        row("utf8 exact", "café crème", "É CR", false);
        row("utf8 exact, ascii folded", "café crème", "é CR", true);
        row("utf8 lead byte not folded (0xC1 vs 0xE1)", "\xE1\x80", "\xC1\x80", false);
        row("utf8 lead byte not folded (0xE1 vs 0xC1)", "\xC1\x80", "\xE1\x80", false);
        row("high byte vs letter", "\xC1\xC2\xC3", "a", false);
        row("emoji", "say 👋 hello", "👋 HELLO", true);
    }

    void matches()
    {
        QFETCH(QByteArray, haystack);
        QFETCH(QByteArray, needle);
        QFETCH(bool, expected);
        const std::string_view h(haystack.constData(), static_cast<std::size_t>(haystack.size()));
        const std::string_view n(needle.constData(), static_cast<std::size_t>(needle.size()));
        QCOMPARE(naiveMatches(h, n), expected); // the reference agrees with the table
        checkAllKernels(h, n, expected);
    }

    void emptyNeedle()
    {
        const TextMatcher m {std::string_view()};
        QVERIFY(m.empty());
        QVERIFY(m.matches({}));
        QVERIFY(m.matches("abc"));
        QVERIFY(!TextMatcher(std::string_view("a")).empty());
    }

    /** Every needle position in every haystack length up to 150: at 0, at the end, across every block edge. */
    void everyPosition_data()
    {
        QTest::addColumn<QByteArray>("needle");
        for (const char* n : {"q", "Qz", "a@z", "byok", "run_", "amr_cloud", "0123456789abcdeF", "0123456789abcdeFg",
                 "nonexistent-needle-xyz", "0123456789ABCDEF0123456789abcdeF", "0123456789ABCDEF0123456789abcdeFX"})
            QTest::newRow(n) << QByteArray(n);
    }

    void everyPosition()
    {
        QFETCH(QByteArray, needle);
        const std::string n = needle.toStdString();
        std::mt19937 rng(7);
        for (std::size_t len = 0; len <= 150; ++len) {
            // No match anywhere (filler is '.'), then the needle (case flipped) at each position, then a near miss.
            const std::string filler(len, '.');
            checkAllKernelsQuiet(filler, n, false);
            if (len < n.size())
                continue;
            for (std::size_t p = 0; p + n.size() <= len; ++p) {
                std::string h = filler;
                h.replace(p, n.size(), flipCase(n, rng));
                checkAllKernelsQuiet(h, n, true);
                std::string miss = h;
                miss[p + n.size() - 1] = '.';
                checkAllKernelsQuiet(miss, n, false);
                if (n.size() > 2) {
                    miss = h;
                    miss[p + n.size() / 2] = '.';
                    checkAllKernelsQuiet(miss, n, false);
                }
                if (QTest::currentTestFailed())
                    return;
            }
        }
    }

    /** Haystacks longer than the SIMD kernels' 4096-position stride: matches on either side of each stride edge. */
    void longHaystacks_data()
    {
        QTest::addColumn<QByteArray>("needle");
        QTest::addColumn<int>("length");
        for (const char* n : {"q", "byok", "amr_cloud", "nonexistent-needle-xyz", "0123456789ABCDEF0123456789abcdeFX"})
            for (int length : {4095, 4096, 4097, 4127, 4128, 4159, 4160, 8192 + 40, 12345})
                QTest::newRow(qPrintable(QStringLiteral("%1 in %2").arg(QLatin1String(n)).arg(length)))
                    << QByteArray(n) << length;
    }

    void longHaystacks()
    {
        QFETCH(QByteArray, needle);
        QFETCH(int, length);
        const std::string n = needle.toStdString();
        const std::size_t len = static_cast<std::size_t>(length);
        std::mt19937 rng(11);
        const std::string filler(len, '.');
        checkAllKernelsQuiet(filler, n, false);
        std::vector<std::size_t> at = {0, len - n.size()};
        for (std::size_t edge : {std::size_t(4096), std::size_t(8192)})
            for (std::size_t p = edge - n.size() - 2; p <= edge + 2; ++p)
                at.push_back(p);
        for (std::size_t p : at) {
            if (p + n.size() > len)
                continue;
            std::string h = filler;
            h.replace(p, n.size(), flipCase(n, rng));
            checkAllKernelsQuiet(h, n, true);
            h[p] = '.';
            checkAllKernelsQuiet(h, n, false);
            if (QTest::currentTestFailed())
                return;
        }
    }

    /** A candidate (first and last byte agree) in every position, the middle never: fills the candidate buffers. */
    void candidatesEverywhere_data()
    {
        QTest::addColumn<int>("length");
        for (int length : {15, 16, 31, 32, 33, 63, 64, 65, 200, 4096, 4099, 10000})
            QTest::newRow(qPrintable(QString::number(length))) << length;
    }

    void candidatesEverywhere()
    {
        QFETCH(int, length);
        const std::string h(static_cast<std::size_t>(length), 'a');
        checkAllKernelsQuiet(h, "aba", false);
        checkAllKernelsQuiet(h, "AbA", false);
        checkAllKernelsQuiet(h, "aAa", true);
        std::string last = h;
        last[last.size() - 2] = 'B';
        checkAllKernelsQuiet(last, "aba", length >= 3);
    }

    void randomAgainstNaive_data()
    {
        QTest::addColumn<QByteArray>("alphabet");
        QTest::addColumn<int>("maxNeedle");
        QTest::newRow("letters") << QByteArray("aAbBcCdD") << 7;
        QTest::newRow("letters and 0x20 twins") << bytes("aA@`[{^~_\x7f \0 bB") << 8;
        QTest::newRow("utf8 and high bytes") << bytes("aA\xc3\xa4\xc3\x84\xc1\xe1") << 8;
        QTest::newRow("json-ish") << QByteArray("{}\":,_ruNByokRUnbYOK0123") << 24;
    }

    void randomAgainstNaive()
    {
        QFETCH(QByteArray, alphabet);
        QFETCH(int, maxNeedle);
        std::mt19937 rng(20260620);
        const auto pick = [&](std::uint32_t n) { return static_cast<std::size_t>(rng() % n); };
        int positives = 0;
        for (int iter = 0; iter < 20000; ++iter) {
            std::string h(iter % 100 == 0 ? 4000 + pick(5000) : pick(200), '\0');
            for (char& c : h)
                c = alphabet[static_cast<qsizetype>(pick(static_cast<std::uint32_t>(alphabet.size())))];
            std::string n;
            if (!h.empty() && (rng() & 1)) {
                // A piece of the haystack, case flipped: usually a match (or several).
                const std::size_t at = pick(static_cast<std::uint32_t>(h.size()));
                n = flipCase(h.substr(at, 1 + pick(static_cast<std::uint32_t>(maxNeedle))), rng);
            } else {
                n.resize(1 + pick(static_cast<std::uint32_t>(maxNeedle)));
                for (char& c : n)
                    c = alphabet[static_cast<qsizetype>(pick(static_cast<std::uint32_t>(alphabet.size())))];
            }
            const bool expected = naiveMatches(h, n);
            positives += expected;
            checkAllKernelsQuiet(h, n, expected);
            if (QTest::currentTestFailed())
                return;
        }
        QVERIFY(positives > 2000); // both outcomes well covered
        QVERIFY(positives < 18000);
    }

    void matchAllThreads_data()
    {
        QTest::addColumn<QByteArray>("needle");
        QTest::addColumn<int>("count");
        QTest::newRow("byok 10000") << QByteArray("byok") << 10000;
        QTest::newRow("BYOK 10000") << QByteArray("BYOK") << 10000;
        QTest::newRow("none 10000") << QByteArray("nonexistent-needle-xyz") << 10000;
        QTest::newRow("run_ 5000") << QByteArray("run_") << 5000;
        QTest::newRow("run_ 100 (one chunk)") << QByteArray("run_") << 100;
        QTest::newRow("empty needle") << QByteArray() << 3000;
        QTest::newRow("no texts") << QByteArray("byok") << 0;
    }

    void matchAllThreads()
    {
        QFETCH(QByteArray, needle);
        QFETCH(int, count);
        std::mt19937 rng(42);
        const char* words[]
            = {"byok", "BYOK_runnable", "amr_cloud", "run_id", "\"event\":", "{", "}", "x", "Ünïcode", "0123456789"};
        std::vector<std::string> storage(static_cast<std::size_t>(count));
        for (std::string& s : storage) {
            const std::size_t nwords = rng() % 40;
            for (std::size_t w = 0; w < nwords; ++w)
                s += words[rng() % (sizeof(words) / sizeof(words[0]))];
        }
        std::vector<std::string_view> texts(storage.begin(), storage.end());
        const std::string_view n(needle.constData(), static_cast<std::size_t>(needle.size()));
        const TextMatcher m(n);
        std::vector<char> sequential;
        for (std::string_view t : texts)
            sequential.push_back(naiveMatches(t, n) ? 1 : 0);
        for (int threads : {1, 2, 3, 0}) {
            QCOMPARE(matchAll(texts, m, threads), sequential);
            QCOMPARE(matchAllWith(
                         storage.size(), [&](std::size_t i) -> const std::string& { return storage[i]; }, m, threads),
                sequential);
        }
    }

    void parallelChunksCoversEverything()
    {
        for (std::size_t count : {std::size_t(0), std::size_t(1), std::size_t(2047), std::size_t(2048),
                 std::size_t(2049), std::size_t(100000)}) {
            for (int threads : {1, 2, 4}) {
                std::vector<int> seen(count, 0); // chunks are disjoint: no two threads write one element
                parallelChunks(count, threads, [&](std::size_t b, std::size_t e) {
                    for (std::size_t i = b; i < e; ++i)
                        ++seen[i];
                });
                for (std::size_t i = 0; i < count; ++i)
                    QVERIFY2(seen[i] == 1,
                        qPrintable(QStringLiteral("count %1 threads %2 index %3").arg(count).arg(threads).arg(i)));
            }
        }
    }

private:
    /** checkAllKernels without QTest's per-row overhead (for the loops with hundreds of thousands of cases). */
    static void checkAllKernelsQuiet(const std::string& h, const std::string& n, bool expected)
    {
        const Exact exact(h);
        for (Kernel k : kernels()) {
            if (TextMatcher(n, k).matches(exact.view()) != expected) {
                QFAIL(describe(h, n, k).c_str());
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestTextSearch)
#include "tst_textsearch.moc"
