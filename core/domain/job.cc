#include "core/domain/job.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/activity_kind.h"

namespace stagecheck {

absl::Status InterviewPlan::ValidateName(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("stage name must not be empty");
  if (name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("stage name is longer than ", kMaxNameLength, " characters"));
  }
  return absl::OkStatus();
}

Stage* InterviewPlan::MutableStage(const StageId& id) {
  auto it =
      std::find_if(stages_.begin(), stages_.end(), [&](const Stage& s) { return s.id == id; });
  return it == stages_.end() ? nullptr : &*it;
}

const Stage* InterviewPlan::FindStage(const StageId& id) const {
  return const_cast<InterviewPlan*>(this)->MutableStage(id);
}

const Stage* InterviewPlan::FindStageOfActivity(const ActivityId& id) const {
  for (const Stage& stage : stages_) {
    for (const Activity& a : stage.activities) {
      if (a.id == id) return &stage;
    }
  }
  return nullptr;
}

const Activity* InterviewPlan::FindActivity(const ActivityId& id) const {
  for (const Stage& stage : stages_) {
    for (const Activity& a : stage.activities) {
      if (a.id == id) return &a;
    }
  }
  return nullptr;
}

absl::StatusOr<const Stage*> InterviewPlan::AddStage(StageId id, std::string name,
                                                     std::optional<size_t> position) {
  if (absl::Status s = ValidateName(name); !s.ok()) return s;
  if (stages_.size() >= kMaxStages) {
    return absl::FailedPreconditionError(
        absl::StrCat("an interview plan has at most ", kMaxStages, " stages"));
  }
  size_t at = position.value_or(stages_.size());
  if (at > stages_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "position ", at, " is past the end of the plan (", stages_.size(), " stages)"));
  }
  auto it = stages_.insert(stages_.begin() + static_cast<std::ptrdiff_t>(at),
                           Stage{std::move(id), std::move(name), {}});
  return &*it;
}

absl::Status InterviewPlan::RenameStage(const StageId& id, std::string name) {
  if (absl::Status s = ValidateName(name); !s.ok()) return s;
  Stage* stage = MutableStage(id);
  if (stage == nullptr) return absl::NotFoundError("stage not found");
  stage->name = std::move(name);
  return absl::OkStatus();
}

absl::Status InterviewPlan::MoveStage(const StageId& id, size_t position) {
  auto it =
      std::find_if(stages_.begin(), stages_.end(), [&](const Stage& s) { return s.id == id; });
  if (it == stages_.end()) return absl::NotFoundError("stage not found");
  if (position >= stages_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "position ", position, " is past the end of the plan (", stages_.size(), " stages)"));
  }
  Stage moved = std::move(*it);
  stages_.erase(it);
  stages_.insert(stages_.begin() + static_cast<std::ptrdiff_t>(position), std::move(moved));
  return absl::OkStatus();
}

absl::Status InterviewPlan::RemoveStage(const StageId& id) {
  auto it =
      std::find_if(stages_.begin(), stages_.end(), [&](const Stage& s) { return s.id == id; });
  if (it == stages_.end()) return absl::NotFoundError("stage not found");
  stages_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<const Activity*> InterviewPlan::AddActivity(const StageId& stage_id, ActivityId id,
                                                           std::string kind,
                                                           const ActivitySettings& settings,
                                                           const ActivityKindRegistry& kinds) {
  Stage* stage = MutableStage(stage_id);
  if (stage == nullptr) return absl::NotFoundError("stage not found");
  const ActivityKind* k = kinds.Find(kind);
  if (k == nullptr)
    return absl::InvalidArgumentError(absl::StrCat("unknown activity kind '", kind, "'"));
  if (stage->activities.size() >= kMaxActivitiesPerStage) {
    return absl::FailedPreconditionError(
        absl::StrCat("a stage has at most ", kMaxActivitiesPerStage, " activities"));
  }
  absl::StatusOr<ActivitySettings> valid = k->ValidateSettings(settings);
  if (!valid.ok()) return valid.status();
  stage->activities.push_back(Activity{std::move(id), std::move(kind), *std::move(valid)});
  return &stage->activities.back();
}

absl::Status InterviewPlan::UpdateActivitySettings(const StageId& stage_id, const ActivityId& id,
                                                   const ActivitySettings& settings,
                                                   const ActivityKindRegistry& kinds) {
  Stage* stage = MutableStage(stage_id);
  if (stage == nullptr) return absl::NotFoundError("stage not found");
  for (Activity& a : stage->activities) {
    if (a.id != id) continue;
    const ActivityKind* k = kinds.Find(a.kind);
    if (k == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("unknown activity kind '", a.kind, "'"));
    absl::StatusOr<ActivitySettings> valid = k->ValidateSettings(settings);
    if (!valid.ok()) return valid.status();
    a.settings = *std::move(valid);
    return absl::OkStatus();
  }
  return absl::NotFoundError("activity not found");
}

absl::Status InterviewPlan::RemoveActivity(const StageId& stage_id, const ActivityId& id) {
  Stage* stage = MutableStage(stage_id);
  if (stage == nullptr) return absl::NotFoundError("stage not found");
  auto& acts = stage->activities;
  auto it = std::find_if(acts.begin(), acts.end(), [&](const Activity& a) { return a.id == id; });
  if (it == acts.end()) return absl::NotFoundError("activity not found");
  acts.erase(it);
  return absl::OkStatus();
}

}  // namespace stagecheck
