// SPDX-License-Identifier: MIT
#pragma once

#include "checkreport.h"
#include "piecetext.h"

#include "contract/contract.h"
#include "contract/contractengine.h"
#include "contract/coverage.h"
#include "contract/offlineinput.h"
#include "report/reportdata.h"

#include <QString>
#include <QThreadPool>

#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace check {

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
 *
 * checkinput.cpp reads the inputs and judges their events (the workers' side: addFile(), addSessionFile(),
 * judge()); checker.cpp takes the judged events in input order into the report (consume(), the sources, the runs,
 * finish()).
 */
class Checker
{
public:
    /** A checker filling \a report (its contract and format set, and its coverage when it has one). */
    explicit Checker(Report& report);
    ~Checker(); ///< waits for the workers still running (after an input error)

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

    /** JUnit: the order rules' keys of event \a i of \a b, from its judgement's facts. */
    static void addOrderKeys(const el::Contract& contract, Batch& b, std::size_t i);
    /** Judges the events of \a b from \a first on (from the DOMs the reader kept, else from their text). */
    static void judge(const el::Contract& contract, bool junit, Batch& b, bool parallel, std::size_t first = 0);
    static Batch readLines(std::shared_ptr<const el::Contract> contract, bool junit, el::Coverage* coverage,
        bool keepJson, const std::string& name, std::string block, std::size_t firstLine, qint64 receivedMs);
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
    /// The worker tasks' coverage counts (one per task running at a time), added to the report's at the end.
    std::unique_ptr<el::CoveragePool> m_coverage;
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

} // namespace check
