// SPDX-License-Identifier: MIT
// check::Checker, the side of this thread: the judged events taken in input order (seqs, sources, the sequence
// rules) into the report, with the runs as they end. Reading and judging: checkinput.cpp.
#include "checker.h"

#include <QThread>

#include <algorithm>
#include <iterator>

namespace check {

Checker::Checker(Report& report)
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
    if (m_report.coverage)
        m_coverage = std::make_unique<el::CoveragePool>(*m_report.coverage);
    m_threads = std::max(1, QThread::idealThreadCount());
    m_pool.setMaxThreadCount(m_threads);
    m_chunk = 4u << 20;
    const QByteArray env = qgetenv("EVENTLENS_CHECK_CHUNK_BYTES");
    bool ok = false;
    const qulonglong n = env.toULongLong(&ok);
    if (ok && n > 0)
        m_chunk = std::size_t(n);
}

Checker::~Checker()
{
    m_pool.waitForDone();
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
    el::ReportRule& rule = el::countRuleViolation(m_report.data.rules, m_report.ruleIndex, r.v);
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
    if (m_coverage) // the blocks are all consumed: no task uses them any more
        m_coverage->mergeInto(*m_report.coverage);
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

} // namespace check
