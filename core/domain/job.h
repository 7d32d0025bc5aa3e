#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/domain/settings.h"
#include "core/ids.h"

namespace stagecheck {

class ActivityKindRegistry;

struct Job {
  TeamId team;
  JobId id;
  std::string title;
  std::optional<std::string> default_package_id;
  std::vector<std::string> tags;  // posting tags, applied to new applications' candidates
  absl::Time created_at;
};

struct Activity {
  ActivityId id;
  std::string kind;
  ActivitySettings settings;
  friend bool operator==(const Activity&, const Activity&) = default;
};

struct Stage {
  StageId id;
  std::string name;
  std::vector<Activity> activities;
  friend bool operator==(const Stage&, const Stage&) = default;
};

// The ordered stages of one job. An aggregate: loaded whole, edited through
// these methods (which keep it valid), saved whole with optimistic locking on
// `version`.
class InterviewPlan {
 public:
  static constexpr size_t kMaxStages = 50;
  static constexpr size_t kMaxActivitiesPerStage = 20;
  static constexpr size_t kMaxNameLength = 200;

  InterviewPlan() = default;
  InterviewPlan(TeamId team, JobId job, std::vector<Stage> stages, int64_t version)
      : team_(std::move(team)),
        job_(std::move(job)),
        stages_(std::move(stages)),
        version_(version) {}

  const TeamId& team() const { return team_; }
  const JobId& job() const { return job_; }
  const std::vector<Stage>& stages() const { return stages_; }
  int64_t version() const { return version_; }
  void set_version(int64_t v) { version_ = v; }

  // position: 0-based index; nullopt appends.
  absl::StatusOr<const Stage*> AddStage(StageId id, std::string name,
                                        std::optional<size_t> position);
  absl::Status RenameStage(const StageId& id, std::string name);
  absl::Status MoveStage(const StageId& id, size_t position);
  absl::Status RemoveStage(const StageId& id);
  // The settings are validated by the kind's own rules before they are stored.
  absl::StatusOr<const Activity*> AddActivity(const StageId& stage, ActivityId id, std::string kind,
                                              const ActivitySettings& settings,
                                              const ActivityKindRegistry& kinds);
  absl::Status UpdateActivitySettings(const StageId& stage, const ActivityId& id,
                                      const ActivitySettings& settings,
                                      const ActivityKindRegistry& kinds);
  absl::Status RemoveActivity(const StageId& stage, const ActivityId& id);

  const Stage* FindStage(const StageId& id) const;
  // The stage that holds the activity, or nullptr.
  const Stage* FindStageOfActivity(const ActivityId& id) const;
  const Activity* FindActivity(const ActivityId& id) const;

 private:
  Stage* MutableStage(const StageId& id);
  static absl::Status ValidateName(const std::string& name);

  TeamId team_;
  JobId job_;
  std::vector<Stage> stages_;
  int64_t version_ = 0;
};

}  // namespace stagecheck
