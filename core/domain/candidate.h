#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/ids.h"

namespace stagecheck {

struct Candidate {
  TeamId team;
  CandidateId id;
  std::string first_name;
  std::string last_name;
  std::optional<std::string> email;  // may be missing: a send then fails with no_email
  std::optional<std::string> phone;
  std::vector<std::string> tags;
  absl::Time created_at;
  absl::Time updated_at;

  bool HasTag(std::string_view tag) const;
  // Adds the tag unless an equal tag (case-insensitive, trimmed) is there.
  void AddTag(std::string tag);
  // Removes every tag starting with `prefix` (a plugin's status tags).
  void RemoveTagsWithPrefix(std::string_view prefix);
  // Integration-owned tags (IsSystemTag) and the recruiter's own, in order.
  std::vector<std::string> SystemTags() const;
  std::vector<std::string> RecruiterTags() const;
  // Replaces the recruiter's tags and keeps the system tags as they are: a
  // form that read the tags earlier can neither drop nor revive a status tag.
  void ReplaceRecruiterTags(const std::vector<std::string>& recruiter_tags);
};

// A tag an integration owns and keeps current (a check's status tag for
// Lever): listed apart from the recruiter's tags and never written by a person.
// System tags start with a prefix their plugin registers once it is built,
// before any request is served; registering a known prefix again is a no-op.
void RegisterSystemTagPrefix(std::string_view prefix);
bool IsSystemTag(std::string_view tag);

// Tags compare case-insensitively with surrounding spaces ignored.
std::string NormalizeTag(std::string_view tag);
absl::Status ValidateEmail(std::string_view email);

// Metadata of a file on a candidate's profile; the bytes live beside it.
struct CandidateFile {
  TeamId team;
  FileId id;
  CandidateId candidate;
  std::string name;
  std::string content_type;
  int64_t size = 0;
  std::string sha256_hex;
  absl::Time created_at;
};

enum class ApplicationStatus { kActive, kRejected, kHired };
std::string_view ApplicationStatusName(ApplicationStatus status);
std::optional<ApplicationStatus> ParseApplicationStatus(std::string_view name);

struct Application {
  TeamId team;
  ApplicationId id;
  CandidateId candidate;
  JobId job;
  std::optional<StageId> stage;  // the current stage
  ApplicationStatus status = ApplicationStatus::kActive;
  absl::Time created_at;
  absl::Time updated_at;
};

// An append-only audit entry on a candidate's activity feed.
struct FeedEvent {
  TeamId team;
  FeedEventId id;
  CandidateId candidate;
  std::optional<ApplicationId> application;
  std::optional<CheckId> check;
  absl::Time at;
  std::string type;     // check_sent, candidate_started, status_changed, report_saved, error, ...
  std::string actor;    // "user:<id>", a plugin's name, "system"
  std::string message;  // human-readable sentence
};

}  // namespace stagecheck
