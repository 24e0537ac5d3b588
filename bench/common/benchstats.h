// SPDX-License-Identifier: MIT
#pragma once
// Small helpers the benchmark tools share (header only; bench/common has no target of its own).

#include <algorithm>
#include <vector>

namespace elbench {

/** The median of \a v (the mean of the middle two for an even count); \a v must not be empty. */
inline double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

} // namespace elbench
