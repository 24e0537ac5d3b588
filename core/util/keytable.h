// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace el {

/** A 128-bit hash of a text (never all zero: that marks an empty slot in KeyTable). */
struct Hash128
{
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    bool operator==(const Hash128& o) const { return a == o.a && b == o.b; }
    bool empty() const { return a == 0 && b == 0; }
};

/** XXH3-128 of \a text: a false match of two keys needs a 128-bit collision (~1e-21 at 10^9 keys). */
Hash128 hash128(std::string_view text);

/**
 * A hash map from Hash128 to V (small, trivially copyable) that never rehashes more than a sliver at once: 256
 * shards, each an open-addressing table with linear probing that doubles on its own. Growing a whole table of a
 * million keys stalled the GUI thread for 0.2-0.4 s (bench/ui); a std::map avoided that at 64 bytes and a chain
 * of cache misses per key. Erase shifts the following entries back (no tombstones). Pointers returned are valid
 * until the next insertion or erase.
 */
template<typename V> class KeyTable
{
public:
    V* find(const Hash128& key)
    {
        Shard& s = shard(key);
        if (s.slots.empty())
            return nullptr;
        const std::size_t mask = s.slots.size() - 1;
        for (std::size_t i = key.b & mask;; i = (i + 1) & mask) {
            Slot& slot = s.slots[i];
            if (slot.key == key)
                return &slot.value;
            if (slot.key.empty())
                return nullptr;
        }
    }
    const V* find(const Hash128& key) const { return const_cast<KeyTable*>(this)->find(key); }

    /** The value of \a key, inserted as \a value if absent; second: whether it was inserted. */
    std::pair<V*, bool> tryEmplace(const Hash128& key, const V& value)
    {
        Shard& s = shard(key);
        if ((s.used + 1) * 4 > s.slots.size() * 3)
            grow(s);
        const std::size_t mask = s.slots.size() - 1;
        for (std::size_t i = key.b & mask;; i = (i + 1) & mask) {
            Slot& slot = s.slots[i];
            if (slot.key == key)
                return {&slot.value, false};
            if (slot.key.empty()) {
                slot.key = key;
                slot.value = value;
                ++s.used;
                ++m_size;
                return {&slot.value, true};
            }
        }
    }

    V& operator[](const Hash128& key) { return *tryEmplace(key, V()).first; }

    bool erase(const Hash128& key)
    {
        Shard& s = shard(key);
        if (s.slots.empty())
            return false;
        const std::size_t mask = s.slots.size() - 1;
        std::size_t i = key.b & mask;
        while (!(s.slots[i].key == key)) {
            if (s.slots[i].key.empty())
                return false;
            i = (i + 1) & mask;
        }
        // Backward shift: move up each following entry that may live at i, until an empty slot.
        for (std::size_t j = (i + 1) & mask; !s.slots[j].key.empty(); j = (j + 1) & mask) {
            const std::size_t home = s.slots[j].key.b & mask;
            const bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
            if (!between) {
                s.slots[i] = s.slots[j];
                i = j;
            }
        }
        s.slots[i] = Slot();
        --s.used;
        --m_size;
        return true;
    }

    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }

    static constexpr std::size_t kShards = 256;
    /**
     * Keeps in shard \a index (modulo kShards) only the values \a keep accepts, in a table sized for what stays: a
     * sliver of the whole, so a caller can drop old entries a shard at a time, never stalling on all of them.
     */
    template<typename Keep> void sweepShard(std::size_t index, Keep&& keep)
    {
        Shard& s = m_shards[index % kShards];
        std::vector<Slot> kept;
        kept.reserve(s.used);
        for (const Slot& slot : s.slots) {
            if (!slot.key.empty() && keep(static_cast<const V&>(slot.value)))
                kept.push_back(slot);
        }
        if (kept.size() == s.used)
            return; // nothing leaves: the table stays as it is
        std::vector<Slot> slots;
        if (!kept.empty()) {
            std::size_t size = 8;
            while ((kept.size() + 1) * 4 > size * 3)
                size *= 2;
            slots.resize(size);
            const std::size_t mask = size - 1;
            for (const Slot& slot : kept) {
                std::size_t i = slot.key.b & mask;
                while (!slots[i].key.empty())
                    i = (i + 1) & mask;
                slots[i] = slot;
            }
        }
        m_size -= s.used - kept.size();
        s.used = kept.size();
        s.slots.swap(slots);
    }

private:
    struct Slot
    {
        Hash128 key;
        V value {};
    };
    struct Shard
    {
        std::vector<Slot> slots; ///< a power of two long, or empty
        std::size_t used = 0;
    };

    Shard& shard(const Hash128& key) { return m_shards[key.a >> 56]; } // the top 8 bits: kShards

    static void grow(Shard& s)
    {
        std::vector<Slot> old(s.slots.empty() ? 8 : s.slots.size() * 2);
        old.swap(s.slots);
        const std::size_t mask = s.slots.size() - 1;
        for (const Slot& slot : old) {
            if (slot.key.empty())
                continue;
            std::size_t i = slot.key.b & mask;
            while (!s.slots[i].key.empty())
                i = (i + 1) & mask;
            s.slots[i] = slot;
        }
    }

    std::array<Shard, kShards> m_shards;
    std::size_t m_size = 0;
};

} // namespace el
