// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace el {

/** \brief How bad a violation is. Wire names: "error", "warning". */
enum class Severity { Error, Warning };

/** \brief What a violation is about. Wire names as in violationKinds(), e.g. "sequence.unfinished". */
enum class ViolationKind {
    Schema,
    Global,
    Unplanned,
    SequenceUnfinished,
    SequenceOrphanEnd,
    SequenceDuplicateEnd,
    SequencePinnedMismatch,
    SequenceOrder,
    SequenceDuplicateKey,
    Secret, ///< a `scan` rule of kind "secret" found a credential in a string value
    Pii, ///< a `scan` rule of kind "pii" found personal data (e-mail, card number, phone) in a string value
};

/** \brief Where a correlated pair (RunInfo) stands. Wire names: "open", "finished", "unfinished", "orphan". */
enum class RunState { Open, Finished, Unfinished, Orphan };

/** Every severity, in documentation order. */
inline constexpr std::array<Severity, 2> kSeverities {Severity::Error, Severity::Warning};
/** Every violation kind, in documentation order. */
inline constexpr std::array<ViolationKind, 11> kViolationKinds {ViolationKind::Schema, ViolationKind::Global,
    ViolationKind::Unplanned, ViolationKind::SequenceUnfinished, ViolationKind::SequenceOrphanEnd,
    ViolationKind::SequenceDuplicateEnd, ViolationKind::SequencePinnedMismatch, ViolationKind::SequenceOrder,
    ViolationKind::SequenceDuplicateKey, ViolationKind::Secret, ViolationKind::Pii};
/** Every run state. */
inline constexpr std::array<RunState, 4> kRunStates {
    RunState::Open, RunState::Finished, RunState::Unfinished, RunState::Orphan};

/** The one wire name of each value (JSON, journal, reports, UI text). */
std::string_view toString(Severity severity);
std::string_view toString(ViolationKind kind);
std::string_view toString(RunState state);
/** The value a wire name stands for, or nullopt for an unknown name (exact, case-sensitive). */
std::optional<Severity> severityFromString(std::string_view name);
std::optional<ViolationKind> violationKindFromString(std::string_view name);
std::optional<RunState> runStateFromString(std::string_view name);

/** True for the sequence.* kinds (violations of sequence rules, spanning events). */
bool isSequenceKind(ViolationKind kind);

} // namespace el
