// Entity tags for the resources a form edits (candidate, job, interview plan,
// team). A GET answers with `ETag`; a PATCH that sends it back in `If-Match`
// fails with `precondition_failed` (HTTP 412) when the resource changed since,
// so a form opened earlier cannot silently undo someone else's change.
//
//   std::string tag = EtagOf(candidate);                 // "\"c3f1…\""
//   RETURN_IF_ERROR(CheckIfMatch(request_if_match, EtagOf(current)));
//
// Tags are strong (RFC 9110 section 8.8.3) and stable across processes and
// replicas: a fingerprint of the fields a client can see, not an address.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/domain/candidate.h"
#include "core/domain/job.h"
#include "core/domain/team.h"

namespace stagecheck {

std::string EtagOf(const Candidate& candidate);
std::string EtagOf(const Job& job);
std::string EtagOf(const Team& team);
// Stages and activities are edited through their plan: they carry its tag.
std::string EtagOf(const InterviewPlan& plan);

// OK when `if_match` is absent, is "*", or lists `current` (comma-separated;
// weak tags never match, as RFC 9110 requires for If-Match). Otherwise
// FailedPrecondition with the stable code "precondition_failed".
absl::Status CheckIfMatch(const std::optional<std::string>& if_match, std::string_view current);

}  // namespace stagecheck
