// SPDX-License-Identifier: MIT
#pragma once
// Small helpers the benchmark tools share (header only; bench/common has no target of its own).

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace elbench {

/** The median of \a v (the mean of the middle two for an even count); \a v must not be empty. */
inline double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The options every judging benchmark takes: which contract, which events, how many, how many rounds. */
struct JudgeOptions
{
    std::string contract = "builtin:open-design";
    std::string input; ///< NDJSON, one event per line
    std::size_t maxEvents = 0;
    int rounds = 1;

    /**
     * Takes argv[i] (and its value, advancing \a i) when it is --contract, --input, --max-events or --rounds with a
     * value after it; false for anything else, which the tool then reads or refuses.
     */
    bool take(int argc, char** argv, int& i)
    {
        if (i + 1 >= argc)
            return false;
        const char* flag = argv[i];
        if (std::strcmp(flag, "--contract") == 0)
            contract = argv[++i];
        else if (std::strcmp(flag, "--input") == 0)
            input = argv[++i];
        else if (std::strcmp(flag, "--max-events") == 0)
            maxEvents = std::size_t(std::atoll(argv[++i]));
        else if (std::strcmp(flag, "--rounds") == 0)
            rounds = std::max(1, std::atoi(argv[++i]));
        else
            return false;
        return true;
    }
    static constexpr const char* kUsage = "[--contract NAME|FILE] [--input FILE.ndjson] [--max-events N] [--rounds N]";
};

/** The non-empty lines of \a path, at most \a max of them, each handed to \a fn. */
template<typename Fn> void forEachLine(const std::string& path, std::size_t max, Fn&& fn)
{
    std::ifstream in(path);
    std::string line;
    for (std::size_t n = 0; n < max && std::getline(in, line);) {
        if (line.empty())
            continue;
        fn(line);
        ++n;
    }
}

} // namespace elbench
