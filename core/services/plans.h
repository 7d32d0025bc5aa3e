// Jobs and their interview plans: the admin's editing use cases.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/services/deps.h"

namespace stagecheck {

struct NewJob {
  std::string title;
  std::optional<std::string> default_package_id;
  std::vector<std::string> tags;
};

struct JobChanges {
  std::optional<std::string> title;
  std::optional<std::optional<std::string>>
      default_package_id;  // set, or clear with nullopt inside
  std::optional<std::vector<std::string>> tags;
  std::optional<std::string> if_match;  // the job's ETag the client read (EtagOf)
};

struct StageChanges {
  std::optional<std::string> name;
  std::optional<size_t> position;
  std::optional<std::string> if_match;  // the plan's ETag the client read
};

struct OfferedKind {
  std::string name;
  std::string display_name;
};

class Plans {
 public:
  explicit Plans(const Deps& deps) : deps_(deps) {}

  absl::StatusOr<Created<JobId>> CreateJob(const Principal& who, const NewJob& job,
                                           const std::optional<IdempotencyKey>& key);
  absl::StatusOr<Job> GetJob(const Principal& who, const JobId& id);
  absl::StatusOr<Page<Job>> ListJobs(const Principal& who, const PageRequest& page);
  absl::StatusOr<Job> UpdateJob(const Principal& who, const JobId& id, const JobChanges& changes);

  absl::StatusOr<InterviewPlan> GetPlan(const Principal& who, const JobId& job);
  absl::StatusOr<InterviewPlan> AddStage(const Principal& who, const JobId& job, std::string name,
                                         std::optional<size_t> position,
                                         StageId* created = nullptr);
  absl::StatusOr<InterviewPlan> UpdateStage(const Principal& who, const JobId& job,
                                            const StageId& stage, const StageChanges& changes);
  absl::StatusOr<InterviewPlan> RemoveStage(const Principal& who, const JobId& job,
                                            const StageId& stage);
  // Runs the kind's own checks (settings shape, then admissibility: e.g. the
  // vendor's package is one of the team's) before saving.
  absl::StatusOr<InterviewPlan> AddActivity(const Principal& who, const JobId& job,
                                            const StageId& stage, const std::string& kind,
                                            const ActivitySettings& settings,
                                            ActivityId* created = nullptr);
  absl::StatusOr<InterviewPlan> UpdateActivity(
      const Principal& who, const JobId& job, const StageId& stage, const ActivityId& activity,
      const ActivitySettings& settings, const std::optional<std::string>& if_match = std::nullopt);
  absl::StatusOr<InterviewPlan> RemoveActivity(const Principal& who, const JobId& job,
                                               const StageId& stage, const ActivityId& activity);

  // The kinds an admin of this team may add now.
  absl::StatusOr<std::vector<OfferedKind>> OfferedKinds(const Principal& who);

 private:
  // Loads the plan, checks `if_match` against its ETag, applies `edit`, saves
  // it (optimistic lock), returns it.
  absl::StatusOr<InterviewPlan> EditPlan(const Principal& who, const JobId& job,
                                         const std::function<absl::Status(InterviewPlan&)>& edit,
                                         const std::optional<std::string>& if_match = std::nullopt);

  Deps deps_;
};

absl::Status RequireAdmin(const Principal& who);
absl::Status ValidateTags(const std::vector<std::string>& tags);

}  // namespace stagecheck
