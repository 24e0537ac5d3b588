// SPDX-License-Identifier: MIT
#pragma once
// Private to core/contract/jsonschema*: what validate() said of an instance, remembered by a key of what it looked at.

#include "contract/jsonschema.h"

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace el::schema_detail {

/**
 * \brief A bounded, thread-safe map from a key to validate()'s answer.
 *
 * Workers share one compiled schema, so find() and insert() lock. Only instances the fast evaluator could not pass
 * get here (a failing event is one in ten of an export at most), so the lock is not contended. Memory is bounded
 * whatever the input: when one cache's entries reach kMaxBytes it starts over (the mistakes an export repeats come
 * back within a few events), and all caches of the process together hold at most kMaxTotalBytes (past that, a
 * cache that would grow keeps what it has and inserts nothing).
 */
class ExplanationCache
{
public:
    struct Answer
    {
        bool valid = false;
        std::vector<SchemaError> errors;
    };

    /** Keys and messages of one schema's cache. */
    static constexpr std::size_t kMaxBytes = std::size_t(1) << 20;
    /** Keys and messages of all caches (a contract has one per schema: about a hundred for open-design). */
    static constexpr std::size_t kMaxTotalBytes = std::size_t(16) << 20;

    ExplanationCache() = default;
    ExplanationCache(const ExplanationCache&) = delete;
    ExplanationCache& operator=(const ExplanationCache&) = delete;
    ~ExplanationCache() { totalBytes() -= m_bytes; }

    std::shared_ptr<const Answer> find(const std::string& key) const
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        const auto it = m_answers.find(key);
        return it != m_answers.end() ? it->second : nullptr;
    }

    void insert(std::string key, std::shared_ptr<const Answer> answer)
    {
        std::size_t bytes = key.size() + sizeof(Answer) + 64;
        for (const SchemaError& e : answer->errors)
            bytes += sizeof(SchemaError) + e.path.size() + e.message.size();
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_bytes + bytes > kMaxBytes) {
            m_answers.clear();
            totalBytes() -= m_bytes;
            m_bytes = 0;
        }
        if (totalBytes().fetch_add(bytes) + bytes > kMaxTotalBytes) {
            totalBytes() -= bytes;
            return;
        }
        if (m_answers.emplace(std::move(key), std::move(answer)).second)
            m_bytes += bytes;
        else
            totalBytes() -= bytes;
    }

    /** The bytes all caches of the process hold (for tests). */
    static std::size_t allBytes() { return totalBytes().load(); }

private:
    static std::atomic<std::size_t>& totalBytes()
    {
        static std::atomic<std::size_t> total {0};
        return total;
    }

    mutable std::mutex m_mutex;
    std::unordered_map<std::string, std::shared_ptr<const Answer>> m_answers;
    std::size_t m_bytes = 0;
};

} // namespace el::schema_detail
