#include "core/services/applications.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/domain/etag.h"
#include "core/errors.h"
#include "core/services/check_events.h"
#include "core/services/check_lifecycle.h"
#include "core/services/plans.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {
constexpr size_t kMaxNameLength = 100;

absl::Status ValidateName(const std::string& name, std::string_view field) {
  if (absl::StripAsciiWhitespace(name).empty() || name.size() > kMaxNameLength) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_name",
                 absl::StrCat(std::string(field), " must be 1 to 100 characters"));
  }
  return absl::OkStatus();
}

std::string Actor(const Principal& who) { return "user:" + who.user.value(); }
}  // namespace

absl::Status ValidateCandidateFields(const std::string& first, const std::string& last,
                                     const std::optional<std::string>& email,
                                     const std::optional<std::string>& phone) {
  RETURN_IF_ERROR(ValidateName(first, "first_name"));
  RETURN_IF_ERROR(ValidateName(last, "last_name"));
  if (email.has_value()) {
    if (auto s = ValidateEmail(*email); !s.ok()) {
      return Error(absl::StatusCode::kInvalidArgument, "invalid_email", ToStd(s.message()));
    }
  }
  if (phone.has_value() && (phone->empty() || phone->size() > 40)) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_phone",
                 "phone must be 1 to 40 characters");
  }
  return absl::OkStatus();
}

absl::StatusOr<Created<CandidateId>> Applications::CreateCandidate(
    const Principal& who, const NewCandidate& c, const std::optional<IdempotencyKey>& key) {
  RETURN_IF_ERROR(ValidateCandidateFields(c.first_name, c.last_name, c.email, c.phone));
  RETURN_IF_ERROR(ValidateTags(c.tags));
  Created<CandidateId> created;
  absl::Status status = TransactIdempotent(deps_.store, key, [&](UnitOfWork& uow) -> absl::Status {
    auto earlier = LookupIdempotency(uow, who.team, key);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      created = {CandidateId(**earlier), true};
      return absl::OkStatus();
    }
    absl::Time now = deps_.clock.Now();
    Candidate row{who.team,     CandidateId(deps_.ids.NewId()),
                  c.first_name, c.last_name,
                  c.email,      c.phone,
                  {},           now,
                  now};
    row.ReplaceRecruiterTags(c.tags);
    RETURN_IF_ERROR(uow.InsertCandidate(row));
    created = {row.id, false};
    return RememberIdempotency(uow, who.team, key, 201, row.id.value(), now);
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Candidate> Applications::GetCandidate(const Principal& who, const CandidateId& id) {
  return InReadTransaction<Candidate>(
      deps_.store, [&](UnitOfWork& uow) { return uow.GetCandidate(who.team, id); });
}

absl::StatusOr<Page<Candidate>> Applications::ListCandidates(const Principal& who,
                                                             const PageRequest& page) {
  return InReadTransaction<Page<Candidate>>(
      deps_.store, [&](UnitOfWork& uow) { return uow.ListCandidates(who.team, page); });
}

absl::StatusOr<Candidate> Applications::UpdateCandidate(const Principal& who, const CandidateId& id,
                                                        const CandidateChanges& changes) {
  if (changes.tags) {
    RETURN_IF_ERROR(ValidateTags(*changes.tags));
  }
  return InTransaction<Candidate>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Candidate> {
    absl::StatusOr<Candidate> c = uow.GetCandidateForUpdate(who.team, id);
    if (!c.ok()) return c.status();
    RETURN_IF_ERROR(CheckIfMatch(changes.if_match, EtagOf(*c)));
    if (changes.first_name) c->first_name = *changes.first_name;
    if (changes.last_name) c->last_name = *changes.last_name;
    if (changes.email) c->email = *changes.email;
    if (changes.phone) c->phone = *changes.phone;
    if (changes.tags) c->ReplaceRecruiterTags(*changes.tags);
    if (auto s = ValidateCandidateFields(c->first_name, c->last_name, c->email, c->phone);
        !s.ok()) {
      return s;
    }
    c->updated_at = deps_.clock.Now();
    RETURN_IF_ERROR(uow.UpdateCandidate(*c));
    return c;
  });
}

absl::StatusOr<std::vector<CandidateFile>> Applications::ListFiles(const Principal& who,
                                                                   const CandidateId& id) {
  return InReadTransaction<std::vector<CandidateFile>>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<std::vector<CandidateFile>> {
        if (auto c = uow.GetCandidate(who.team, id); !c.ok()) return c.status();
        return uow.ListFiles(who.team, id);
      });
}

absl::StatusOr<std::pair<CandidateFile, std::string>> Applications::GetFile(
    const Principal& who, const CandidateId& candidate, const FileId& file) {
  using Result = std::pair<CandidateFile, std::string>;
  return InReadTransaction<Result>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Result> {
    absl::StatusOr<CandidateFile> meta = uow.GetFile(who.team, file);
    if (!meta.ok()) return meta.status();
    if (meta->candidate != candidate) return absl::NotFoundError("file not found");
    absl::StatusOr<std::string> content = uow.GetFileContent(who.team, file);
    if (!content.ok()) return content.status();
    return Result{*std::move(meta), *std::move(content)};
  });
}

absl::StatusOr<Page<FeedEvent>> Applications::Feed(const Principal& who, const CandidateId& id,
                                                   const PageRequest& page, bool report_views) {
  return InReadTransaction<Page<FeedEvent>>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Page<FeedEvent>> {
        if (auto c = uow.GetCandidate(who.team, id); !c.ok()) return c.status();
        if (report_views) return uow.ListFeed(who.team, id, page);
        return uow.ListFeedExcept(who.team, id, page, kReportViewedEvent);
      });
}

absl::StatusOr<std::vector<BackgroundCheck>> Applications::AdHocChecks(const Principal& who,
                                                                       const CandidateId& id) {
  return InReadTransaction<std::vector<BackgroundCheck>>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<std::vector<BackgroundCheck>> {
        if (auto c = uow.GetCandidate(who.team, id); !c.ok()) return c.status();
        auto checks = uow.ListChecksForCandidate(who.team, id);
        if (!checks.ok()) return checks.status();
        std::erase_if(*checks, [](const BackgroundCheck& c) { return c.application.has_value(); });
        return checks;
      });
}

absl::StatusOr<Created<ApplicationId>> Applications::CreateApplication(
    const Principal& who, const CandidateId& candidate_id, const JobId& job_id,
    const std::optional<IdempotencyKey>& key) {
  Created<ApplicationId> created;
  absl::Status status = TransactIdempotent(deps_.store, key, [&](UnitOfWork& uow) -> absl::Status {
    auto earlier = LookupIdempotency(uow, who.team, key);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      created = {ApplicationId(**earlier), true};
      return absl::OkStatus();
    }
    absl::StatusOr<Candidate> candidate = uow.GetCandidateForUpdate(who.team, candidate_id);
    if (!candidate.ok()) return candidate.status();
    absl::StatusOr<Job> job = uow.GetJob(who.team, job_id);
    if (!job.ok()) return job.status();
    auto existing = uow.ListApplications(
        who.team, ApplicationFilter{.job = job_id, .candidate = candidate_id}, PageRequest{1, ""});
    if (!existing.ok()) return existing.status();
    if (!existing->items.empty()) {
      return Error(absl::StatusCode::kAlreadyExists, "application_exists",
                   "this candidate already has an application for this job");
    }
    absl::StatusOr<InterviewPlan> plan = uow.GetPlan(who.team, job_id);
    if (!plan.ok()) return plan.status();
    absl::Time now = deps_.clock.Now();
    Application app{who.team,     ApplicationId(deps_.ids.NewId()), candidate_id, job_id,
                    std::nullopt, ApplicationStatus::kActive,       now,          now};
    if (!plan->stages().empty()) app.stage = plan->stages().front().id;
    RETURN_IF_ERROR(uow.InsertApplication(app));
    if (!job->tags.empty()) {
      for (const std::string& tag : job->tags) {
        if (!IsSystemTag(tag)) candidate->AddTag(tag);
      }
      candidate->updated_at = now;
      RETURN_IF_ERROR(uow.UpdateCandidate(*candidate));
    }
    FeedEvent event{who.team,
                    FeedEventId(deps_.ids.NewId()),
                    candidate_id,
                    app.id,
                    std::nullopt,
                    now,
                    "application_created",
                    Actor(who),
                    absl::StrCat("Applied to ", job->title)};
    RETURN_IF_ERROR(uow.AppendFeedEvent(event));
    created = {app.id, false};
    return RememberIdempotency(uow, who.team, key, 201, app.id.value(), now);
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<ApplicationTab> Applications::ReadTab(const Principal& who,
                                                     const ApplicationId& id) {
  return InReadTransaction<ApplicationTab>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<ApplicationTab> {
        ApplicationTab tab;
        absl::StatusOr<Application> app = uow.GetApplication(who.team, id);
        if (!app.ok()) return app.status();
        tab.application = *std::move(app);
        absl::StatusOr<Candidate> candidate = uow.GetCandidate(who.team, tab.application.candidate);
        if (!candidate.ok()) return candidate.status();
        tab.candidate = *std::move(candidate);
        absl::StatusOr<Job> job = uow.GetJob(who.team, tab.application.job);
        if (!job.ok()) return job.status();
        tab.job = *std::move(job);
        absl::StatusOr<InterviewPlan> plan = uow.GetPlan(who.team, tab.application.job);
        if (!plan.ok()) return plan.status();
        auto checks = uow.ListChecksForApplication(who.team, id);
        if (!checks.ok()) return checks.status();
        std::sort(checks->begin(), checks->end(),
                  [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
        std::vector<BackgroundCheck*> described;
        for (BackgroundCheck& c : *checks) described.push_back(&c);
        RETURN_IF_ERROR(CheckLifecycle(deps_).Describe(uow, described));
        std::vector<bool> placed(checks->size(), false);
        for (const Stage& stage : plan->stages()) {
          StageView sv{stage, tab.application.stage == stage.id, {}};
          for (const Activity& activity : stage.activities) {
            ActivityView av{activity, {}};
            for (size_t i = 0; i < checks->size(); ++i) {
              if ((*checks)[i].activity == activity.id) {
                av.checks.push_back((*checks)[i]);
                placed[i] = true;
              }
            }
            sv.activities.push_back(std::move(av));
          }
          tab.stages.push_back(std::move(sv));
        }
        for (size_t i = 0; i < checks->size(); ++i) {
          if (!placed[i]) tab.other_checks.push_back((*checks)[i]);
        }
        return tab;
      });
}

namespace {

// Fills each row's job title and stage name from its job (one read of each
// job on the page).
absl::Status NameJobsAndStages(UnitOfWork& uow, const TeamId& team,
                               std::vector<ApplicationSummary>& rows) {
  std::map<JobId, std::pair<Job, InterviewPlan>> jobs;
  for (ApplicationSummary& row : rows) {
    const JobId& id = row.application.job;
    auto it = jobs.find(id);
    if (it == jobs.end()) {
      ASSIGN_OR_RETURN(Job job, uow.GetJob(team, id));
      ASSIGN_OR_RETURN(InterviewPlan plan, uow.GetPlan(team, id));
      it = jobs.emplace(id, std::pair{std::move(job), std::move(plan)}).first;
    }
    row.job_title = it->second.first.title;
    if (!row.application.stage) continue;
    if (const Stage* stage = it->second.second.FindStage(*row.application.stage)) {
      row.stage_name = stage->name;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Page<ApplicationSummary>> Applications::ListApplications(
    const Principal& who, const ApplicationFilter& filter, const PageRequest& page) {
  return InReadTransaction<Page<ApplicationSummary>>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Page<ApplicationSummary>> {
        ASSIGN_OR_RETURN(Page<ApplicationSummary> rows,
                         uow.ListApplications(who.team, filter, page));
        RETURN_IF_ERROR(NameJobsAndStages(uow, who.team, rows.items));
        return rows;
      });
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Applications::CountByCheckStatus(
    const Principal& who, const ApplicationFilter& filter) {
  return InReadTransaction<std::vector<std::pair<std::string, int64_t>>>(
      deps_.store, [&](UnitOfWork& uow) { return uow.CountApplicationsByCheck(who.team, filter); });
}

absl::StatusOr<MoveOutcome> Applications::Move(const Principal& who, const ApplicationId& id,
                                               const StageId& stage_id) {
  std::optional<Stage> entered;
  absl::StatusOr<Application> moved =
      InTransaction<Application>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Application> {
        absl::StatusOr<Application> app = uow.GetApplication(who.team, id);
        if (!app.ok()) return app.status();
        if (app->status != ApplicationStatus::kActive) {
          return Error(absl::StatusCode::kFailedPrecondition, "application_not_active",
                       "only an active application can move between stages");
        }
        absl::StatusOr<InterviewPlan> plan = uow.GetPlan(who.team, app->job);
        if (!plan.ok()) return plan.status();
        const Stage* stage = plan->FindStage(stage_id);
        if (stage == nullptr) {
          return Error(absl::StatusCode::kNotFound, "stage_not_found",
                       "no such stage in this job's interview plan");
        }
        entered.reset();
        if (app->stage == stage_id) return app;  // already there: nothing fires again
        entered = *stage;
        absl::Time now = deps_.clock.Now();
        app->stage = stage_id;
        app->updated_at = now;
        RETURN_IF_ERROR(UpdateApplicationWithEvents(uow, deps_, *app));
        FeedEvent event{who.team,
                        FeedEventId(deps_.ids.NewId()),
                        app->candidate,
                        app->id,
                        std::nullopt,
                        now,
                        "stage_changed",
                        Actor(who),
                        absl::StrCat("Moved to stage ", stage->name)};
        RETURN_IF_ERROR(uow.AppendFeedEvent(event));
        return app;
      });
  if (!moved.ok()) return moved.status();
  MoveOutcome outcome{*moved, {}};
  if (!entered.has_value()) return outcome;
  // After the commit: hooks may call out (a background-check plugin's
  // auto-send goes through its own transaction and outbox).
  outcome.hooks = RunEntryHooks(who, *moved, *entered);
  return outcome;
}

std::vector<std::pair<ActivityId, absl::Status>> Applications::RunEntryHooks(const Principal& who,
                                                                             const Application& app,
                                                                             const Stage& stage) {
  std::vector<std::pair<ActivityId, absl::Status>> hooks;
  for (const Activity& activity : stage.activities) {
    const ActivityKind* kind = deps_.kinds.Find(activity.kind);
    if (kind == nullptr) continue;
    StageEntry entry{who, app.id, app.candidate, app.job, stage.id, activity};
    hooks.emplace_back(activity.id, kind->OnStageEntered(entry));
  }
  return hooks;
}

WorkItem StageEnteredWork(const Deps& deps, const Application& app, const StageId& stage,
                          const UserId& on_behalf_of, std::string_view cause) {
  WorkItem item;
  item.team = app.team;
  item.id = WorkItemId(deps.ids.NewId());
  item.kind = std::string(kWorkStageEntered);
  item.subject = app.id.value();
  item.payload = absl::StrCat(stage.value(), "\n", on_behalf_of.value());
  item.dedupe_key = absl::StrCat(ToAbsl(kWorkStageEntered), ":", ToAbsl(cause));
  item.run_at = deps.clock.Now();
  return item;
}

absl::Status Applications::RegisterWork(WorkRunner& runner) {
  return runner.Register(
      std::string(kWorkStageEntered),
      WorkHandler{.run = [this](const WorkItem& item) { return RunStageEntered(item); }});
}

absl::Status Applications::RunStageEntered(const WorkItem& item) {
  std::vector<std::string> parts = absl::StrSplit(item.payload, absl::MaxSplits('\n', 1));
  if (parts.size() != 2) return absl::InvalidArgumentError("malformed stage entry work item");
  const StageId stage_id(parts[0]);
  const ApplicationId app_id(item.subject);
  ASSIGN_OR_RETURN(
      auto facts,
      (InReadTransaction<std::pair<Application, InterviewPlan>>(
          deps_.store,
          [&](UnitOfWork& uow) -> absl::StatusOr<std::pair<Application, InterviewPlan>> {
            ASSIGN_OR_RETURN(Application app, uow.GetApplication(item.team, app_id));
            ASSIGN_OR_RETURN(InterviewPlan plan, uow.GetPlan(item.team, app.job));
            return std::pair{std::move(app), std::move(plan)};
          })));
  const auto& [app, plan] = facts;
  const Stage* stage = plan.FindStage(stage_id);
  // Moved on (or out of the plan, or closed) since: entering is history.
  if (stage == nullptr || app.stage != stage_id || app.status != ApplicationStatus::kActive) {
    return absl::OkStatus();
  }
  const Principal on_behalf_of{item.team, UserId(parts[1]), Role::kRecruiter};
  for (const auto& [activity, result] : RunEntryHooks(on_behalf_of, app, *stage)) {
    // Refusals (no email, no package) are on the feed already; only a
    // passing failure is worth running the hooks again (each is idempotent).
    if (IsTransient(result)) return result;
  }
  return absl::OkStatus();
}

absl::StatusOr<Application> Applications::SetStatus(const Principal& who, const ApplicationId& id,
                                                    ApplicationStatus status) {
  return InTransaction<Application>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Application> {
        absl::StatusOr<Application> app = uow.GetApplication(who.team, id);
        if (!app.ok()) return app.status();
        app->status = status;
        app->updated_at = deps_.clock.Now();
        RETURN_IF_ERROR(UpdateApplicationWithEvents(uow, deps_, *app));
        return app;
      });
}

absl::Status Applications::RecordReportView(const Principal& who, const ReportView& view) {
  FeedEvent event{who.team,
                  FeedEventId(deps_.ids.NewId()),
                  view.candidate,
                  view.application,
                  view.check,
                  deps_.clock.Now(),
                  std::string(kReportViewedEvent),
                  Actor(who),
                  view.what};
  return deps_.store.Transact([&](UnitOfWork& uow) { return uow.AppendFeedEvent(event); });
}

}  // namespace stagecheck
