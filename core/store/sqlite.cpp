// SPDX-License-Identifier: MIT
#include "sqlite.h"

#include "model/event.h"

#include <sqlite3.h>

namespace el::sqlite {

bool Database::open(const std::string& file, int flags)
{
    close();
    if (sqlite3_open_v2(file.c_str(), &m_db, flags, nullptr) == SQLITE_OK)
        return true;
    return false; // m_db (if any) keeps the message until close()
}

void Database::close()
{
    if (m_db)
        sqlite3_close_v2(m_db);
    m_db = nullptr;
}

void Database::setBusyTimeout(int ms)
{
    sqlite3_busy_timeout(m_db, ms);
}

bool Database::exec(const char* sql)
{
    std::string ignored;
    return exec(sql, ignored);
}

bool Database::exec(const char* sql, std::string& error)
{
    char* message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) == SQLITE_OK)
        return true;
    error = std::string(message ? message : sqlite3_errmsg(m_db)) + " (" + sql + ')';
    sqlite3_free(message);
    return false;
}

std::string Database::errorText() const
{
    return m_db ? std::string(sqlite3_errmsg(m_db)) : std::string("out of memory");
}

bool Statement::prepare(sqlite3* db, const char* sql, bool persistent)
{
    finalize();
    m_db = db;
    const int rc = sqlite3_prepare_v3(db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &m_stmt, nullptr);
    if (rc != SQLITE_OK)
        m_error = rc; // errorText() says why; next() and run() fail
    return rc == SQLITE_OK;
}

void Statement::finalize()
{
    sqlite3_finalize(m_stmt);
    m_stmt = nullptr;
    m_error = SQLITE_OK;
    m_bindFailed = false;
}

void Statement::bind(int i, qint64 v)
{
    note(sqlite3_bind_int64(m_stmt, i, v));
}

void Statement::bindText(int i, std::string_view s)
{
    note(sqlite3_bind_text64(m_stmt, i, s.data() ? s.data() : "", s.size(), SQLITE_STATIC, SQLITE_UTF8));
}

void Statement::bindBlob(int i, std::string_view s)
{
    note(sqlite3_bind_blob64(m_stmt, i, s.data() ? s.data() : "", s.size(), SQLITE_STATIC));
}

void Statement::bindTextOrBlob(int i, std::string_view s)
{
    if (isValidUtf8(s))
        bindText(i, s);
    else
        bindBlob(i, s);
}

void Statement::note(int rc)
{
    if (rc != SQLITE_OK && m_error == SQLITE_OK) {
        m_error = rc;
        m_bindFailed = true;
    }
}

bool Statement::next()
{
    if (m_error != SQLITE_OK)
        return false;
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc != SQLITE_DONE)
        m_error = rc;
    return false;
}

std::string Statement::errorText() const
{
    if (m_error == SQLITE_OK)
        return {};
    return m_bindFailed ? std::string(sqlite3_errstr(m_error)) : std::string(sqlite3_errmsg(m_db));
}

bool Statement::run()
{
    std::string ignored;
    return run(ignored);
}

bool Statement::run(std::string& error)
{
    while (next()) { }
    const bool ok = m_error == SQLITE_OK;
    if (!ok)
        error = errorText();
    reset();
    return ok;
}

void Statement::reset()
{
    sqlite3_reset(m_stmt);
    m_error = SQLITE_OK;
    m_bindFailed = false;
}

bool Statement::isNull(int column) const
{
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

qint64 Statement::int64(int column) const
{
    return sqlite3_column_int64(m_stmt, column);
}

int Statement::int32(int column) const
{
    return sqlite3_column_int(m_stmt, column);
}

std::string Statement::bytes(int column) const
{
    return std::string(view(column));
}

std::string_view Statement::view(int column) const
{
    // sqlite3_column_blob() returns the stored bytes of a TEXT value too (no conversion).
    const void* data = sqlite3_column_blob(m_stmt, column);
    const int size = sqlite3_column_bytes(m_stmt, column);
    return data && size > 0 ? std::string_view(static_cast<const char*>(data), std::size_t(size)) : std::string_view();
}

} // namespace el::sqlite
