// SPDX-License-Identifier: MIT
#include "verdict.h"

namespace el {

namespace {

template<typename Enum, std::size_t N>
std::optional<Enum> fromString(const std::array<Enum, N>& all, std::string_view name)
{
    for (Enum e : all) {
        if (toString(e) == name)
            return e;
    }
    return std::nullopt;
}

} // namespace

std::string_view toString(Severity severity)
{
    switch (severity) {
    case Severity::Error:
        return "error";
    case Severity::Warning:
        return "warning";
    }
    return "error";
}

std::string_view toString(ViolationKind kind)
{
    switch (kind) {
    case ViolationKind::Schema:
        return "schema";
    case ViolationKind::Global:
        return "global";
    case ViolationKind::Unplanned:
        return "unplanned";
    case ViolationKind::SequenceUnfinished:
        return "sequence.unfinished";
    case ViolationKind::SequenceOrphanEnd:
        return "sequence.orphan_end";
    case ViolationKind::SequenceDuplicateEnd:
        return "sequence.duplicate_end";
    case ViolationKind::SequencePinnedMismatch:
        return "sequence.pinned_mismatch";
    case ViolationKind::SequenceOrder:
        return "sequence.order";
    case ViolationKind::SequenceDuplicateKey:
        return "sequence.duplicate_key";
    case ViolationKind::Secret:
        return "secret";
    case ViolationKind::Pii:
        return "pii";
    }
    return "schema";
}

std::string_view toString(RunState state)
{
    switch (state) {
    case RunState::Open:
        return "open";
    case RunState::Finished:
        return "finished";
    case RunState::Unfinished:
        return "unfinished";
    case RunState::Orphan:
        return "orphan";
    }
    return "open";
}

std::optional<Severity> severityFromString(std::string_view name)
{
    return fromString(kSeverities, name);
}

std::optional<ViolationKind> violationKindFromString(std::string_view name)
{
    return fromString(kViolationKinds, name);
}

std::optional<RunState> runStateFromString(std::string_view name)
{
    return fromString(kRunStates, name);
}

bool isSequenceKind(ViolationKind kind)
{
    return toString(kind).substr(0, 9) == "sequence.";
}

} // namespace el
