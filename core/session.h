// SPDX-License-Identifier: MIT
#pragma once

#include "contract/contractengine.h"
#include "decode/decode.h"
#include "store/eventstore.h"
#include "store/journal.h"

#include <QObject>
#include <QTimer>

#include <memory>

namespace el {

/** \brief What became of one ingest request. */
struct IngestOutcome
{
    int status = 200;
    std::string error;
    qint64 requestId = 0;
    std::size_t events = 0;
    std::string encoding;
    std::string shape;
};

/**
 * \brief A capture session: decodes requests into events, keeps them in the store and judges
 * them against the current contract (per event, and sequences on a 1 s tick).
 */
class Session final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Session)
public:
    explicit Session(QObject* parent = nullptr);
    ~Session() override;

    EventStore* store() { return &m_store; }
    const EventStore* store() const { return &m_store; }

    /** Replaces the contract and re-validates every event already captured. */
    void setContract(std::shared_ptr<const Contract> contract, const std::string& origin);
    /** Loads "builtin:NAME" or a file and applies it; false with \a error on failure (nothing changes). */
    bool loadContract(const std::string& nameOrPath, std::string& error);
    const ContractEngine* engine() const { return m_engine.get(); }
    const std::string& contractOrigin() const { return m_contractOrigin; }

    void setDecodeLimits(const DecodeLimits& limits) { m_limits = limits; }
    const DecodeLimits& decodeLimits() const { return m_limits; }

    /**
     * Decodes and keeps the events of one request to an ingest endpoint (or rejects it). With a
     * session file open, \a onDurable runs once the request and its events are committed (ok=false
     * when writing failed); without one it runs at once with ok=true.
     */
    IngestOutcome ingest(const HttpRequest& request, Endpoint endpoint, std::function<void(bool ok)> onDurable = {});
    /** Keeps a request the sink refused, with its reason (journaled too). */
    void reject(const HttpRequest& request, int status, const std::string& reason, qint64 requestId = 0);

    /** Journals every request from now on into \a path (SQLite); existing content is loaded first. */
    bool openSessionFile(const QString& path, QString* error);
    SessionJournal* journal() { return m_journal.get(); }
    /** Stops journaling (flushes and marks the file cleanly closed). */
    void closeSessionFile();
    /** Shows a HAR or NDJSON file (or another session file) as a read-only session, validated. */
    bool importFile(const QString& path, QString* error);
    /** Everything journaled so far (requests, events), read back from the session file. */
    bool readSessionFile(SessionData& out, QString* error);
    /** Replaces the in-memory session with \a data (a session file or an import), re-validated. */
    void loadData(const SessionData& data);
    /** Read-only sessions (opened files, imports) refuse nothing but are not journaled. */
    bool isReadOnly() const { return m_readOnly; }
    void setReadOnly(bool readOnly) { m_readOnly = readOnly; }
    /** Empties events, rejected requests and violations; sequence state starts over. */
    void reset();
    /** Runs sequence timeouts now (also done every second). */
    void tick();

    std::vector<RunInfo> runs() const;
    std::shared_ptr<const Contract> contract() const { return m_contract; }

    /**
     * Judges the events with seq in (since, until] as one closed input with a fresh engine: sequence
     * rules are finished at the end, so an open pair is sequence.unfinished. This is the verdict of a
     * replayed scenario. Returns {"events":N,"violations":[...],"runs":[...]}.
     */
    Json checkRange(qint64 since, qint64 until) const;

Q_SIGNALS:
    void contractChanged();

private:
    EventStore m_store;
    std::shared_ptr<const Contract> m_contract;
    std::unique_ptr<ContractEngine> m_engine;
    std::string m_contractOrigin;
    std::unique_ptr<SessionJournal> m_journal;
    bool m_readOnly = false;
    DecodeLimits m_limits;
    QTimer m_tick;
};

} // namespace el
