// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace el::sqlite {

/** \brief An SQLite connection (RAII): closed with the object. Used by the journal's writer and reader alike. */
class Database
{
public:
    Database() = default;
    ~Database() { close(); }
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /** sqlite3_open_v2() with \a flags (SQLITE_OPEN_*); false with errorText() on failure (closed then). */
    bool open(const std::string& file, int flags);
    void close();
    bool isOpen() const { return m_db != nullptr; }
    sqlite3* get() const { return m_db; }

    void setBusyTimeout(int ms);
    /** Runs \a sql (one or more statements without results); \a error gets "message (sql)" on failure. */
    bool exec(const char* sql, std::string& error);
    /** exec() when the caller has nothing to say on failure (a ROLLBACK after an error). */
    bool exec(const char* sql);
    /** SQLite's message for the last failure on this connection. */
    std::string errorText() const;

private:
    sqlite3* m_db = nullptr;
};

/**
 * \brief A prepared statement that binds straight from std::string (no copies: the bytes must live until the
 * statement is stepped) and reads columns as std::string, qint64 or int.
 */
class Statement
{
public:
    Statement() = default;
    ~Statement() { finalize(); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    /** \a persistent: kept for many runs (SQLITE_PREPARE_PERSISTENT). On failure errorText() says why. */
    bool prepare(sqlite3* db, const char* sql, bool persistent = false);
    void finalize();
    sqlite3_stmt* get() const { return m_stmt; }

    void bind(int i, qint64 v);
    void bindText(int i, std::string_view s);
    /** A zero-length value is an empty BLOB, not NULL (the pointer is never null). */
    void bindBlob(int i, std::string_view s);
    /** Text columns: valid UTF-8 is stored as TEXT (readable with the sqlite3 shell), anything else as BLOB (exact). */
    void bindTextOrBlob(int i, std::string_view s);

    /** One step: true when it produced a row; false at the end or on an error (then ok() is false). */
    bool next();
    /** No error so far (preparing, binding or stepping); reset() clears a bind or step error. */
    bool ok() const { return m_error == 0; }
    /** Why the last bind or step failed. */
    std::string errorText() const;
    /** Steps to the end and resets; \a error gets SQLite's message on failure. */
    bool run(std::string& error);
    /** run() when the caller has nothing to say on failure (a ROLLBACK after an error). */
    bool run();
    void reset();

    bool isNull(int column) const;
    qint64 int64(int column) const;
    int int32(int column) const;
    /** The column's bytes as stored (TEXT or BLOB; empty for NULL). */
    std::string bytes(int column) const;
    /** bytes() without the copy: valid until the statement steps, resets or is finalised. */
    std::string_view view(int column) const;

private:
    void note(int rc);

    sqlite3* m_db = nullptr;
    sqlite3_stmt* m_stmt = nullptr;
    int m_error = 0; ///< SQLITE_OK
    bool m_bindFailed = false; ///< m_error came from a bind (no message on the connection)
};

} // namespace el::sqlite
