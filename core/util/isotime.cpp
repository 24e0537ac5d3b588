// SPDX-License-Identifier: MIT
#include "isotime.h"

#include "text.h"

#include <QDateTime>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>

namespace el {

namespace {

constexpr qint64 kMsPerDay = 86400000;
// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the range a four-digit year can write.
constexpr qint64 kMinIsoMs = -62167219200000LL;
constexpr qint64 kMaxIsoMs = 253402300799999LL;

bool isLeapYear(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeapYear(y) ? 29 : days[m - 1];
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, year 0 exists): no time zone
// database and no QDate calendar, which has no year 0.
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civilFromDays(std::int64_t z, int& y, unsigned& m, unsigned& d)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

} // namespace

std::optional<qint64> parseIsoMs(std::string_view s, ZonelessAs zoneless)
{
    s = trim(s);
    std::size_t p = 0;
    const auto digits = [&](std::size_t n, int& v) {
        if (p + n > s.size())
            return false;
        v = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const char c = s[p + k];
            if (c < '0' || c > '9')
                return false;
            v = v * 10 + (c - '0');
        }
        p += n;
        return true;
    };
    const auto expect = [&](char c) {
        if (p < s.size() && s[p] == c) {
            ++p;
            return true;
        }
        return false;
    };
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
    bool fractionNonZero = false;
    if (!digits(4, year) || !expect('-') || !digits(2, month) || !expect('-') || !digits(2, day))
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
        return std::nullopt;
    bool hasZone = false;
    int offsetMinutes = 0;
    if (p < s.size()) {
        if (!(expect('T') || expect('t') || expect(' ')) || !digits(2, hour))
            return std::nullopt;
        if (expect(':')) {
            if (!digits(2, minute))
                return std::nullopt;
            if (expect(':')) {
                if (!digits(2, second))
                    return std::nullopt;
                if (expect('.') || expect(',')) {
                    int scale = 100;
                    const std::size_t start = p;
                    for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p) {
                        millis += (s[p] - '0') * scale;
                        scale /= 10;
                        fractionNonZero = fractionNonZero || s[p] != '0';
                    }
                    if (p == start)
                        return std::nullopt;
                }
            }
        }
        if (p < s.size()) {
            hasZone = true;
            if (s[p] == 'Z' || s[p] == 'z') {
                ++p;
            } else if (s[p] == '+' || s[p] == '-') {
                const int sign = s[p] == '-' ? -1 : 1;
                ++p;
                int oh = 0, om = 0;
                if (!digits(2, oh))
                    return std::nullopt;
                expect(':'); // "+05:" is read as "+05", as before the readers were merged
                if (p < s.size() && !digits(2, om))
                    return std::nullopt;
                if (oh > 23 || om > 59)
                    return std::nullopt;
                offsetMinutes = sign * (oh * 60 + om);
            }
        }
        // 24:00 is only the end of a day; second 60 is a leap second (RFC 3339), read as the next minute.
        const bool endOfDay = hour == 24 && minute == 0 && second == 0 && !fractionNonZero;
        if (p != s.size() || (hour > 23 && !endOfDay) || minute > 59 || second > 60)
            return std::nullopt;
    }
    const std::int64_t days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const qint64 wallMs = (days * 86400 + hour * 3600 + minute * 60 + second) * 1000 + millis;
    if (hasZone || zoneless == ZonelessAs::Utc)
        return wallMs - qint64(offsetMinutes) * 60000;
    // Local wall-clock time: Qt knows the zone rules (DST gaps and overlaps as QDateTime resolves them).
    const QDateTime wall = QDateTime::fromMSecsSinceEpoch(wallMs, Qt::UTC);
    const QDateTime local(wall.date(), wall.time(), Qt::LocalTime);
    if (!local.isValid())
        return std::nullopt;
    return local.toMSecsSinceEpoch();
}

std::optional<qint64> parseIsoValue(const nlohmann::json& value)
{
    if (!value.is_string())
        return std::nullopt;
    return parseIsoMs(value.get_ref<const std::string&>(), ZonelessAs::Utc);
}

std::string isoFromMs(qint64 ms)
{
    if (ms < kMinIsoMs || ms > kMaxIsoMs)
        return {};
    const qint64 dayMs = ((ms % kMsPerDay) + kMsPerDay) % kMsPerDay;
    int y = 0;
    unsigned m = 0, d = 0;
    civilFromDays((ms - dayMs) / kMsPerDay, y, m, d);
    const auto t = static_cast<unsigned>(dayMs);
    char buf[48]; // room for any int the format could print (GCC's -Wformat-truncation counts them)
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", y, m, d, t / 3600000, t / 60000 % 60,
        t / 1000 % 60, t % 1000);
    return buf;
}

} // namespace el
