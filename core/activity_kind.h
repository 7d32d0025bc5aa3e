// The plugin interface an activity kind implements, and the registry of kinds.
// Adding a kind is adding a folder under plugin/ and one Register call in the
// wiring (adapters/cli); no central switch knows the kinds.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/domain/job.h"
#include "core/domain/settings.h"
#include "core/domain/team.h"

namespace stagecheck {

// An application has just entered a stage that holds an activity of this kind.
struct StageEntry {
  Principal actor;
  ApplicationId application;
  CandidateId candidate;
  JobId job;
  StageId stage;
  Activity activity;
};

class ActivityKind {
 public:
  virtual ~ActivityKind() = default;

  // Well-known name, e.g. "interview" or a plugin's "<vendor>_background_check".
  virtual std::string_view name() const = 0;
  virtual std::string_view display_name() const = 0;
  // Checks the shape of the settings and returns them normalised (defaults filled).
  virtual absl::StatusOr<ActivitySettings> ValidateSettings(const ActivitySettings& raw) const = 0;
  // Whether an admin of `team` may add this kind now (a vendor's: only while
  // the team is connected to it).
  virtual absl::StatusOr<bool> IsOffered(const TeamId& team) const = 0;
  // Checks that need the outside world, run before the plan is saved
  // (a vendor's: the package is one of the team's packages).
  virtual absl::Status CheckAdmissible(const TeamId& team,
                                       const ActivitySettings& settings) const = 0;
  // Runs after the move that made the application enter the stage has committed.
  virtual absl::Status OnStageEntered(const StageEntry& entry) const = 0;
};

// A kind with no behaviour beyond existing (interview, take_home).
class PlainActivityKind : public ActivityKind {
 public:
  PlainActivityKind(std::string name, std::string display_name)
      : name_(std::move(name)), display_name_(std::move(display_name)) {}
  std::string_view name() const override { return name_; }
  std::string_view display_name() const override { return display_name_; }
  absl::StatusOr<ActivitySettings> ValidateSettings(const ActivitySettings& raw) const override;
  absl::StatusOr<bool> IsOffered(const TeamId&) const override { return true; }
  absl::Status CheckAdmissible(const TeamId&, const ActivitySettings&) const override {
    return absl::OkStatus();
  }
  absl::Status OnStageEntered(const StageEntry&) const override { return absl::OkStatus(); }

 private:
  std::string name_;
  std::string display_name_;
};

class ActivityKindRegistry {
 public:
  // Fails with AlreadyExists when a kind of that name is registered.
  absl::Status Register(std::unique_ptr<ActivityKind> kind);
  const ActivityKind* Find(std::string_view name) const;
  std::vector<const ActivityKind*> All() const;

 private:
  std::map<std::string, std::unique_ptr<ActivityKind>, std::less<>> kinds_;
};

// Registers the kinds that carry no logic: "interview" and "take_home".
absl::Status RegisterBuiltinKinds(ActivityKindRegistry& registry);

}  // namespace stagecheck
