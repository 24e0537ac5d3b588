// SPDX-License-Identifier: MIT
#include "checkcommand.h"
#include "commandhelp.h"

#include "contract/contract.h"
#include "contract/contractengine.h"
#include "contract/coverage.h"
#include "contract/offlineinput.h"
#include "contract/scan.h"
#include "model/savefile.h"
#include "report/reportdata.h"
#include "store/journal.h"

#include "model/textsearch.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QTemporaryFile>
#include <QThread>
#include <QThreadPool>
#include <QXmlStreamWriter>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace {

const char* const kDefaultContract = kCheckDefaultContract;

/** A violation with what the report says about the events it names, resolved when it is produced. */
struct Reported
{
    el::Violation v;
    std::string event; ///< the name of the event v.seqs.back() (empty when v.seqs is)
    std::vector<std::string> sources; ///< per seq of v.seqs: where that event came from
    const std::string& source() const
    {
        static const std::string none;
        return sources.empty() ? none : sources.back();
    }
};

/**
 * What JUnit needs of one event. JUnit writes one testcase per event by design, so `-f junit` keeps one of these
 * per event: output-sized (the other formats keep nothing per event).
 */
struct EventRecord
{
    std::string name;
    qint64 seq = 0;
    std::string source;
    bool recording = false;
    /// Order rules this event is a `then` of (with its key, when the rule has one): rule index, key dump.
    std::vector<std::pair<std::size_t, std::string>> orderKeys;
};

/// Model: not a format of `check`, the verdict kept in memory for `diff` (judgeInputs()).
enum class Format { Text, Json, Junit, Html, Markdown, Model };

/// A report shows this many violations of each rule in full (HTML; Markdown shows fewer), and this many runs.
constexpr std::size_t kExamplesPerRule = 20;
constexpr std::size_t kRunsShown = 200;

/**
 * Text built by appending, kept in pieces of about 1 MiB. One string grown to a report's size would be copied at
 * each doubling and leave the old buffers with the allocator: tens of MB of peak RSS for a large report. Past
 * kInMemory, full pieces go to a temporary file (QDir::tempPath(), removed with this object), so that a report
 * of millions of violations does not stay in memory; if that file cannot be made or written, the text stays in
 * memory. EVENTLENS_CHECK_REPORT_MEMORY (bytes) overrides kInMemory (the tests spool every piece).
 */
class PieceText
{
public:
    using Sink = std::function<bool(std::string_view)>;

    PieceText() = default;
    /** At most \a inMemory bytes in memory (EVENTLENS_CHECK_REPORT_MEMORY, when smaller, still applies). */
    explicit PieceText(std::size_t inMemory)
        : m_inMemory(std::min(inMemory, inMemoryLimit()))
    { }

    bool empty() const { return m_pieces.empty() && m_spooled == 0; }
    /** Bytes appended so far. */
    std::uint64_t size() const
    {
        std::uint64_t n = std::uint64_t(m_spooled);
        for (const std::string& p : m_pieces)
            n += p.size();
        return n;
    }
    /** Appends the \a length bytes at \a offset to \a out; false with \a error when the file cannot be read. */
    bool readAt(std::uint64_t offset, std::size_t length, std::string& out, std::string& error) const
    {
        while (length > 0 && offset < std::uint64_t(m_spooled)) {
            const std::size_t n = std::size_t(std::min<std::uint64_t>(length, std::uint64_t(m_spooled) - offset));
            const std::size_t at = out.size();
            out.resize(at + n);
            if (!m_spool->seek(qint64(offset)) || m_spool->read(out.data() + at, qint64(n)) != qint64(n)) {
                error = "cannot read back the report's temporary file: " + m_spool->errorString().toStdString();
                return false;
            }
            offset += n;
            length -= n;
        }
        std::uint64_t start = std::uint64_t(m_spooled);
        for (const std::string& p : m_pieces) {
            if (length == 0)
                break;
            if (offset < start + p.size()) {
                const std::size_t from = std::size_t(offset - start);
                const std::size_t n = std::min(length, p.size() - from);
                out.append(p, from, n);
                offset += n;
                length -= n;
            }
            start += p.size();
        }
        return length == 0;
    }
    /** The string to append to. */
    std::string& tail()
    {
        if (m_pieces.empty() || m_pieces.back().size() >= kPiece) {
            if (m_pieces.size() * kPiece >= m_inMemory)
                spill();
            m_pieces.emplace_back();
            m_pieces.back().reserve(kPiece + kPiece / 4);
        }
        return m_pieces.back();
    }
    /** Hands the text to \a write, in order: false when \a write fails, or with \a error when the file does. */
    bool writeTo(const Sink& write, std::string& error) const
    {
        if (m_spooled > 0) {
            if (!m_spool->seek(0)) {
                error = "cannot read back the report's temporary file: " + m_spool->errorString().toStdString();
                return false;
            }
            std::string buffer(kPiece, '\0');
            for (qint64 left = m_spooled; left > 0;) {
                const qint64 n = m_spool->read(buffer.data(), std::min<qint64>(left, qint64(buffer.size())));
                if (n <= 0) {
                    error = "cannot read back the report's temporary file: " + m_spool->errorString().toStdString();
                    return false;
                }
                if (!write(std::string_view(buffer.data(), std::size_t(n))))
                    return false;
                left -= n;
            }
        }
        for (const std::string& p : m_pieces) {
            if (!write(p))
                return false;
        }
        return true;
    }

private:
    static std::size_t inMemoryLimit()
    {
        bool ok = false;
        const qulonglong n = qEnvironmentVariable("EVENTLENS_CHECK_REPORT_MEMORY").toULongLong(&ok);
        return ok ? std::size_t(n) : kInMemory;
    }

    void spill()
    {
        if (m_noSpool)
            return;
        if (!m_spool) {
            m_spool = std::make_unique<QTemporaryFile>(QDir::tempPath() + QStringLiteral("/eventlens-report-XXXXXX"));
            if (!m_spool->open()) {
                m_spool.reset();
                m_noSpool = true;
                return;
            }
        }
        std::size_t written = 0;
        m_spool->seek(m_spooled); // readAt() may have moved it
        for (const std::string& p : m_pieces) {
            if (m_spool->write(p.data(), qint64(p.size())) != qint64(p.size())) {
                m_noSpool = true; // disk full: what did not fit stays in memory (m_spooled counts what did)
                m_spool->resize(m_spooled);
                break;
            }
            m_spooled += qint64(p.size());
            ++written;
        }
        m_pieces.erase(m_pieces.begin(), m_pieces.begin() + std::ptrdiff_t(written));
    }

    static constexpr std::size_t kPiece = std::size_t(1) << 20;
    static constexpr std::size_t kInMemory = std::size_t(16) << 20;
    std::vector<std::string> m_pieces;
    std::unique_ptr<QTemporaryFile> m_spool;
    qint64 m_spooled = 0; ///< bytes in m_spool, before m_pieces
    bool m_noSpool = false; ///< the file could not be made or written: the rest stays in memory
    std::size_t m_inMemory = inMemoryLimit();
};

/** Model: the violations of one rule, counted (judgeInputs()). */
struct RuleTally
{
    std::uint64_t count = 0;
    std::uint64_t errors = 0;
    std::uint64_t warnings = 0;
    std::string kind; ///< of its first violation
    std::map<std::string, std::uint64_t> events; ///< by the name of the event each violation names last
    std::map<std::string, std::uint64_t> paths; ///< by JSON pointer
};

/**
 * What the report says. Text and JSON render each violation when it is reported (renderViolation) and keep only
 * that text and the counts; JUnit groups violations by event and rule, so it keeps them (\c violations).
 */
struct Report
{
    std::shared_ptr<const el::Contract> contract;
    Format format = Format::Text;
    std::vector<Reported> violations; ///< junit only
    PieceText rendered; ///< text: the violations' lines; json: the elements of "violations", indented
    PieceText renderedRuns; ///< json: the elements of "runs", indented
    std::size_t violationCount = 0;
    std::map<std::string, int> byKind;
    std::map<std::string, int> byRule;
    std::vector<el::RunInfo> runs; ///< junit only (json renders them at the end, text has none)
    std::vector<EventRecord> records; ///< junit only, per event
    qint64 events = 0;
    int requests = 0;
    int skippedRequests = 0;
    int recordings = 0;
    int errors = 0;
    int warnings = 0;
    /// json, html, markdown: property coverage (the workers' counts are added to it at the end)
    std::unique_ptr<el::Coverage> coverage;
    /// html, markdown: violations by rule with the first kExamplesPerRule in full, the funnel, the first runs
    el::ReportData data;
    std::unordered_map<std::string, std::size_t> ruleIndex; ///< rule id -> index in data.rules
    el::Funnel funnel;
    std::map<std::string, RuleTally> tally; ///< model only, by rule id
    std::uint64_t runCount = 0; ///< model only
    bool visual() const { return format == Format::Html || format == Format::Markdown; }
};

void printErr(const std::string& s)
{
    std::fprintf(stderr, "eventlens check: %s\n", s.c_str());
}

std::string seqList(const std::vector<qint64>& seqs)
{
    std::string out;
    for (qint64 s : seqs)
        out += (out.empty() ? "" : ", ") + std::to_string(s);
    return out;
}

std::string summaryLine(const Report& r)
{
    const std::string contract
        = r.contract->name() + (r.contract->version().empty() ? "" : " " + r.contract->version());
    std::string counts;
    if (r.violationCount == 0) {
        counts = "no violations";
    } else {
        counts = std::to_string(r.errors) + (r.errors == 1 ? " error" : " errors") + ", " + std::to_string(r.warnings)
            + (r.warnings == 1 ? " warning" : " warnings");
    }
    const qint64 n = r.events;
    return "checked " + std::to_string(n) + (n == 1 ? " event" : " events") + " against " + contract + ": " + counts;
}

// --- text ------------------------------------------------------------------------------------------------------

void renderText(const Reported& rv, PieceText& text)
{
    std::string& out = text.tail();
    const el::Violation& v = rv.v;
    const std::string& src = rv.source();
    out += (src.empty() ? std::string("-") : src) + ": " + std::string(el::toString(v.severity)) + ": ["
        + std::string(el::toString(v.kind)) + " " + v.rule + "] " + rv.event + " (seq " + seqList(v.seqs) + ") "
        + (v.path.empty() ? "" : v.path + ": ") + v.message + "\n";
}

// --- json ------------------------------------------------------------------------------------------------------

/**
 * Appends \a element, a dump(2) text, to \a out as an element of a top-level array of a dump(2) object (\a first:
 * the array's first element).
 */
void appendIndented(const std::string& element, bool first, std::string& out)
{
    out += first ? "\n    " : ",\n    ";
    // Strings in a dump hold no raw newline, so re-indenting lines is exact.
    std::size_t from = 0;
    for (std::size_t nl; (nl = element.find('\n', from)) != std::string::npos; from = nl + 1) {
        out.append(element, from, nl + 1 - from);
        out += "    ";
    }
    out.append(element, from, std::string::npos);
}

std::string dump2(const el::Json& j)
{
    return j.dump(2, ' ', false, el::Json::error_handler_t::replace);
}

void renderJson(const Reported& rv, PieceText& out)
{
    el::Json j = rv.v.toJson();
    j["event"] = rv.event;
    el::Json sources = el::Json::array();
    for (const std::string& s : rv.sources)
        sources.push_back(s);
    j["sources"] = std::move(sources);
    const bool first = out.empty();
    appendIndented(dump2(j), first, out.tail());
}

/** A part of the report to write: text, or a PieceText (\c text is then unused). */
struct Part
{
    std::string_view text;
    const PieceText* pieces = nullptr;
};

/**
 * The JSON report as parts to write in order (the violations are not copied into one string): the same bytes
 * as dump(2) of the whole report as one DOM, which is never built. \a storage owns the texts.
 */
std::vector<Part> formatJson(const Report& r, std::vector<std::string>& storage)
{
    const char* const runsMark = "@@eventlens-check-runs@@";
    const char* const violationsMark = "@@eventlens-check-violations@@";
    el::Json out {
        {"contract",
            {{"name", r.contract->name()}, {"version", r.contract->version()}, {"origin", r.contract->origin()}}},
        {"events", r.events}, {"violations", violationsMark}, {"runs", runsMark},
        {"coverage", r.coverage ? r.coverage->toJson() : el::Json::array()},
        {"summary",
            {{"events", r.events}, {"recordings", r.recordings}, {"requests", r.requests},
                {"skipped_requests", r.skippedRequests}, {"violations", r.violationCount}, {"errors", r.errors},
                {"warnings", r.warnings}, {"by_kind", r.byKind}, {"by_rule", r.byRule}, {"passed", r.errors == 0}}}};
    const std::string text = dump2(out) + "\n";
    // "runs" sorts before "violations"; each placeholder becomes its array ("[]", or "[" elements "\n  ]").
    const std::string runsAt = "\"" + std::string(runsMark) + "\"";
    const std::string violationsAt = "\"" + std::string(violationsMark) + "\"";
    const std::size_t a = text.find(runsAt);
    const std::size_t b = text.find(violationsAt);
    storage.clear();
    storage.reserve(3); // the parts point into these strings
    storage.push_back(text.substr(0, a) + (r.renderedRuns.empty() ? "[]" : "["));
    storage.push_back((r.renderedRuns.empty() ? "" : "\n  ]") + text.substr(a + runsAt.size(), b - a - runsAt.size())
        + (r.rendered.empty() ? "[]" : "["));
    storage.push_back((r.rendered.empty() ? "" : "\n  ]") + text.substr(b + violationsAt.size()));
    return {{storage[0]}, {{}, &r.renderedRuns}, {storage[1]}, {{}, &r.rendered}, {storage[2]}};
}

/** Hands \a parts to \a write in order; false when it fails, or with \a error when a PieceText's file does. */
bool writeParts(const std::vector<Part>& parts, const PieceText::Sink& write, std::string& error)
{
    for (const Part& p : parts) {
        if (p.pieces ? !p.pieces->writeTo(write, error) : !write(p.text))
            return false;
    }
    return true;
}

// --- junit -----------------------------------------------------------------------------------------------------

struct TestCase
{
    std::string classname;
    std::string name;
    std::vector<const Reported*> violations;
    bool skipped = false;
    std::string skipMessage;
};

void writeCase(QXmlStreamWriter& xml, const TestCase& tc)
{
    xml.writeStartElement(QStringLiteral("testcase"));
    xml.writeAttribute(QStringLiteral("classname"), QString::fromStdString(tc.classname));
    xml.writeAttribute(QStringLiteral("name"), QString::fromStdString(tc.name));
    std::vector<const el::Violation*> errors;
    std::vector<const el::Violation*> warnings;
    std::map<const el::Violation*, const Reported*> reported;
    for (const Reported* rv : tc.violations) {
        (rv->v.severity == el::Severity::Error ? errors : warnings).push_back(&rv->v);
        reported[&rv->v] = rv;
    }
    auto line = [&](const el::Violation* v) {
        const std::string& src = reported[v]->source();
        return std::string(el::toString(v->severity)) + " [" + std::string(el::toString(v->kind)) + " " + v->rule + "] "
            + (v->path.empty() ? "" : v->path + ": ") + v->message + " (seq " + seqList(v->seqs)
            + (src.empty() ? "" : ", " + src) + ")\n";
    };
    if (tc.skipped) {
        xml.writeStartElement(QStringLiteral("skipped"));
        xml.writeAttribute(QStringLiteral("message"), QString::fromStdString(tc.skipMessage));
        xml.writeEndElement();
    }
    if (!errors.empty()) {
        std::string text;
        for (const el::Violation* v : errors)
            text += line(v);
        xml.writeStartElement(QStringLiteral("failure"));
        xml.writeAttribute(
            QStringLiteral("type"), QString::fromStdString(std::string(el::toString(errors.front()->kind))));
        xml.writeAttribute(QStringLiteral("message"),
            QString::fromStdString(errors.front()->message
                + (errors.size() > 1 ? " (+" + std::to_string(errors.size() - 1) + " more)" : "")));
        xml.writeCharacters(QString::fromStdString(text));
        xml.writeEndElement();
    }
    if (!warnings.empty()) {
        std::string text;
        for (const el::Violation* v : warnings)
            text += line(v);
        xml.writeTextElement(QStringLiteral("system-out"), QString::fromStdString(text));
    }
    xml.writeEndElement();
}

void writeSuite(QXmlStreamWriter& xml, const QString& name, const std::vector<TestCase>& cases)
{
    int failures = 0;
    int skipped = 0;
    for (const TestCase& tc : cases) {
        skipped += tc.skipped ? 1 : 0;
        for (const Reported* v : tc.violations) {
            if (v->v.severity == el::Severity::Error) {
                ++failures;
                break;
            }
        }
    }
    xml.writeStartElement(QStringLiteral("testsuite"));
    xml.writeAttribute(QStringLiteral("name"), name);
    xml.writeAttribute(QStringLiteral("tests"), QString::number(cases.size()));
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    xml.writeAttribute(QStringLiteral("skipped"), QString::number(skipped));
    for (const TestCase& tc : cases)
        writeCase(xml, tc);
    xml.writeEndElement();
}

std::string formatJunit(const Report& r)
{
    // Per-event cases: schema, global, unplanned. Sequence cases: one per pair instance (correlated key),
    // one per order-rule check (each `then` event with its key), one per uniqueness rule.
    std::vector<TestCase> eventCases(r.records.size());
    for (std::size_t i = 0; i < r.records.size(); ++i) {
        const EventRecord& e = r.records[i];
        eventCases[i].classname = "events." + (e.name.empty() ? std::string("(unnamed)") : e.name);
        eventCases[i].name = "seq " + std::to_string(e.seq) + " " + e.name + " (" + e.source + ")";
        if (e.recording) {
            eventCases[i].skipped = true;
            eventCases[i].skipMessage = "session recording, not an analytics event";
        }
    }
    const auto& specs = r.contract->sequences();
    std::map<std::string, const el::SequenceSpec*> specById;
    for (const el::SequenceSpec& s : specs)
        specById[s.id] = &s;

    std::vector<TestCase> seqCases;
    std::map<std::string, std::size_t> caseIndex; // instance id -> index in seqCases
    auto instance = [&](const std::string& id, const std::string& classname, const std::string& name) -> TestCase& {
        auto it = caseIndex.find(id);
        if (it != caseIndex.end())
            return seqCases[it->second];
        caseIndex[id] = seqCases.size();
        seqCases.push_back({classname, name, {}, false, {}});
        return seqCases.back();
    };
    auto keyName = [](const std::string& pointer) {
        const std::size_t slash = pointer.rfind('/');
        return slash == std::string::npos ? pointer : pointer.substr(slash + 1);
    };
    // Instances in rule order.
    for (std::size_t specIndex = 0; specIndex < specs.size(); ++specIndex) {
        const el::SequenceSpec& s = specs[specIndex];
        const std::string cls = "sequences." + s.id;
        if (s.type == el::SequenceSpec::Type::Pair) {
            bool any = false;
            for (std::size_t i = 0; i < r.runs.size(); ++i) {
                if (r.runs[i].rule != s.id)
                    continue;
                any = true;
                const el::RunInfo& run = r.runs[i];
                instance(s.id + "#" + std::to_string(i), cls,
                    s.id + " " + keyName(s.key) + " " + run.key.dump() + " (seq "
                        + std::to_string(run.startSeq ? run.startSeq : run.endSeq) + ")");
            }
            if (!any) {
                TestCase& tc = instance(s.id, cls, s.id);
                tc.skipped = true;
                tc.skipMessage = "no " + s.start + " or " + s.end + " with " + s.key + " in the input";
            }
        } else if (s.type == el::SequenceSpec::Type::Order) {
            bool any = false;
            for (const EventRecord& e : r.records) {
                for (const auto& [rule, key] : e.orderKeys) {
                    if (rule != specIndex)
                        continue;
                    any = true;
                    instance(s.id + "@" + std::to_string(e.seq), cls,
                        s.id + (s.key.empty() ? "" : " " + keyName(s.key) + " " + key) + " (seq "
                            + std::to_string(e.seq) + ")");
                }
            }
            if (!any) {
                TestCase& tc = instance(s.id, cls, s.id);
                tc.skipped = true;
                tc.skipMessage = "no " + s.then + " in the input";
            }
        } else {
            instance(s.id, cls, s.id);
        }
    }
    for (const Reported& rv : r.violations) {
        const el::Violation& v = rv.v;
        auto spec = specById.find(v.rule);
        const bool sequenceKind = el::isSequenceKind(v.kind);
        if (!sequenceKind || spec == specById.end()) {
            const qint64 at = v.seqs.empty() ? 0 : v.seqs.back();
            if (at >= 1 && std::size_t(at) <= eventCases.size())
                eventCases[std::size_t(at - 1)].violations.push_back(&rv);
            continue;
        }
        const el::SequenceSpec& s = *spec->second;
        if (s.type == el::SequenceSpec::Type::Pair) {
            bool placed = false;
            for (std::size_t i = 0; i < r.runs.size() && !placed; ++i) {
                const el::RunInfo& run = r.runs[i];
                if (run.rule != s.id)
                    continue;
                for (qint64 seq : v.seqs) {
                    if ((run.startSeq && seq == run.startSeq) || (!run.startSeq && seq == run.endSeq)) {
                        auto it = caseIndex.find(s.id + "#" + std::to_string(i));
                        if (it != caseIndex.end()) {
                            seqCases[it->second].violations.push_back(&rv);
                            placed = true;
                        }
                        break;
                    }
                }
            }
            if (!placed)
                instance(s.id, "sequences." + s.id, s.id).violations.push_back(&rv);
        } else if (s.type == el::SequenceSpec::Type::Order) {
            const qint64 at = v.seqs.empty() ? 0 : v.seqs.back();
            instance(s.id + "@" + std::to_string(at), "sequences." + s.id, s.id).violations.push_back(&rv);
        } else {
            instance(s.id, "sequences." + s.id, s.id).violations.push_back(&rv);
        }
    }

    QByteArray xmlText;
    QXmlStreamWriter xml(&xmlText);
    xml.setAutoFormatting(true);
    xml.setAutoFormattingIndent(2);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("testsuites"));
    xml.writeAttribute(QStringLiteral("name"),
        QString::fromStdString("eventlens check: " + r.contract->name()
            + (r.contract->version().empty() ? "" : " " + r.contract->version())));
    xml.writeAttribute(QStringLiteral("tests"), QString::number(eventCases.size() + seqCases.size()));
    int failures = 0;
    for (const auto* cases : {&eventCases, &seqCases}) {
        for (const TestCase& tc : *cases) {
            for (const Reported* v : tc.violations) {
                if (v->v.severity == el::Severity::Error) {
                    ++failures;
                    break;
                }
            }
        }
    }
    xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
    xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    writeSuite(xml, QStringLiteral("events"), eventCases);
    writeSuite(xml, QStringLiteral("sequences"), seqCases);
    xml.writeEndElement();
    xml.writeEndDocument();
    return xmlText.toStdString() + "\n";
}

// --- reading and judging ---------------------------------------------------------------------------------------

/**
 * Reads the inputs and judges their events as they come, keeping none of them.
 *
 * NDJSON is read in chunks (EVENTLENS_CHECK_CHUNK_BYTES, default 4 MiB) cut at line ends; each block of lines
 * is parsed, decoded and judged (judgeEvent) on a worker thread, at most 2 x QThread::idealThreadCount() blocks
 * at a time; this thread takes the blocks back in input order, numbers the events (seq 1.. across all inputs),
 * applies the sequence rules (ContractEngine::onJudged) and resolves the names and sources each violation
 * shows. Whole-document shapes (a HAR, a JSON array or object spanning lines) are read whole, as before.
 *
 * Memory stays bounded by the blocks in flight plus what the report keeps (the violations, with their resolved
 * names and sources) and what the sequence rules must remember (open runs, a hash per unique key). A run leaves
 * the engine when it ends (setRunSink()): JSON keeps 24 bytes per run to list them in creation order at the end.
 * A later violation may name an earlier event's source (a duplicate end, a duplicate key): sources are kept as
 * spans of seqs (SourceSpan), a few bytes per input block. `-f junit` also keeps a small record per event (one
 * testcase each, output-sized).
 */
class Checker
{
public:
    explicit Checker(Report& report)
        : m_report(report)
        , m_engine(report.contract)
        , m_junit(report.format == Format::Junit)
    {
        m_engine.setForgettable(false); // a check keeps every key to the end
        // A run leaves the engine as soon as it ends: the report takes it then, not all runs at the end.
        m_engine.setRunSink([this](std::uint64_t order, el::RunInfo run) { takeRun(order, std::move(run)); });
        for (const el::SequenceSpec& s : report.contract->sequences()) {
            if (s.type == el::SequenceSpec::Type::Pair)
                m_startOf.emplace(s.id, s.start);
        }
        m_threads = std::max(1, QThread::idealThreadCount());
        m_pool.setMaxThreadCount(m_threads);
        m_chunk = 4u << 20;
        const QByteArray env = qgetenv("EVENTLENS_CHECK_CHUNK_BYTES");
        bool ok = false;
        const qulonglong n = env.toULongLong(&ok);
        if (ok && n > 0)
            m_chunk = std::size_t(n);
    }
    ~Checker() { m_pool.waitForDone(); } // the workers still running (after an input error)

    /** Reads and judges one input; false with \a error (the message the whole-file read gave). */
    bool addFile(const QString& path, const std::string& name, qint64 receivedMs, std::string& error);
    /** Judges the events of a session file (.elsession) as the sink committed them. */
    bool addSessionFile(const QString& path, const std::string& name, std::string& error);
    /** After the last input: finish() (open pairs), the runs and the counts; false with \a error. */
    bool finish(std::string& error);

private:
    struct Batch
    {
        el::OfflineInput input; ///< seqs and request ids from 1 within the batch
        std::vector<el::EventJudgement> judged; ///< per event
        std::vector<std::vector<std::pair<std::size_t, std::string>>> orderKeys; ///< per event, junit only
        std::string block; ///< the text read, handed back so that its buffer is read into again
        el::Coverage* coverage = nullptr; ///< counts these events, when the report has coverage (not owned)
        /// html: compact JSON of the events with per-event violations (for the report's examples)
        std::vector<std::string> eventJson;
        bool keepJson = false;
        bool failed = false;
        std::string error;
    };
    /**
     * Where events came from, by seq: consecutive events whose sources are the same input's "NAME:LINE",
     * "NAME[INDEX]" or "NAME#N" with the number the same or one more each time make one span (NDJSON: a span per
     * stretch of one-event lines, a request body's events share a line). Any other source is a span of its own,
     * its text in m_wheres. A few bytes per input block, not per event.
     */
    struct SourceSpan
    {
        qint64 firstSeq = 0;
        std::uint32_t count = 0;
        std::uint32_t file = 0; ///< index in m_files
        std::uint32_t number = 0; ///< of the first event; with Kind::Text, an index in m_wheres
        std::uint8_t kind = 0; ///< Kind
        std::int8_t step = -1; ///< 0 or 1 once a second event joined, -1 before
    };
    enum Kind : std::uint8_t { Line, Index, Hash, Text };

    /** Judges the events of \a b from \a first on (from the DOMs the reader kept, else from their text). */
    static void judge(const el::Contract& contract, bool junit, Batch& b, bool parallel, std::size_t first = 0);
    /**
     * Coverage counts kept by the worker tasks, one per task running at a time and reused from block to block (a
     * count per block was tens of thousands of small allocations each time), added to the report's at the end.
     */
    struct CoveragePool
    {
        std::mutex mutex;
        std::vector<el::Coverage*> idle; ///< of \c all, not in use
        std::vector<std::unique_ptr<el::Coverage>> all;
    };
    static Batch readLines(std::shared_ptr<const el::Contract> contract, bool junit, el::Coverage* coverage,
        bool keepJson, const std::string& name, std::string block, std::size_t firstLine, qint64 receivedMs);
    el::Coverage* borrowCoverage();
    void returnCoverage(el::Coverage* c);
    bool submit(
        const std::string& name, std::string block, std::size_t firstLine, qint64 receivedMs, std::string& error);
    bool takeOne(std::string& error);
    bool consume(Batch& b, std::string& error);
    void report(std::vector<el::Violation>& violations, qint64 seq, const std::string& name, const std::string& src,
        const std::string* eventJson = nullptr);
    /** Records where event \a seq came from (each seq once, in order). */
    void addSource(qint64 seq, const std::string& src);
    /** Where \a seq came from, if recorded (else empty). */
    std::string sourceAt(qint64 seq) const;
    /** model: counts \a r under its rule, with the name of its event and its path. */
    void tally(const Reported& r);
    /** html, markdown: counts \a r under its rule, and keeps it in full while the rule has few. */
    void keepExample(Reported r, const std::string* eventJson);
    /** A run from the engine, final (in the order runs end; \a order is its creation order). */
    void takeRun(std::uint64_t order, el::RunInfo run);
    /** An empty buffer to read a block into: one whose block was consumed, else a new one. */
    std::string buffer();

    Report& m_report;
    el::ContractEngine m_engine;
    bool m_junit = false;
    int m_threads = 1;
    std::size_t m_chunk = 0;
    std::deque<std::future<Batch>> m_inFlight;
    std::vector<std::string> m_spare; ///< read buffers back from consumed blocks
    CoveragePool m_coverage;
    QThreadPool m_pool;
    qint64 m_nextSeq = 1;
    qint64 m_requests = 0;
    std::vector<SourceSpan> m_sources; ///< by seq (see SourceSpan)
    std::vector<std::string> m_wheres; ///< sources of no span pattern
    std::unordered_map<std::string, std::string> m_startOf; ///< pair rule id -> its start event (see report())
    std::vector<std::string> m_files; ///< input names, in order
    /// json: each run's JSON, appended as it ends; finish() lays them out in creation order
    PieceText m_runText {std::size_t(4) << 20}; ///< renderedRuns gets its own 16 MiB at the end
    struct RunAt
    {
        std::uint64_t order = 0;
        std::uint64_t offset = 0; ///< in m_runText
        std::size_t length = 0;
    };
    std::vector<RunAt> m_runAt; ///< json: 24 bytes per run, output-sized like the list it becomes
    std::vector<std::pair<std::uint64_t, el::RunInfo>> m_junitRuns; ///< junit: by order at the end
    el::RunsShown m_shown {kRunsShown}; ///< html, markdown
};

void Checker::judge(const el::Contract& contract, bool junit, Batch& b, bool parallel, std::size_t first)
{
    const std::vector<el::Event>& events = b.input.events;
    std::vector<el::Json>& docs = b.input.docs; // the events from first on, when the reader kept them
    b.judged.resize(events.size());
    if (junit)
        b.orderKeys.resize(events.size());
    if (b.keepJson)
        b.eventJson.resize(events.size());
    const auto& specs = contract.sequences();
    std::mutex coverageMutex;
    auto range = [&](std::size_t begin, std::size_t end) {
        std::optional<el::Coverage> share; // a range's own count when ranges run in parallel
        if (b.coverage && parallel)
            share.emplace(b.coverage->fresh());
        el::Coverage* coverage = share ? &*share : b.coverage;
        for (std::size_t i = begin; i < end; ++i) {
            const el::Event& e = events[i];
            if (e.recording)
                continue;
            const el::Json parsed = docs.empty() ? e.doc() : el::Json();
            const el::Json& doc = docs.empty() ? parsed : docs[i - first];
            b.judged[i] = el::judgeEvent(contract, e, doc);
            if (coverage) {
                static const el::Json none;
                const auto props = doc.find("properties");
                const auto name = doc.find("event");
                coverage->add(name != doc.end() && name->is_string() ? name->get_ref<const std::string&>() : e.name(),
                    props != doc.end() ? *props : none);
            }
            if (b.keepJson && !b.judged[i].violations.empty()) {
                b.eventJson[i] = doc.dump(-1, ' ', false, el::Json::error_handler_t::replace);
                // The report shows the event: what its scan rules find is masked there too, never shown again.
                if (contract.scanMask())
                    b.eventJson[i] = el::redactText(b.eventJson[i], contract.scanMask());
            }
            if (!junit)
                continue;
            const std::string name = e.name();
            for (std::size_t k = 0; k < specs.size(); ++k) {
                const el::SequenceSpec& s = specs[k];
                if (s.type != el::SequenceSpec::Type::Order || name != s.then)
                    continue;
                std::string key;
                if (!s.key.empty()) {
                    const el::Json* value = b.judged[i].fact(s.key); // judgeEvent kept it (the rule's key)
                    if (!value)
                        continue;
                    key = value->dump();
                }
                b.orderKeys[i].emplace_back(k, std::move(key));
            }
        }
        if (share) {
            const std::lock_guard<std::mutex> lock(coverageMutex);
            b.coverage->merge(*share);
        }
    };
    if (parallel)
        el::parallelChunks(
            events.size() - first, 0, [&](std::size_t a, std::size_t z) { range(first + a, first + z); });
    else
        range(first, events.size());
    docs.clear();
}

Checker::Batch Checker::readLines(std::shared_ptr<const el::Contract> contract, bool junit, el::Coverage* coverage,
    bool keepJson, const std::string& name, std::string block, std::size_t firstLine, qint64 receivedMs)
{
    Batch b;
    b.coverage = coverage;
    b.keepJson = keepJson;
    b.input.keepDocs = true; // each line is parsed once, judged from its DOM, and the DOM dropped
    std::size_t lineNo = firstLine;
    std::size_t pos = 0;
    while (pos < block.size()) {
        std::size_t nl = block.find('\n', pos);
        if (nl == std::string::npos)
            nl = block.size(); // the last line of a file without a final newline
        const std::size_t first = b.input.events.size();
        if (!el::readOfflineLine(
                name, lineNo, std::string_view(block.data() + pos, nl - pos), receivedMs, b.input, b.error)) {
            b.failed = true;
            break;
        }
        judge(*contract, junit, b, false, first);
        ++lineNo;
        pos = nl + 1;
    }
    b.block = std::move(block);
    return b;
}

el::Coverage* Checker::borrowCoverage()
{
    if (!m_report.coverage)
        return nullptr;
    const std::lock_guard<std::mutex> lock(m_coverage.mutex);
    if (!m_coverage.idle.empty()) {
        el::Coverage* c = m_coverage.idle.back();
        m_coverage.idle.pop_back();
        return c;
    }
    m_coverage.all.push_back(std::make_unique<el::Coverage>(m_report.coverage->fresh()));
    return m_coverage.all.back().get();
}

void Checker::returnCoverage(el::Coverage* c)
{
    if (!c)
        return;
    const std::lock_guard<std::mutex> lock(m_coverage.mutex);
    m_coverage.idle.push_back(c);
}

bool Checker::submit(
    const std::string& name, std::string block, std::size_t firstLine, qint64 receivedMs, std::string& error)
{
    while (m_inFlight.size() >= std::size_t(2 * m_threads)) {
        if (!takeOne(error))
            return false;
    }
    // On pooled threads (a thread per block would pay for its creation, its allocator cache and its exit each time).
    auto task = std::make_shared<std::packaged_task<Batch()>>(
        [this, contract = m_report.contract, junit = m_junit, keepJson = m_report.format == Format::Html, name,
            block = std::move(block), firstLine, receivedMs]() mutable {
            el::Coverage* coverage = borrowCoverage();
            Batch b = readLines(contract, junit, coverage, keepJson, name, std::move(block), firstLine, receivedMs);
            b.coverage = nullptr;
            returnCoverage(coverage);
            return b;
        });
    m_inFlight.push_back(task->get_future());
    m_pool.start([task] { (*task)(); }); // an exception ends up in the future
    return true;
}

bool Checker::takeOne(std::string& error)
{
    Batch b = m_inFlight.front().get();
    m_inFlight.pop_front();
    return consume(b, error);
}

void Checker::report(std::vector<el::Violation>& violations, qint64 seq, const std::string& name,
    const std::string& src, const std::string* eventJson)
{
    for (el::Violation& v : violations) {
        Reported r;
        for (qint64 s : v.seqs)
            r.sources.push_back(s == seq && seq != 0 ? src : sourceAt(s));
        // The last seq is the event being judged, but for a run with no end (named by its start) at the end.
        if (!v.seqs.empty() && v.seqs.back() == seq && seq != 0)
            r.event = name;
        else if (v.kind == el::ViolationKind::SequenceUnfinished && m_startOf.count(v.rule))
            r.event = m_startOf.at(v.rule);
        (v.severity == el::Severity::Error ? m_report.errors : m_report.warnings)++;
        ++m_report.violationCount;
        m_report.byKind[std::string(el::toString(v.kind))]++;
        m_report.byRule[v.rule]++;
        r.v = std::move(v);
        if (m_report.format == Format::Json)
            renderJson(r, m_report.rendered);
        else if (m_report.format == Format::Text)
            renderText(r, m_report.rendered);
        else if (m_report.format == Format::Junit)
            m_report.violations.push_back(std::move(r));
        else if (m_report.format == Format::Model)
            tally(r);
        else
            keepExample(std::move(r), eventJson);
    }
}

void Checker::tally(const Reported& r)
{
    RuleTally& t = m_report.tally[r.v.rule];
    if (t.count++ == 0)
        t.kind = std::string(el::toString(r.v.kind));
    (r.v.severity == el::Severity::Error ? t.errors : t.warnings)++;
    t.events[r.event]++;
    t.paths[r.v.path]++;
}

void Checker::keepExample(Reported r, const std::string* eventJson)
{
    auto [it, inserted] = m_report.ruleIndex.try_emplace(r.v.rule, m_report.data.rules.size());
    if (inserted) {
        el::ReportRule rule;
        rule.rule = r.v.rule;
        rule.kind = std::string(el::toString(r.v.kind));
        rule.severity = r.v.severity;
        m_report.data.rules.push_back(std::move(rule));
    }
    el::ReportRule& rule = m_report.data.rules[it->second];
    ++rule.count;
    if (rule.examples.size() >= kExamplesPerRule)
        return;
    el::ReportExample x;
    x.event = r.event;
    x.source = r.source();
    // The event's JSON is at hand for the event being judged (its per-event violations and the sequence ones that
    // name it last), not for an earlier event a sequence violation names.
    if (eventJson && !r.v.seqs.empty() && r.v.seqs.back() == m_nextSeq - 1)
        x.eventJson = *eventJson;
    x.violation = std::move(r.v);
    rule.examples.push_back(std::move(x));
}

void Checker::addSource(qint64 seq, const std::string& src)
{
    // "NAME:LINE", "NAME[INDEX]" or "NAME#N" of the current input, N as the readers write it (no leading zero)
    Kind kind = Text;
    std::uint32_t number = 0;
    const std::string& file = m_files.back();
    if (src.size() > file.size() + 1 && src.compare(0, file.size(), file) == 0) {
        const char open = src[file.size()];
        kind = open == ':' ? Line : open == '[' ? Index : open == '#' ? Hash : Text;
        const std::size_t end = kind == Index ? src.size() - 1 : src.size();
        const std::size_t from = file.size() + 1;
        if (kind == Index && src.back() != ']')
            kind = Text;
        if (kind != Text) {
            const std::size_t digits = end - from;
            bool ok = digits >= 1 && digits <= 9 && (src[from] != '0' || digits == 1);
            for (std::size_t k = from; ok && k < end; ++k)
                ok = src[k] >= '0' && src[k] <= '9';
            if (ok)
                number = std::uint32_t(std::stoul(src.substr(from, digits)));
            else
                kind = Text;
        }
    }
    const std::uint32_t fileIndex = std::uint32_t(m_files.size() - 1);
    if (kind != Text && !m_sources.empty()) {
        SourceSpan& last = m_sources.back();
        if (last.kind == kind && last.file == fileIndex && last.firstSeq + last.count == seq) {
            const std::uint32_t lastNumber = last.number + (last.step > 0 ? last.count - 1 : 0);
            const int step = number == lastNumber ? 0 : number == lastNumber + 1 ? 1 : -1;
            if (step >= 0 && (last.step < 0 || last.step == step)) {
                last.step = std::int8_t(step);
                ++last.count;
                return;
            }
        }
    }
    SourceSpan span;
    span.firstSeq = seq;
    span.count = 1;
    span.file = fileIndex;
    span.kind = kind;
    if (kind == Text) {
        span.number = std::uint32_t(m_wheres.size());
        m_wheres.push_back(src);
    } else {
        span.number = number;
    }
    m_sources.push_back(span);
}

std::string Checker::sourceAt(qint64 seq) const
{
    const auto it = std::upper_bound(
        m_sources.begin(), m_sources.end(), seq, [](qint64 s, const SourceSpan& span) { return s < span.firstSeq; });
    if (it == m_sources.begin())
        return {};
    const SourceSpan& span = *std::prev(it);
    if (seq >= span.firstSeq + span.count)
        return {};
    if (span.kind == Text)
        return m_wheres[span.number];
    const std::string n = std::to_string(span.number + (span.step > 0 ? std::uint32_t(seq - span.firstSeq) : 0));
    const std::string& file = m_files[span.file];
    return span.kind == Line ? file + ":" + n : span.kind == Index ? file + "[" + n + "]" : file + "#" + n;
}

std::string Checker::buffer()
{
    std::string out;
    if (!m_spare.empty()) {
        out = std::move(m_spare.back());
        m_spare.pop_back();
        out.clear();
    } else {
        out.reserve(m_chunk + (64u << 10));
    }
    return out;
}

bool Checker::consume(Batch& b, std::string& error)
{
    // Reading into warm pages: no page faults, no purge. As many as there can be blocks in flight, plus the one read.
    if (b.block.capacity() >= m_chunk && m_spare.size() <= std::size_t(2 * m_threads))
        m_spare.push_back(std::move(b.block));
    if (b.failed) {
        error = b.error;
        return false;
    }
    for (std::size_t i = 0; i < b.input.events.size(); ++i) {
        el::Event& e = b.input.events[i];
        const qint64 seq = m_nextSeq++;
        e.seq = seq;
        e.requestId += m_requests;
        const std::string& src = b.input.sources[i];
        const std::string name = e.name();
        if (e.recording)
            ++m_report.recordings;
        el::EventJudgement& j = b.judged[i];
        for (el::Violation& x : j.violations)
            x.seqs = {seq}; // per-event violations name only their event
        addSource(seq, src);
        std::vector<el::Violation> v = m_engine.onJudged(e, std::move(j));
        if ((m_report.visual() || m_report.format == Format::Model) && !e.recording) {
            const qint64 t = el::eventTimeMs(e);
            el::ReportData& d = m_report.data;
            d.firstMs = d.firstMs == 0 ? t : std::min(d.firstMs, t);
            d.lastMs = std::max(d.lastMs, t);
        }
        report(v, seq, name, src, i < b.eventJson.size() && !b.eventJson[i].empty() ? &b.eventJson[i] : nullptr);
        if (m_junit)
            m_report.records.push_back({name, seq, src, e.recording, std::move(b.orderKeys[i])});
    }
    m_requests += b.input.requests;
    m_report.events = m_nextSeq - 1;
    m_report.requests = int(m_requests);
    m_report.skippedRequests += b.input.skippedRequests;
    return true;
}

bool Checker::addFile(const QString& path, const std::string& name, qint64 receivedMs, std::string& error)
{
    m_files.push_back(name);
    QFile f;
    bool opened = false;
    if (path == QLatin1String("-"))
        opened = f.open(stdin, QIODevice::ReadOnly);
    else {
        f.setFileName(path);
        opened = f.open(QIODevice::ReadOnly);
    }
    const std::string cannotRead = "cannot read " + path.toStdString() + ": ";
    if (!opened) {
        error = cannotRead + f.errorString().toStdString();
        return false;
    }
    if (path != QLatin1String("-") && f.peek(16) == QByteArray("SQLite format 3\0", 16)) {
        f.close();
        return addSessionFile(path, name, error);
    }
    std::string buf = buffer();
    bool eof = false;
    auto readMore = [&]() {
        const std::size_t old = buf.size();
        buf.resize(old + m_chunk);
        const qint64 n = f.read(buf.data() + old, qint64(m_chunk));
        if (n < 0 || f.error() != QFileDevice::NoError) {
            error = cannotRead + f.errorString().toStdString();
            return false;
        }
        buf.resize(old + std::size_t(n));
        if (n == 0)
            eof = true;
        return true;
    };
    const char* const blank = " \t\r\n";

    // Which shape? readOfflineInput() takes the content as one JSON document when it parses as one, else as
    // NDJSON. NDJSON for sure: the first non-blank character cannot start a document spanning lines (not { or
    // [), or the first non-blank line is a JSON value on its own and more follows. Else read it whole as before.
    while (buf.size() < 3 && !eof) {
        if (!readMore())
            return false;
    }
    if (buf.size() >= 3 && buf.compare(0, 3, "\xEF\xBB\xBF") == 0)
        buf.erase(0, 3); // UTF-8 BOM (Windows tools)
    std::size_t first = std::string::npos;
    while ((first = buf.find_first_not_of(blank)) == std::string::npos && !eof) {
        if (!readMore())
            return false;
    }
    bool stream = true;
    if (first != std::string::npos && (buf[first] == '{' || buf[first] == '[')) {
        std::size_t nl = std::string::npos;
        while ((nl = buf.find('\n', first)) == std::string::npos && !eof) {
            if (!readMore())
                return false;
        }
        const std::size_t end = nl == std::string::npos ? buf.size() : nl;
        if (el::Json::parse(buf.begin() + std::ptrdiff_t(first), buf.begin() + std::ptrdiff_t(end), nullptr, false)
                .is_discarded()) {
            stream = false;
        } else {
            while (buf.find_first_not_of(blank, end) == std::string::npos && !eof) {
                if (!readMore())
                    return false;
            }
            stream = buf.find_first_not_of(blank, end) != std::string::npos;
        }
    }
    if (!stream) {
        while (!eof) {
            if (!readMore())
                return false;
        }
        // Whatever is in flight comes first.
        while (!m_inFlight.empty()) {
            if (!takeOne(error))
                return false;
        }
        Batch b;
        b.coverage = m_report.coverage.get();
        b.keepJson = m_report.format == Format::Html;
        if (!el::readOfflineInput(name, buf, receivedMs, b.input, error))
            return false;
        buf = std::string();
        judge(*m_report.contract, m_junit, b, true);
        return consume(b, error);
    }

    std::size_t lineNo = 1;
    for (;;) {
        if (!eof && buf.size() < m_chunk) {
            if (!readMore())
                return false;
            continue;
        }
        if (eof) {
            if (!buf.empty() && !submit(name, std::move(buf), lineNo, receivedMs, error))
                return false;
            break;
        }
        const std::size_t last = buf.rfind('\n');
        if (last == std::string::npos) { // a line longer than a chunk: read on
            if (!readMore())
                return false;
            continue;
        }
        std::string rest = buffer();
        rest.assign(buf, last + 1);
        buf.resize(last + 1);
        std::size_t lines = 0; // memchr is vectorised, std::count byte by byte
        for (const char *at = buf.data(), *end = at + buf.size();
             (at = static_cast<const char*>(std::memchr(at, '\n', std::size_t(end - at)))) != nullptr; ++at)
            ++lines;
        if (!submit(name, std::move(buf), lineNo, receivedMs, error))
            return false;
        lineNo += lines;
        buf = std::move(rest);
    }
    while (!m_inFlight.empty()) {
        if (!takeOne(error))
            return false;
    }
    return true;
}

bool Checker::addSessionFile(const QString& path, const std::string& name, std::string& error)
{
    // A session file is a database, read whole (its events are held until judged: not streamed like NDJSON).
    el::SessionData session;
    QString why;
    if (!el::SessionJournal::load(path, session, &why)) {
        error = "cannot read session file " + name + ": " + why.toStdString();
        return false;
    }
    while (!m_inFlight.empty()) { // whatever is in flight comes first
        if (!takeOne(error))
            return false;
    }
    m_report.recordings += int(session.recordings);
    constexpr std::size_t kBlock = 8192;
    for (std::size_t at = 0; at < session.events.size(); at += kBlock) {
        Batch b;
        b.coverage = m_report.coverage.get();
        b.keepJson = m_report.format == Format::Html;
        const std::size_t end = std::min(session.events.size(), at + kBlock);
        for (std::size_t i = at; i < end; ++i) {
            el::Event& e = session.events[i];
            b.input.sources.push_back(name + "#" + std::to_string(e.seq));
            b.input.events.push_back(std::move(e));
        }
        if (end == session.events.size()) // request ids are the file's own: offset once, counted once
            b.input.requests = int(session.requests.size());
        judge(*m_report.contract, m_junit, b, true);
        if (!consume(b, error))
            return false;
    }
    return true;
}

void Checker::takeRun(std::uint64_t order, el::RunInfo run)
{
    switch (m_report.format) {
    case Format::Text:
        break; // the text report lists no runs
    case Format::Json: {
        RunAt at;
        at.order = order;
        at.offset = m_runText.size();
        const std::string text = dump2(run.toJson());
        at.length = text.size();
        m_runText.tail() += text;
        m_runAt.push_back(at);
        break;
    }
    case Format::Junit:
        m_junitRuns.emplace_back(order, std::move(run));
        break;
    case Format::Model:
        m_report.funnel.add(run);
        ++m_report.runCount;
        break;
    case Format::Html:
    case Format::Markdown:
        m_report.funnel.add(run);
        ++m_report.data.runCount;
        m_shown.add(std::move(run), order);
        break;
    }
}

bool Checker::finish(std::string& error)
{
    for (const auto& c : m_coverage.all) // the blocks are all consumed: no task uses them any more
        m_report.coverage->merge(*c);
    std::vector<el::Violation> v = m_engine.finish(); // hands the runs still open to takeRun()
    report(v, 0, std::string(), std::string());
    if (m_report.format == Format::Junit) {
        std::stable_sort(
            m_junitRuns.begin(), m_junitRuns.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        for (auto& [order, run] : m_junitRuns)
            m_report.runs.push_back(std::move(run));
        m_junitRuns.clear();
    } else if (m_report.format == Format::Json) {
        std::sort(m_runAt.begin(), m_runAt.end(), [](const RunAt& a, const RunAt& b) { return a.order < b.order; });
        std::string text;
        for (const RunAt& at : m_runAt) {
            text.clear();
            if (!m_runText.readAt(at.offset, at.length, text, error))
                return false;
            const bool first = m_report.renderedRuns.empty();
            appendIndented(text, first, m_report.renderedRuns.tail());
        }
    } else if (m_report.visual()) {
        el::ReportData& d = m_report.data;
        d.runs = m_shown.take();
        d.funnel = m_report.funnel.rows();
        d.inputs = m_files;
    }
    return true;
}

QString helpText(const QCommandLineParser& parser)
{
    QString text = commandHelpText(parser, "check");
    text += QStringLiteral(
        "\nInputs: NDJSON (one event or one PostHog request body per line), a JSON array, or a HAR file\n"
        "(Chrome DevTools \"Save all as HAR\": only requests to PostHog ingest endpoints are decoded), or an "
        "EventLens\nsession file (.elsession: its events as the sink committed them). \"-\" reads stdin.\n"
        "Exit status: 0 no error-severity violation, 1 some, 2 usage error or unreadable input.\n");
    return text;
}

} // namespace

bool judgeInputs(
    const std::shared_ptr<const el::Contract>& contract, const QStringList& inputs, el::Json& out, std::string& error)
{
    Report report;
    report.contract = contract;
    report.format = Format::Model;
    report.coverage = std::make_unique<el::Coverage>(report.contract);
    const qint64 startedMs = el::nowMs();
    std::vector<std::string> names;
    {
        Checker checker(report);
        for (const QString& path : inputs) {
            names.push_back(path == QLatin1String("-") ? std::string("<stdin>") : path.toStdString());
            if (!checker.addFile(path, names.back(), startedMs, error))
                return false;
        }
        if (!checker.finish(error))
            return false;
    }
    el::Json funnel = el::Json::array();
    for (const el::FunnelRow& f : report.funnel.rows())
        funnel.push_back({{"runtime_type", f.runtimeType}, {"created", f.created}, {"finished", f.finished},
            {"success", f.success}, {"failed", f.failed}, {"cancelled", f.cancelled}, {"other", f.other},
            {"open", f.open}, {"unfinished", f.unfinished}});
    el::Json rules = el::Json::object();
    for (const auto& [id, t] : report.tally)
        rules[id] = {{"count", t.count}, {"errors", t.errors}, {"warnings", t.warnings}, {"kind", t.kind},
            {"events", t.events}, {"paths", t.paths}};
    const el::Contract& c = *report.contract;
    out = {{"contract", {{"name", c.name()}, {"version", c.version()}, {"origin", c.origin()}}}, {"inputs", names},
        {"events", report.events}, {"first_ms", report.data.firstMs}, {"last_ms", report.data.lastMs},
        {"coverage", report.coverage->toJson()}, {"funnel", std::move(funnel)}, {"run_count", report.runCount},
        {"rules", std::move(rules)},
        {"summary",
            {{"events", report.events}, {"recordings", report.recordings}, {"requests", report.requests},
                {"skipped_requests", report.skippedRequests}, {"violations", report.violationCount},
                {"errors", report.errors}, {"warnings", report.warnings}, {"by_kind", report.byKind},
                {"by_rule", report.byRule}, {"passed", report.errors == 0}}}};
    return true;
}

int runCheckCommand(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Validate recorded PostHog events against an analytics contract."));
    const QCommandLineOption helpOption(
        {QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    const QCommandLineOption contractOption({QStringLiteral("c"), QStringLiteral("contract")},
        QStringLiteral("Contract file, or builtin:NAME (default: %1).").arg(QLatin1String(kDefaultContract)),
        QStringLiteral("FILE|builtin:NAME"));
    const QCommandLineOption formatOption({QStringLiteral("f"), QStringLiteral("format")},
        QStringLiteral("Report format: text (default), json, junit, html or markdown."), QStringLiteral("FORMAT"),
        QStringLiteral("text"));
    const QCommandLineOption outputOption({QStringLiteral("o"), QStringLiteral("output")},
        QStringLiteral("Write the report to FILE instead of stdout."), QStringLiteral("FILE"));
    parser.addOption(helpOption);
    parser.addOption(contractOption);
    parser.addOption(formatOption);
    parser.addOption(outputOption);
    parser.addPositionalArgument(QStringLiteral("INPUT"),
        QStringLiteral("Event files (NDJSON, JSON array, HAR, .elsession) or -."), QStringLiteral("INPUT..."));

    QStringList argv = args;
    argv.prepend(QStringLiteral("eventlens check"));
    if (!parser.parse(argv)) {
        printErr(parser.errorText().toStdString() + " (see eventlens check --help)");
        return 2;
    }
    if (parser.isSet(helpOption)) {
        std::fputs(helpText(parser).toLocal8Bit().constData(), stdout);
        return 0;
    }
    const QString formatName = parser.value(formatOption);
    Report report;
    if (formatName == QLatin1String("text"))
        report.format = Format::Text;
    else if (formatName == QLatin1String("json"))
        report.format = Format::Json;
    else if (formatName == QLatin1String("junit"))
        report.format = Format::Junit;
    else if (formatName == QLatin1String("html"))
        report.format = Format::Html;
    else if (formatName == QLatin1String("markdown") || formatName == QLatin1String("md"))
        report.format = Format::Markdown;
    else {
        printErr("unknown format \"" + formatName.toStdString() + "\" (expected text, json, junit, html or markdown)");
        return 2;
    }
    const QStringList inputs = parser.positionalArguments();
    if (inputs.isEmpty()) {
        printErr("no input given (usage: eventlens check [--contract FILE|builtin:NAME] [--format "
                 "text|json|junit|html|markdown] "
                 "[--output FILE] INPUT...)");
        return 2;
    }

    std::string error;
    const std::string contractName
        = parser.isSet(contractOption) ? parser.value(contractOption).toStdString() : std::string(kDefaultContract);
    report.contract = el::loadContract(contractName, error);
    if (!report.contract) {
        printErr(error);
        return 2;
    }
    if (report.format == Format::Json || report.visual())
        report.coverage = std::make_unique<el::Coverage>(report.contract);

    const qint64 startedMs = el::nowMs();
    {
        Checker checker(report);
        for (const QString& path : inputs) {
            const std::string name = path == QLatin1String("-") ? std::string("<stdin>") : path.toStdString();
            if (!checker.addFile(path, name, startedMs, error)) {
                printErr(error);
                return 2;
            }
        }
        if (!checker.finish(error)) {
            printErr(error);
            return 2;
        }
    }

    std::vector<std::string> storage;
    std::vector<Part> parts;
    if (report.format == Format::Json) {
        parts = formatJson(report, storage);
    } else if (report.format == Format::Junit) {
        storage.push_back(formatJunit(report));
        parts.push_back({storage.back()});
    } else if (report.visual()) {
        el::ReportData& d = report.data;
        d.contractName = report.contract->name();
        d.contractVersion = report.contract->version();
        d.contractOrigin = report.contract->origin();
        d.events = report.events;
        d.requests = std::uint64_t(report.requests);
        d.errors = std::uint64_t(report.errors);
        d.warnings = std::uint64_t(report.warnings);
        d.violations = report.violationCount;
        d.coverage = report.coverage->toJson();
        d.generatedMs = el::nowMs();
        storage.push_back(report.format == Format::Html ? el::renderHtmlReport(d) : el::renderMarkdownReport(d));
        parts.push_back({storage.back()});
    } else {
        storage.push_back(summaryLine(report) + "\n");
        parts = {{{}, &report.rendered}, {storage.back()}};
    }

    std::string partError; // a temporary file of the report could not be read back
    if (parser.isSet(outputOption)) {
        const QString out = parser.value(outputOption);
        QString why;
        const bool saved = el::saveFile(
            out, [&](const el::ByteSink& write) { return writeParts(parts, write, partError); }, &why);
        if (!saved) {
            printErr("cannot write " + (partError.empty() ? why.toStdString() : out.toStdString() + ": " + partError));
            return 2;
        }
        std::fprintf(stderr, "%s\n", summaryLine(report).c_str());
    } else {
        const bool written = writeParts(
            parts,
            [](std::string_view piece) { return std::fwrite(piece.data(), 1, piece.size(), stdout) == piece.size(); },
            partError);
        std::fflush(stdout);
        if (!written) {
            printErr("cannot write the report to stdout" + (partError.empty() ? std::string() : ": " + partError));
            return 2;
        }
    }
    return report.errors > 0 ? 1 : 0;
}
