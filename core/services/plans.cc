#include "core/services/plans.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/domain/etag.h"
#include "core/errors.h"
#include "core/status_macros.h"

namespace stagecheck {
namespace {
constexpr size_t kMaxTitleLength = 200;
constexpr size_t kMaxTags = 50;
constexpr size_t kMaxTagLength = 100;

absl::Status ValidateTitle(const std::string& title) {
  if (absl::StripAsciiWhitespace(title).empty() || title.size() > kMaxTitleLength) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_title",
                 "title must be 1 to 200 characters");
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status RequireAdmin(const Principal& who) {
  if (who.role != Role::kAdmin) {
    return Error(absl::StatusCode::kPermissionDenied, "admin_only", "only an admin may do this");
  }
  return absl::OkStatus();
}

absl::Status ValidateTags(const std::vector<std::string>& tags) {
  if (tags.size() > kMaxTags) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_tags", "at most 50 tags");
  }
  for (const std::string& tag : tags) {
    if (absl::StripAsciiWhitespace(tag).empty() || tag.size() > kMaxTagLength) {
      return Error(absl::StatusCode::kInvalidArgument, "invalid_tags",
                   "each tag must be 1 to 100 characters");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Created<JobId>> Plans::CreateJob(const Principal& who, const NewJob& job,
                                                const std::optional<IdempotencyKey>& key) {
  RETURN_IF_ERROR(RequireAdmin(who));
  RETURN_IF_ERROR(ValidateTitle(job.title));
  RETURN_IF_ERROR(ValidateTags(job.tags));
  Created<JobId> created;
  absl::Status status = TransactIdempotent(deps_.store, key, [&](UnitOfWork& uow) -> absl::Status {
    auto earlier = LookupIdempotency(uow, who.team, key);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      created = {JobId(**earlier), true};
      return absl::OkStatus();
    }
    absl::Time now = deps_.clock.Now();
    Job row{who.team, JobId(deps_.ids.NewId()), job.title, job.default_package_id, job.tags, now};
    RETURN_IF_ERROR(uow.InsertJob(row));
    InterviewPlan plan(who.team, row.id, {}, 0);
    RETURN_IF_ERROR(uow.SavePlan(plan));
    created = {row.id, false};
    return RememberIdempotency(uow, who.team, key, 201, row.id.value(), now);
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Job> Plans::GetJob(const Principal& who, const JobId& id) {
  return InReadTransaction<Job>(deps_.store,
                                [&](UnitOfWork& uow) { return uow.GetJob(who.team, id); });
}

absl::StatusOr<Page<Job>> Plans::ListJobs(const Principal& who, const PageRequest& page) {
  return InReadTransaction<Page<Job>>(
      deps_.store, [&](UnitOfWork& uow) { return uow.ListJobs(who.team, page); });
}

absl::StatusOr<Job> Plans::UpdateJob(const Principal& who, const JobId& id,
                                     const JobChanges& changes) {
  RETURN_IF_ERROR(RequireAdmin(who));
  if (changes.title) {
    RETURN_IF_ERROR(ValidateTitle(*changes.title));
  }
  if (changes.tags) {
    RETURN_IF_ERROR(ValidateTags(*changes.tags));
  }
  return InTransaction<Job>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Job> {
    absl::StatusOr<Job> job = uow.GetJob(who.team, id);
    if (!job.ok()) return job.status();
    RETURN_IF_ERROR(CheckIfMatch(changes.if_match, EtagOf(*job)));
    if (changes.title) job->title = *changes.title;
    if (changes.default_package_id) job->default_package_id = *changes.default_package_id;
    if (changes.tags) job->tags = *changes.tags;
    RETURN_IF_ERROR(uow.UpdateJob(*job));
    return job;
  });
}

absl::StatusOr<InterviewPlan> Plans::GetPlan(const Principal& who, const JobId& job) {
  return InReadTransaction<InterviewPlan>(
      deps_.store, [&](UnitOfWork& uow) { return uow.GetPlan(who.team, job); });
}

absl::StatusOr<InterviewPlan> Plans::EditPlan(
    const Principal& who, const JobId& job, const std::function<absl::Status(InterviewPlan&)>& edit,
    const std::optional<std::string>& if_match) {
  RETURN_IF_ERROR(RequireAdmin(who));
  return InTransaction<InterviewPlan>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<InterviewPlan> {
        absl::StatusOr<InterviewPlan> plan = uow.GetPlan(who.team, job);
        if (!plan.ok()) return plan.status();
        RETURN_IF_ERROR(CheckIfMatch(if_match, EtagOf(*plan)));
        RETURN_IF_ERROR(edit(*plan));
        RETURN_IF_ERROR(uow.SavePlan(*plan));
        return plan;
      });
}

absl::StatusOr<InterviewPlan> Plans::AddStage(const Principal& who, const JobId& job,
                                              std::string name, std::optional<size_t> position,
                                              StageId* created) {
  StageId id(deps_.ids.NewId());
  auto plan = EditPlan(
      who, job, [&](InterviewPlan& plan) { return plan.AddStage(id, name, position).status(); });
  if (plan.ok() && created != nullptr) *created = id;
  return plan;
}

absl::StatusOr<InterviewPlan> Plans::UpdateStage(const Principal& who, const JobId& job,
                                                 const StageId& stage,
                                                 const StageChanges& changes) {
  return EditPlan(
      who, job,
      [&](InterviewPlan& plan) -> absl::Status {
        if (changes.name) {
          RETURN_IF_ERROR(plan.RenameStage(stage, *changes.name));
        }
        if (changes.position) return plan.MoveStage(stage, *changes.position);
        return plan.FindStage(stage) ? absl::OkStatus() : absl::NotFoundError("stage not found");
      },
      changes.if_match);
}

absl::StatusOr<InterviewPlan> Plans::RemoveStage(const Principal& who, const JobId& job,
                                                 const StageId& stage) {
  return EditPlan(who, job, [&](InterviewPlan& plan) { return plan.RemoveStage(stage); });
}

absl::StatusOr<InterviewPlan> Plans::AddActivity(const Principal& who, const JobId& job,
                                                 const StageId& stage, const std::string& kind,
                                                 const ActivitySettings& settings,
                                                 ActivityId* created) {
  RETURN_IF_ERROR(RequireAdmin(who));
  const ActivityKind* k = deps_.kinds.Find(kind);
  if (k == nullptr) {
    return Error(absl::StatusCode::kInvalidArgument, "unknown_activity_kind",
                 absl::StrCat("unknown activity kind '", kind, "'"));
  }
  absl::StatusOr<ActivitySettings> valid = k->ValidateSettings(settings);
  if (!valid.ok()) return valid.status();
  // Outside the transaction: the kind may call its vendor.
  RETURN_IF_ERROR(k->CheckAdmissible(who.team, *valid));
  ActivityId id(deps_.ids.NewId());
  auto plan = EditPlan(who, job, [&](InterviewPlan& plan) {
    return plan.AddActivity(stage, id, kind, *valid, deps_.kinds).status();
  });
  if (plan.ok() && created != nullptr) *created = id;
  return plan;
}

absl::StatusOr<InterviewPlan> Plans::UpdateActivity(const Principal& who, const JobId& job,
                                                    const StageId& stage,
                                                    const ActivityId& activity,
                                                    const ActivitySettings& settings,
                                                    const std::optional<std::string>& if_match) {
  RETURN_IF_ERROR(RequireAdmin(who));
  absl::StatusOr<InterviewPlan> current = GetPlan(who, job);
  if (!current.ok()) return current.status();
  const Activity* existing = current->FindActivity(activity);
  if (existing == nullptr) return absl::NotFoundError("activity not found");
  const ActivityKind* k = deps_.kinds.Find(existing->kind);
  if (k == nullptr) return absl::InvalidArgumentError("unknown activity kind");
  absl::StatusOr<ActivitySettings> valid = k->ValidateSettings(settings);
  if (!valid.ok()) return valid.status();
  RETURN_IF_ERROR(k->CheckAdmissible(who.team, *valid));
  return EditPlan(
      who, job,
      [&](InterviewPlan& plan) {
        return plan.UpdateActivitySettings(stage, activity, *valid, deps_.kinds);
      },
      if_match);
}

absl::StatusOr<InterviewPlan> Plans::RemoveActivity(const Principal& who, const JobId& job,
                                                    const StageId& stage,
                                                    const ActivityId& activity) {
  return EditPlan(who, job,
                  [&](InterviewPlan& plan) { return plan.RemoveActivity(stage, activity); });
}

absl::StatusOr<std::vector<OfferedKind>> Plans::OfferedKinds(const Principal& who) {
  RETURN_IF_ERROR(RequireAdmin(who));
  std::vector<OfferedKind> out;
  for (const ActivityKind* kind : deps_.kinds.All()) {
    absl::StatusOr<bool> offered = kind->IsOffered(who.team);
    if (!offered.ok()) return offered.status();
    if (*offered) out.push_back({std::string(kind->name()), std::string(kind->display_name())});
  }
  return out;
}

}  // namespace stagecheck
