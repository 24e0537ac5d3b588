// SPDX-License-Identifier: MIT
#include "store/journal.h"

#include "decode/decode.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTimer>
#include <QVariant>

#include <algorithm>
#include <atomic>

namespace el {

namespace {

constexpr int kSchemaVersion = 1;
constexpr qint64 kApplicationId = 0x454C534E; // "ELSN": marks the file as an EventLens session
constexpr auto kDriver = "QSQLITE";

QString uniqueConnectionName(const char* kind)
{
    static std::atomic<quint64> counter {0};
    return QStringLiteral("eventlens-%1-%2").arg(QLatin1String(kind)).arg(++counter);
}

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

bool isValidUtf8(const std::string& s)
{
    const QByteArray bytes = QByteArray::fromStdString(s);
    return QString::fromUtf8(bytes).toUtf8() == bytes;
}

/** Text columns: valid UTF-8 is stored as TEXT (readable with the sqlite3 shell), anything else as BLOB (exact). */
QVariant textOrBlob(const std::string& s)
{
    if (s.empty())
        return QVariant(QString(QLatin1String("")));
    if (isValidUtf8(s))
        return QVariant(qs(s));
    return QVariant(QByteArray::fromStdString(s));
}

QVariant blob(const std::string& s)
{
    return QVariant(QByteArray::fromStdString(s));
}

std::string bytesOf(const QVariant& v)
{
    if (v.isNull())
        return {};
    if (v.typeId() == QMetaType::QByteArray)
        return v.toByteArray().toStdString();
    return v.toString().toStdString();
}

/** One header name or value in the headers JSON: a string, or {"base64": ...} when it is not UTF-8. */
Json headerString(const std::string& s)
{
    if (isValidUtf8(s))
        return Json(s);
    return Json {{"base64", QByteArray::fromStdString(s).toBase64().toStdString()}};
}

std::string headerStringFrom(const Json& j)
{
    if (j.is_string())
        return j.get<std::string>();
    if (j.is_object() && j.contains("base64") && j["base64"].is_string())
        return QByteArray::fromBase64(QByteArray::fromStdString(j["base64"].get<std::string>())).toStdString();
    return {};
}

/** Headers as a JSON array of [name, value] pairs (order and repeats kept). */
std::string headersToText(const Headers& headers)
{
    Json list = Json::array();
    for (const auto& [name, value] : headers)
        list.push_back(Json::array({headerString(name), headerString(value)}));
    return list.dump();
}

Headers headersFromText(const std::string& text)
{
    Headers out;
    const Json list = Json::parse(text, nullptr, false);
    if (!list.is_array())
        return out;
    for (const Json& pair : list) {
        if (pair.is_array() && pair.size() == 2)
            out.emplace_back(headerStringFrom(pair[0]), headerStringFrom(pair[1]));
    }
    return out;
}

QString sqlError(const QSqlError& e)
{
    QString text = e.text().trimmed();
    return text.isEmpty() ? QStringLiteral("unknown SQLite error") : text;
}

bool exec(QSqlQuery& q, const QString& sql, QString* error)
{
    if (q.exec(sql))
        return true;
    if (error)
        *error = sqlError(q.lastError()) + QStringLiteral(" (") + sql + u')';
    return false;
}

const char* const kSchema[] = {
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS requests(id INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL, method TEXT, path TEXT,"
    " query TEXT, headers TEXT, body BLOB, peer TEXT, status INTEGER, reason TEXT, response_headers TEXT,"
    " response_body BLOB, upstream_status INTEGER, upstream_ms INTEGER, upstream_error TEXT)",
    "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, request_id INTEGER NOT NULL,"
    " received_ms INTEGER NOT NULL, doc TEXT NOT NULL, endpoint TEXT, user_agent TEXT)",
    "CREATE INDEX IF NOT EXISTS events_request ON events(request_id)",
};

/** Reads meta into \a meta; false with \a error when the file is not an EventLens session. */
bool readMeta(QSqlDatabase& db, const QString& path, std::vector<std::pair<QString, QString>>& meta, QString* error)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"))) {
        if (error)
            *error = path + QStringLiteral(": not an EventLens session (") + sqlError(q.lastError()) + u')';
        return false;
    }
    if (!q.next()) {
        if (error)
            *error = path + QStringLiteral(": not an EventLens session (no meta table)");
        return false;
    }
    if (!q.exec(QStringLiteral("SELECT key, value FROM meta"))) {
        if (error)
            *error = path + QStringLiteral(": ") + sqlError(q.lastError());
        return false;
    }
    while (q.next())
        meta.emplace_back(q.value(0).toString(), q.value(1).toString());
    return true;
}

QString metaValue(const std::vector<std::pair<QString, QString>>& meta, const char* key)
{
    for (const auto& [k, v] : meta) {
        if (k == QLatin1String(key))
            return v;
    }
    return {};
}

bool checkSchema(const std::vector<std::pair<QString, QString>>& meta, const QString& path, QString* error)
{
    bool ok = false;
    const int version = metaValue(meta, "schema").toInt(&ok);
    if (!ok) {
        if (error)
            *error = path + QStringLiteral(": not an EventLens session (no schema version)");
        return false;
    }
    if (version > kSchemaVersion) {
        if (error)
            *error = path
                + QStringLiteral(": written by a newer EventLens (session schema %1, this version reads %2)")
                      .arg(version)
                      .arg(kSchemaVersion);
        return false;
    }
    return true;
}

/** Opens \a path read-only under a unique connection name, runs \a fn, closes and removes the connection. */
template<typename Fn> bool withReadOnly(const QString& path, QString* error, Fn fn)
{
    if (!QFileInfo(path).isFile()) {
        if (error)
            *error = path + QStringLiteral(": no such file");
        return false;
    }
    const QString name = uniqueConnectionName("read");
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QLatin1String(kDriver), name);
        if (!db.isValid()) {
            if (error)
                *error = QStringLiteral("the Qt SQLite driver (QSQLITE) is not available");
        } else {
            db.setDatabaseName(path);
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
            if (!db.open()) {
                if (error)
                    *error = path + QStringLiteral(": ") + sqlError(db.lastError());
            } else {
                ok = fn(db);
            }
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

} // namespace

// ---------------------------------------------------------------------------------------------------------------------
// helpers on JournalRequest

HttpRequest toHttpRequest(const JournalRequest& request)
{
    HttpRequest r;
    r.method = request.method;
    r.path = request.path;
    r.query = request.query;
    r.headers = request.headers;
    r.body = request.body;
    r.peer = request.peer;
    return r;
}

JournalRequest journalRequest(const HttpRequest& request, qint64 id, qint64 receivedMs)
{
    JournalRequest r;
    r.id = id;
    r.receivedMs = receivedMs;
    r.method = request.method;
    r.path = request.path;
    r.query = request.query;
    r.headers = request.headers;
    r.body = request.body;
    r.peer = request.peer;
    return r;
}

bool isRejected(const JournalRequest& request)
{
    return request.status >= 400 || !request.reason.empty();
}

RejectedRequest toRejected(const JournalRequest& request)
{
    RejectedRequest r;
    r.id = request.id;
    r.receivedMs = request.receivedMs;
    r.method = request.method;
    r.path = request.path;
    r.query = request.query;
    r.headers = request.headers;
    r.size = static_cast<qint64>(request.body.size());
    r.firstBytes = request.body.substr(0, std::min<std::size_t>(request.body.size(), 256));
    r.status = request.status;
    r.reason = request.reason;
    r.peer = request.peer;
    return r;
}

// ---------------------------------------------------------------------------------------------------------------------
// SessionJournal

struct SessionJournal::Private
{
    struct Pending
    {
        JournalRequest request;
        std::vector<EventPtr> events;
        std::function<void(bool)> onDurable;
        QString refused; ///< set when append() refused it (ids out of order): answered false, never written
    };
    /** What the upstream answered for a request already committed (updateUpstream()). */
    struct Upstream
    {
        qint64 id = 0;
        int status = 0;
        qint64 ms = -1;
        std::string error;
        Headers headers;
        std::string body;
    };

    QString path;
    QString connectionName;
    QSqlDatabase db;
    std::unique_ptr<QSqlQuery> insertRequest;
    std::unique_ptr<QSqlQuery> insertEvent;
    std::unique_ptr<QSqlQuery> setMeta;
    std::unique_ptr<QSqlQuery> setUpstream;
    std::unique_ptr<QSqlQuery> setUpstreamAndResponse;
    bool open = false;

    std::vector<Pending> queue;
    std::vector<Upstream> upstreams;
    QTimer timer;
    int delayMs = 1;
    int threshold = 256;
    bool synchronousFull = false;
    bool inCallbacks = false;

    qint64 lastSeq = 0; ///< committed
    qint64 lastId = 0;
    qint64 queuedSeq = 0; ///< committed or queued
    qint64 queuedId = 0;
    bool cleanOnDisk = false; ///< the file says clean=1: the next commit sets it back to 0
    std::string contractOrigin;
    QString lastError;

    bool writeMeta(const char* key, const QString& value, QString* error)
    {
        setMeta->bindValue(0, QLatin1String(key));
        setMeta->bindValue(1, value);
        if (setMeta->exec())
            return true;
        if (error)
            *error = sqlError(setMeta->lastError());
        return false;
    }

    bool applySynchronous(QString* error)
    {
        QSqlQuery query(db);
        return exec(query,
            synchronousFull ? QStringLiteral("PRAGMA synchronous=FULL") : QStringLiteral("PRAGMA synchronous=NORMAL"),
            error);
    }

    bool insert(const Pending& p, QString* error)
    {
        const JournalRequest& r = p.request;
        QSqlQuery& ir = *insertRequest;
        ir.bindValue(0, qlonglong(r.id));
        ir.bindValue(1, qlonglong(r.receivedMs));
        ir.bindValue(2, textOrBlob(r.method));
        ir.bindValue(3, textOrBlob(r.path));
        ir.bindValue(4, textOrBlob(r.query));
        ir.bindValue(5, qs(headersToText(r.headers)));
        ir.bindValue(6, blob(r.body));
        ir.bindValue(7, textOrBlob(r.peer));
        ir.bindValue(8, r.status);
        ir.bindValue(9, textOrBlob(r.reason));
        ir.bindValue(10, qs(headersToText(r.responseHeaders)));
        ir.bindValue(11, blob(r.responseBody));
        ir.bindValue(12, r.upstreamStatus);
        ir.bindValue(13, qlonglong(r.upstreamMs));
        ir.bindValue(14, textOrBlob(r.upstreamError));
        if (!ir.exec()) {
            *error = QStringLiteral("request %1: ").arg(r.id) + sqlError(ir.lastError());
            return false;
        }
        QSqlQuery& ie = *insertEvent;
        for (const EventPtr& e : p.events) {
            ie.bindValue(0, qlonglong(e->seq));
            ie.bindValue(1, qlonglong(r.id));
            ie.bindValue(2, qlonglong(e->receivedMs));
            ie.bindValue(3, qs(e->json));
            ie.bindValue(4, textOrBlob(e->endpoint()));
            ie.bindValue(5, textOrBlob(e->userAgent()));
            if (!ie.exec()) {
                *error = QStringLiteral("event %1: ").arg(e->seq) + sqlError(ie.lastError());
                return false;
            }
        }
        return true;
    }

    /** Drops the prepared statements and the connection. */
    void release()
    {
        insertRequest.reset();
        insertEvent.reset();
        setMeta.reset();
        setUpstream.reset();
        setUpstreamAndResponse.reset();
        if (db.isValid())
            db.close();
        db = QSqlDatabase();
        if (!connectionName.isEmpty())
            QSqlDatabase::removeDatabase(connectionName);
        connectionName.clear();
    }

    /** Opens or creates the file; returns why it failed (empty on success). */
    QString openFile(const QString& file)
    {
        const QFileInfo info(file);
        if (!QDir().mkpath(info.absolutePath()))
            return QStringLiteral("cannot create the directory %1").arg(info.absolutePath());
        connectionName = uniqueConnectionName("journal");
        db = QSqlDatabase::addDatabase(QLatin1String(kDriver), connectionName);
        if (!db.isValid())
            return QStringLiteral("the Qt SQLite driver (QSQLITE, package libqt6sql6-sqlite) is not available");
        db.setDatabaseName(file);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=2000"));
        if (!db.open())
            return file + QStringLiteral(": ") + sqlError(db.lastError());

        const QString prefix = file + QStringLiteral(": ");
        QString why;
        QSqlQuery q(db);
        // Empty (new), ours, or something else?
        if (!q.exec(QStringLiteral("SELECT count(*) FROM sqlite_master")) || !q.next())
            return prefix + QStringLiteral("not an EventLens session (") + sqlError(q.lastError()) + u')';
        const bool fresh = q.value(0).toLongLong() == 0;
        if (!fresh) {
            std::vector<std::pair<QString, QString>> meta;
            if (!readMeta(db, file, meta, &why) || !checkSchema(meta, file, &why))
                return why;
        }
        if (!exec(q, QStringLiteral("PRAGMA journal_mode=WAL"), &why))
            return prefix + why;
        if (!q.next() || q.value(0).toString().compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
            return prefix + QStringLiteral("cannot switch to WAL mode (") + q.value(0).toString() + u')';
        if (!applySynchronous(&why))
            return prefix + why;

        if (fresh) {
            if (!db.transaction())
                return prefix + sqlError(db.lastError());
            const auto abort = [&](const QString& what) {
                db.rollback();
                return prefix + what;
            };
            for (const char* sql : kSchema) {
                if (!exec(q, QLatin1String(sql), &why))
                    return abort(why);
            }
            if (!exec(q, QStringLiteral("PRAGMA application_id=%1").arg(kApplicationId), &why))
                return abort(why);
            q.prepare(QStringLiteral("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"));
            const std::pair<const char*, QString> initial[] = {
                {"schema", QString::number(kSchemaVersion)},
                {"created_ms", QString::number(nowMs())},
                {"created_by", QStringLiteral("EventLens " EVENTLENS_VERSION)},
                {"contract_origin", qs(contractOrigin)},
                {"clean", QStringLiteral("0")},
            };
            for (const auto& [key, value] : initial) {
                q.bindValue(0, QLatin1String(key));
                q.bindValue(1, value);
                if (!q.exec())
                    return abort(sqlError(q.lastError()));
            }
            if (!db.commit())
                return abort(sqlError(db.lastError()));
        }

        if (!exec(q, QStringLiteral("SELECT COALESCE(MAX(seq), 0) FROM events"), &why) || !q.next())
            return prefix + why;
        lastSeq = q.value(0).toLongLong();
        if (!exec(q, QStringLiteral("SELECT COALESCE(MAX(id), 0) FROM requests"), &why) || !q.next())
            return prefix + why;
        lastId = q.value(0).toLongLong();
        queuedSeq = lastSeq;
        queuedId = lastId;

        insertRequest = std::make_unique<QSqlQuery>(db);
        insertEvent = std::make_unique<QSqlQuery>(db);
        setMeta = std::make_unique<QSqlQuery>(db);
        if (!insertRequest->prepare(QStringLiteral(
                "INSERT INTO requests(id, received_ms, method, path, query, headers, body, peer, status, reason,"
                " response_headers, response_body, upstream_status, upstream_ms, upstream_error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")))
            return prefix + sqlError(insertRequest->lastError());
        if (!insertEvent->prepare(QStringLiteral("INSERT INTO events(seq, request_id, received_ms, doc, endpoint,"
                                                 " user_agent) VALUES (?, ?, ?, ?, ?, ?)")))
            return prefix + sqlError(insertEvent->lastError());
        if (!setMeta->prepare(QStringLiteral("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)")))
            return prefix + sqlError(setMeta->lastError());
        setUpstream = std::make_unique<QSqlQuery>(db);
        setUpstreamAndResponse = std::make_unique<QSqlQuery>(db);
        if (!setUpstream->prepare(QStringLiteral(
                "UPDATE requests SET upstream_status = ?, upstream_ms = ?, upstream_error = ? WHERE id = ?")))
            return prefix + sqlError(setUpstream->lastError());
        if (!setUpstreamAndResponse->prepare(
                QStringLiteral("UPDATE requests SET upstream_status = ?, upstream_ms = ?, upstream_error = ?,"
                               " response_headers = ?, response_body = ? WHERE id = ?")))
            return prefix + sqlError(setUpstreamAndResponse->lastError());

        // From now on the file is "in use": only markClean() says it was closed on purpose.
        if (!writeMeta("clean", QStringLiteral("0"), &why))
            return prefix + why;
        if (!fresh && !contractOrigin.empty() && !writeMeta("contract_origin", qs(contractOrigin), &why))
            return prefix + why;
        cleanOnDisk = false;
        return {};
    }

    bool writeUpstream(const Upstream& u, QString* error)
    {
        const bool answered = u.status > 0;
        QSqlQuery& query = answered ? *setUpstreamAndResponse : *setUpstream;
        int i = 0;
        query.bindValue(i++, u.status);
        query.bindValue(i++, qlonglong(u.ms));
        query.bindValue(i++, textOrBlob(u.error));
        if (answered) {
            query.bindValue(i++, qs(headersToText(u.headers)));
            query.bindValue(i++, blob(u.body));
        }
        query.bindValue(i++, qlonglong(u.id));
        if (query.exec())
            return true;
        *error = QStringLiteral("upstream of request %1: ").arg(u.id) + sqlError(query.lastError());
        return false;
    }

    /** One group commit: a transaction with everything queued, then every callback in order. */
    bool commit()
    {
        timer.stop();
        if (queue.empty() && upstreams.empty())
            return open;
        std::vector<Pending> batch;
        batch.swap(queue);
        std::vector<Upstream> updates;
        updates.swap(upstreams);

        bool ok = open;
        QString error = open ? QString() : QStringLiteral("the session file is not open");
        qint64 maxSeq = lastSeq;
        qint64 maxId = lastId;
        bool anything = !updates.empty();
        for (const Pending& p : batch)
            anything = anything || p.refused.isEmpty();
        if (ok && anything) {
            ok = db.transaction();
            if (!ok)
                error = sqlError(db.lastError());
            for (std::size_t i = 0; ok && i < batch.size(); ++i) {
                const Pending& p = batch[i];
                if (!p.refused.isEmpty())
                    continue;
                ok = insert(p, &error);
                maxId = std::max(maxId, p.request.id);
                if (!p.events.empty())
                    maxSeq = std::max(maxSeq, p.events.back()->seq);
            }
            for (std::size_t i = 0; ok && i < updates.size(); ++i)
                ok = writeUpstream(updates[i], &error);
            if (ok && cleanOnDisk)
                ok = writeMeta("clean", QStringLiteral("0"), &error);
            if (ok) {
                ok = db.commit();
                if (!ok)
                    error = sqlError(db.lastError());
            }
            if (!ok)
                db.rollback();
        }
        if (ok && anything) {
            lastSeq = maxSeq;
            lastId = maxId;
            cleanOnDisk = false;
        } else if (!ok) {
            lastError = QStringLiteral("cannot write %1: %2").arg(path, error);
            // Nothing of this batch is on disk: later appends may reuse its ids.
            queuedSeq = lastSeq;
            queuedId = lastId;
        }

        // A callback may append (queued, committed later) or flush (committed now, nested).
        const bool outermost = !inCallbacks;
        inCallbacks = true;
        for (Pending& p : batch) {
            if (p.onDurable)
                p.onDurable(ok && p.refused.isEmpty());
        }
        inCallbacks = !outermost;
        if (outermost && int(queue.size()) >= threshold)
            return commit() && ok;
        return ok;
    }
};

SessionJournal::SessionJournal(QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->timer.setSingleShot(true);
    d->timer.setTimerType(Qt::PreciseTimer);
    connect(&d->timer, &QTimer::timeout, this, [this] { d->commit(); });
}

SessionJournal::~SessionJournal()
{
    close();
}

bool SessionJournal::open(const QString& path, QString* error)
{
    close();
    d->lastError.clear();
    const QString why = d->openFile(path);
    if (!why.isEmpty()) {
        d->lastError = why;
        if (error)
            *error = why;
        d->release();
        return false;
    }
    d->path = path;
    d->open = true;
    return true;
}

bool SessionJournal::isOpen() const
{
    return d->open;
}

QString SessionJournal::path() const
{
    return d->path;
}

void SessionJournal::close()
{
    if (d->open)
        flush();
    else if (!d->queue.empty())
        d->commit(); // answers false: nothing can be written
    d->upstreams.clear();
    d->timer.stop();
    d->release();
    d->open = false;
    d->lastSeq = d->lastId = d->queuedSeq = d->queuedId = 0;
    d->cleanOnDisk = false;
}

void SessionJournal::setContractOrigin(const std::string& origin)
{
    d->contractOrigin = origin;
    if (!d->open)
        return;
    QString why;
    if (!d->writeMeta("contract_origin", qs(origin), &why))
        d->lastError = QStringLiteral("cannot write %1: %2").arg(d->path, why);
}

qint64 SessionJournal::lastSeq() const
{
    return d->lastSeq;
}

qint64 SessionJournal::lastRequestId() const
{
    return d->lastId;
}

void SessionJournal::append(
    JournalRequest request, std::vector<EventPtr> events, std::function<void(bool ok)> onDurable)
{
    if (!d->open) {
        d->lastError = QStringLiteral("the session file is not open");
        if (onDurable)
            onDurable(false);
        return;
    }
    Private::Pending p;
    if (request.id == 0)
        request.id = d->queuedId + 1;
    if (request.id <= d->queuedId) {
        p.refused
            = QStringLiteral("request id %1 is not after the last one journaled (%2)").arg(request.id).arg(d->queuedId);
    } else {
        qint64 seq = d->queuedSeq;
        for (const EventPtr& e : events) {
            if (!e || e->seq <= seq) {
                p.refused = QStringLiteral("event seq %1 is not after the last one journaled (%2)")
                                .arg(e ? e->seq : 0)
                                .arg(seq);
                break;
            }
            seq = e->seq;
        }
        if (p.refused.isEmpty()) {
            d->queuedId = request.id;
            d->queuedSeq = seq;
        }
    }
    if (!p.refused.isEmpty()) {
        p.refused = QStringLiteral("cannot journal request %1: ").arg(request.id) + p.refused;
        d->lastError = p.refused;
    }
    p.request = std::move(request);
    p.events = std::move(events);
    p.onDurable = std::move(onDurable);
    d->queue.push_back(std::move(p));

    if (int(d->queue.size()) >= d->threshold && !d->inCallbacks)
        d->commit();
    else if (!d->timer.isActive())
        d->timer.start(d->delayMs);
}

void SessionJournal::updateUpstream(qint64 id, int status, qint64 latencyMs, const std::string& error,
    const Headers& responseHeaders, const std::string& responseBody)
{
    if (!d->open)
        return;
    // Still queued: the request is written with it.
    for (auto it = d->queue.rbegin(); it != d->queue.rend(); ++it) {
        JournalRequest& r = it->request;
        if (r.id != id)
            continue;
        r.upstreamStatus = status;
        r.upstreamMs = latencyMs;
        r.upstreamError = error;
        if (status > 0) {
            r.responseHeaders = responseHeaders;
            r.responseBody = responseBody;
        }
        return;
    }
    d->upstreams.push_back({id, status, latencyMs, error, responseHeaders, responseBody});
    if (!d->timer.isActive())
        d->timer.start(d->delayMs);
}

bool SessionJournal::flush()
{
    if (d->queue.empty() && d->upstreams.empty())
        return d->open;
    return d->commit();
}

void SessionJournal::markClean()
{
    if (!d->open || !flush())
        return;
    QString why;
    if (!d->writeMeta("clean", QStringLiteral("1"), &why)) {
        d->lastError = QStringLiteral("cannot write %1: %2").arg(d->path, why);
        return;
    }
    d->cleanOnDisk = true;
    // Fold the WAL into the main file so the .elsession file alone is the whole session.
    QSqlQuery q(d->db);
    q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
}

QString SessionJournal::lastError() const
{
    return d->lastError;
}

int SessionJournal::pendingCount() const
{
    return int(d->queue.size());
}

void SessionJournal::setCommitDelay(int ms)
{
    d->delayMs = std::max(0, ms);
}

void SessionJournal::setCommitThreshold(int requests)
{
    d->threshold = std::max(1, requests);
}

void SessionJournal::setSynchronousFull(bool full)
{
    d->synchronousFull = full;
    if (d->open) {
        QString why;
        if (!d->applySynchronous(&why))
            d->lastError = why;
    }
}

bool SessionJournal::load(const QString& path, SessionData& out, QString* error)
{
    out = SessionData {};
    out.format = "elsession";
    return withReadOnly(path, error, [&](QSqlDatabase& db) {
        std::vector<std::pair<QString, QString>> meta;
        if (!readMeta(db, path, meta, error) || !checkSchema(meta, path, error))
            return false;
        out.createdMs = metaValue(meta, "created_ms").toLongLong();
        out.contractOrigin = metaValue(meta, "contract_origin").toStdString();
        out.clean = metaValue(meta, "clean") == QLatin1String("1");

        QSqlQuery q(db);
        q.setForwardOnly(true);
        QString why;
        if (!exec(q,
                QStringLiteral("SELECT id, received_ms, method, path, query, headers, body, peer, status, reason,"
                               " response_headers, response_body, upstream_status, upstream_ms, upstream_error"
                               " FROM requests ORDER BY id"),
                &why)) {
            if (error)
                *error = path + QStringLiteral(": ") + why;
            return false;
        }
        while (q.next()) {
            JournalRequest r;
            r.id = q.value(0).toLongLong();
            r.receivedMs = q.value(1).toLongLong();
            r.method = bytesOf(q.value(2));
            r.path = bytesOf(q.value(3));
            r.query = bytesOf(q.value(4));
            r.headers = headersFromText(bytesOf(q.value(5)));
            r.body = q.value(6).toByteArray().toStdString();
            r.peer = bytesOf(q.value(7));
            r.status = q.value(8).toInt();
            r.reason = bytesOf(q.value(9));
            r.responseHeaders = headersFromText(bytesOf(q.value(10)));
            r.responseBody = q.value(11).toByteArray().toStdString();
            r.upstreamStatus = q.value(12).toInt();
            r.upstreamMs = q.value(13).isNull() ? -1 : q.value(13).toLongLong();
            r.upstreamError = bytesOf(q.value(14));
            out.requests.push_back(std::move(r));
        }
        if (!exec(q,
                QStringLiteral(
                    "SELECT seq, request_id, received_ms, doc, endpoint, user_agent FROM events ORDER BY seq"),
                &why)) {
            if (error)
                *error = path + QStringLiteral(": ") + why;
            return false;
        }
        std::shared_ptr<const EventSource> source; // shared by consecutive events from the same source
        while (q.next()) {
            const qint64 seq = q.value(0).toLongLong();
            Json doc = Json::parse(bytesOf(q.value(3)), nullptr, false);
            if (doc.is_discarded()) {
                if (error)
                    *error = path + QStringLiteral(": event seq %1: the stored event is not valid JSON").arg(seq);
                return false;
            }
            // makeEvent() takes the endpoint and the user agent from the request: give it those two.
            HttpRequest request;
            request.path = bytesOf(q.value(4));
            const std::string userAgent = bytesOf(q.value(5));
            if (!userAgent.empty())
                request.headers.emplace_back("User-Agent", userAgent);
            out.events.push_back(
                makeEvent(doc, request, seq, q.value(1).toLongLong(), q.value(2).toLongLong(), &source));
        }
        // Recordings are counted, not stored as events (like the live session): count them again.
        for (const JournalRequest& r : out.requests) {
            if (isRejected(r) || classifyPath(r.path) != Endpoint::Recording)
                continue;
            const DecodeResult decoded = decodeIngest(toHttpRequest(r), Endpoint::Recording);
            if (decoded.ok())
                out.recordings += qint64(decoded.events.size());
        }
        return true;
    });
}

bool SessionJournal::wasClean(const QString& path)
{
    bool clean = false;
    withReadOnly(path, nullptr, [&](QSqlDatabase& db) {
        std::vector<std::pair<QString, QString>> meta;
        if (!readMeta(db, path, meta, nullptr))
            return false;
        clean = metaValue(meta, "clean") == QLatin1String("1");
        return true;
    });
    return clean;
}

QString SessionJournal::defaultDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/sessions");
}

QString SessionJournal::newDefaultPath()
{
    const QString dir = defaultDirectory();
    const QString stem
        = QStringLiteral("eventlens-") + QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd_HH-mm-ss"));
    QString candidate = dir + u'/' + stem + QStringLiteral(".elsession");
    for (int n = 2; QFileInfo::exists(candidate); ++n)
        candidate = dir + u'/' + stem + u'-' + QString::number(n) + QStringLiteral(".elsession");
    return candidate;
}

QStringList SessionJournal::recentSessions(int max)
{
    const QDir dir(defaultDirectory());
    const QFileInfoList files = dir.entryInfoList({QStringLiteral("*.elsession")}, QDir::Files);
    // A WAL-mode file's own mtime changes only at checkpoints: the -wal file is written on every commit.
    const auto lastWrite = [](const QFileInfo& f) {
        const QFileInfo wal(f.absoluteFilePath() + QStringLiteral("-wal"));
        const QDateTime t = f.lastModified();
        return wal.exists() && wal.lastModified() > t ? wal.lastModified() : t;
    };
    std::vector<std::pair<QDateTime, QString>> sorted;
    sorted.reserve(std::size_t(files.size()));
    for (const QFileInfo& f : files)
        sorted.emplace_back(lastWrite(f), f.absoluteFilePath());
    std::sort(sorted.begin(), sorted.end(),
        [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second > b.second; });
    QStringList out;
    for (const auto& [time, file] : sorted) {
        if (max >= 0 && out.size() >= max)
            break;
        out << file;
    }
    return out;
}

} // namespace el
