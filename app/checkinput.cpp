// SPDX-License-Identifier: MIT
// check::Checker, the reading side: the inputs (files, stdin, session files) read and cut into blocks, and their
// events judged on worker threads. Taking the judged events into the report: checker.cpp.
#include "checker.h"

#include "contract/scan.h"
#include "model/textsearch.h"
#include "store/journal.h"
#include "util/flatjson.h"

#include <QFile>

#include <algorithm>
#include <cstring>
#include <optional>

namespace check {

void Checker::addOrderKeys(const el::Contract& contract, Batch& b, std::size_t i)
{
    const auto& specs = contract.sequences();
    const std::string name = b.input.events[i].name();
    for (std::size_t k = 0; k < specs.size(); ++k) {
        const el::SequenceSpec& s = specs[k];
        if (s.type != el::SequenceSpec::Type::Order || name != s.then)
            continue;
        std::string key;
        if (!s.key.empty()) {
            const std::string* value = b.judged[i].fact(s.key); // judgeEvent kept it (the rule's key)
            if (!value)
                continue;
            key = *value;
        }
        b.orderKeys[i].emplace_back(k, std::move(key));
    }
}

void Checker::judge(const el::Contract& contract, bool junit, Batch& b, bool parallel, std::size_t first)
{
    const std::vector<el::Event>& events = b.input.events;
    std::vector<el::Json>& docs = b.input.docs; // the events from first on, when the reader kept them
    b.judged.resize(events.size());
    if (junit)
        b.orderKeys.resize(events.size());
    if (b.keepJson)
        b.eventJson.resize(events.size());
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
            if (docs.empty()) {
                // A session file's events: their compact text, judged with no DOM where the fast evaluator decides
                // and nothing is reported (el::judgeKeptEvent()); else parsed below.
                el::FlatJson& flat = el::FlatJson::threadScratch();
                el::EventJudgement quick;
                if (flat.parse(e.json) && el::judgeEventQuickly(contract, e, flat.root(), quick)
                    && quick.violations.empty()) {
                    b.judged[i] = std::move(quick);
                    if (coverage) {
                        const el::FlatJson::Ref name = flat.root().find("event");
                        coverage->addEvent(
                            name.present() && name.isString() ? std::string(name.string()) : e.name(), flat.root());
                    }
                    if (junit)
                        addOrderKeys(contract, b, i);
                    continue;
                }
            }
            const el::Json parsed = docs.empty() ? e.doc() : el::Json();
            const el::Json& doc = docs.empty() ? parsed : docs[i - first];
            b.judged[i] = el::judgeEvent(contract, e, doc);
            if (coverage) {
                const auto name = doc.find("event");
                coverage->addEvent(
                    name != doc.end() && name->is_string() ? name->get_ref<const std::string&>() : e.name(), doc);
            }
            if (b.keepJson && !b.judged[i].violations.empty()) {
                b.eventJson[i] = doc.dump(-1, ' ', false, el::Json::error_handler_t::replace);
                // The report shows the event: what its scan rules find is masked there too, never shown again.
                if (contract.scanMask())
                    b.eventJson[i] = el::redactText(b.eventJson[i], contract.scanMask());
            }
            if (junit)
                addOrderKeys(contract, b, i);
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
    el::FlatJson& flat = el::FlatJson::threadScratch();
    std::vector<el::FlatJson::Ref> lineEvents;
    while (pos < block.size()) {
        std::size_t nl = block.find('\n', pos);
        if (nl == std::string::npos)
            nl = block.size(); // the last line of a file without a final newline
        const std::string_view line(block.data() + pos, nl - pos);
        const std::size_t first = b.input.events.size();
        if (el::readOfflineLineQuickly(name, lineNo, line, receivedMs, b.input, flat, lineEvents)) {
            // Decoded with no DOM: each event judged where the fast evaluator decides and nothing is reported,
            // else from the DOM of its normalised object.
            const std::size_t end = b.input.events.size();
            b.judged.resize(end);
            if (junit)
                b.orderKeys.resize(end);
            if (keepJson)
                b.eventJson.resize(end);
            std::size_t slow = end;
            for (std::size_t i = first; i < end; ++i) {
                if (b.input.events[i].recording)
                    continue; // as judge() leaves them
                const el::FlatJson::Ref doc = lineEvents[i - first];
                el::EventJudgement quick;
                if (!el::judgeEventQuickly(*contract, b.input.events[i], doc, quick) || !quick.violations.empty()) {
                    slow = i;
                    break;
                }
                b.judged[i] = std::move(quick);
                if (coverage)
                    coverage->addEvent(std::string(doc.find("event").string()), doc);
                if (junit)
                    addOrderKeys(*contract, b, i);
            }
            if (slow < end) {
                for (std::size_t i = slow; i < end; ++i)
                    b.input.docs.push_back(lineEvents[i - first].toJson());
                judge(*contract, junit, b, false, slow);
            }
        } else if (el::readOfflineLine(name, lineNo, line, receivedMs, b.input, b.error)) {
            judge(*contract, junit, b, false, first);
        } else {
            b.failed = true;
            break;
        }
        ++lineNo;
        pos = nl + 1;
    }
    b.block = std::move(block);
    return b;
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
            el::Coverage* coverage = m_coverage ? m_coverage->borrow() : nullptr;
            Batch b = readLines(contract, junit, coverage, keepJson, name, std::move(block), firstLine, receivedMs);
            b.coverage = nullptr;
            if (m_coverage)
                m_coverage->giveBack(coverage);
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
    std::string why;
    if (!el::SessionJournal::load(path, session, why)) {
        error = "cannot read session file " + name + ": " + why;
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

} // namespace check
