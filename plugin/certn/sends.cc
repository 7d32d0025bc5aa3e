// The ways of sending a Certn check (application tab, candidate profile,
// re-order, auto-send on stage entry): each decides a SendPlan and hands it
// to QueueCheck (checks.cc).
#include "plugin/certn/checks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "plugin/certn/domain/status_labels.h"
#include "plugin/certn/ports/certn_store.h"
#include "plugin/certn/send_plan.h"

namespace stagecheck::certn_plugin {
namespace {

// An error reason in a recruiter's words (the feed line of a re-order).
std::string_view ReasonWords(std::string_view reason) {
  if (reason == "invite_undeliverable") return "the invitation email bounced";
  if (reason == "applicant_expired") return "the invitation expired";
  if (reason == "no_email") return "the candidate had no email address";
  return "Certn could not complete it";
}

absl::Status RequireActive(const Application& app) {
  if (app.status == ApplicationStatus::kActive) return absl::OkStatus();
  return Error(absl::StatusCode::kFailedPrecondition, "application_not_active",
               "Checks can only be sent for an active application.");
}

// What a send from the application tab reads before it decides.
struct SendFacts {
  Application app;
  Candidate candidate;
  Job job;
  InterviewPlan plan;
  Team team;
  CertnIntegration integration;
};

absl::StatusOr<SendFacts> ReadSendFacts(UnitOfWork& uow, const TeamId& team,
                                        const ApplicationId& application) {
  SendFacts f;
  ASSIGN_OR_RETURN(f.app, uow.GetApplication(team, application));
  ASSIGN_OR_RETURN(f.candidate, uow.GetCandidate(team, f.app.candidate));
  ASSIGN_OR_RETURN(f.job, uow.GetJob(team, f.app.job));
  ASSIGN_OR_RETURN(f.plan, uow.GetPlan(team, f.app.job));
  ASSIGN_OR_RETURN(f.team, uow.GetTeam(team));
  absl::StatusOr<CertnIntegration> integration = CertnRows(uow).GetIntegration(team);
  if (integration.status().code() == absl::StatusCode::kNotFound) return CertnNotConnected();
  ASSIGN_OR_RETURN(f.integration, std::move(integration));
  return f;
}

// The Certn activity a send from the application tab is for: the one named,
// else the plan's (the first, if several), so that a send from any stage
// still preselects the plan's package. nullptr when the plan has none.
absl::StatusOr<const Activity*> CertnActivityOf(const InterviewPlan& plan,
                                                const std::optional<ActivityId>& named) {
  if (!named) {
    for (const Stage& stage : plan.stages()) {
      for (const Activity& a : stage.activities) {
        if (a.kind == kKindName) return &a;
      }
    }
    return nullptr;
  }
  const Activity* found = plan.FindActivity(*named);
  if (found == nullptr) {
    return Error(absl::StatusCode::kNotFound, "activity_not_found",
                 "No such activity in this job's interview plan.");
  }
  if (found->kind != kKindName) {
    return Error(absl::StatusCode::kFailedPrecondition, "not_a_certn_activity",
                 "That activity is not a Certn background check.");
  }
  return found;
}

// What a re-order reads: the ended check, its candidate and application.
struct ReorderFacts {
  BackgroundCheck previous;
  Candidate candidate;
  std::optional<Application> app;
};

absl::StatusOr<ReorderFacts> ReadReorderFacts(UnitOfWork& uow, const TeamId& team,
                                              const CheckId& id) {
  ReorderFacts f;
  ASSIGN_OR_RETURN(f.previous, uow.GetCheck(team, id));
  ASSIGN_OR_RETURN(f.candidate, uow.GetCandidate(team, f.previous.candidate));
  if (f.previous.application) {
    ASSIGN_OR_RETURN(f.app, uow.GetApplication(team, *f.previous.application));
  }
  return f;
}

absl::Status RequireReorderable(const BackgroundCheck& previous) {
  if (previous.status == CheckStatus::kError || previous.status == CheckStatus::kCancelled) {
    return absl::OkStatus();
  }
  return Error(absl::StatusCode::kAborted, "check_not_ended",
               absl::StrCat("Only a background check that ended in error or was cancelled can be "
                            "re-ordered; this one is ",
                            ToAbsl(StatusName(previous.status)), "."));
}

// How the ended check ended, in words, for the re-order's feed line.
std::string ReorderNote(const BackgroundCheck& previous) {
  if (previous.status == CheckStatus::kCancelled) return "the previous check was cancelled";
  if (previous.error_reason.empty()) return "the previous check ended in error";
  return absl::StrCat("the previous check ended in error: ",
                      ToAbsl(ReasonWords(previous.error_reason)));
}

// What an auto-send reads: whether it should send at all, and the defaults.
struct AutoSendFacts {
  Candidate candidate;
  Job job;
  Team team;
  std::optional<BackgroundCheck> active;
  bool completed = false;
};

absl::StatusOr<AutoSendFacts> ReadAutoSendFacts(UnitOfWork& uow, const StageEntry& entry) {
  const TeamId& team = entry.actor.team;
  AutoSendFacts f;
  ASSIGN_OR_RETURN(f.candidate, uow.GetCandidate(team, entry.candidate));
  ASSIGN_OR_RETURN(f.job, uow.GetJob(team, entry.job));
  ASSIGN_OR_RETURN(f.team, uow.GetTeam(team));
  ASSIGN_OR_RETURN(f.active, uow.FindActiveCheck(team, entry.application));
  ASSIGN_OR_RETURN(std::vector<BackgroundCheck> all,
                   uow.ListChecksForApplication(team, entry.application));
  f.completed = std::any_of(all.begin(), all.end(), [&entry](const BackgroundCheck& c) {
    return c.status == CheckStatus::kComplete && c.activity == entry.activity.id;
  });
  return f;
}

}  // namespace

absl::StatusOr<std::string> Checks::ResolvePackage(
    const TeamId& team, const Candidate& candidate,
    const std::optional<std::string>& explicit_package,
    const std::optional<std::string>& activity_package, const Job* job, const Team& team_row) {
  if (explicit_package) return *explicit_package;
  // Lever: a candidate tag equal to a package name overrides the defaults.
  bool has_plain_tags =
      std::any_of(candidate.tags.begin(), candidate.tags.end(),
                  [](const std::string& t) { return t.rfind(kLeverTagPrefix, 0) != 0; });
  if (has_plain_tags) {
    absl::StatusOr<std::vector<CertnPackage>> packages = integrations_.Packages(team);
    if (!packages.ok()) return packages.status();
    std::vector<const CertnPackage*> matches;
    for (const CertnPackage& p : *packages) {
      if (candidate.HasTag(p.name)) matches.push_back(&p);
    }
    if (matches.size() > 1) {
      return Error(absl::StatusCode::kFailedPrecondition, "ambiguous_package_tag",
                   absl::StrCat("The candidate's tags name ", matches.size(),
                                " Certn packages; keep only one package tag."));
    }
    if (matches.size() == 1) return matches[0]->id;
  }
  if (activity_package) return *activity_package;
  if (job != nullptr && job->default_package_id) return *job->default_package_id;
  if (team_row.default_package_id) return *team_row.default_package_id;
  return Error(absl::StatusCode::kFailedPrecondition, "no_package",
               "No Certn package was chosen and there is no default package.");
}

absl::StatusOr<Created<CheckId>> Checks::Send(const Principal& who,
                                              const ApplicationId& application_id,
                                              const SendRequest& request,
                                              const std::optional<IdempotencyKey>& key) {
  ASSIGN_OR_RETURN(SendFacts facts, InReadTransaction<SendFacts>(deps_.store, [&](UnitOfWork& uow) {
                     return ReadSendFacts(uow, who.team, application_id);
                   }));
  if (facts.integration.status != ConnectionStatus::kConnected) return CertnNotConnected();
  RETURN_IF_ERROR(RequireActive(facts.app));
  ASSIGN_OR_RETURN(const Activity* activity, CertnActivityOf(facts.plan, request.activity));
  SendPlan plan;
  plan.team = who.team;
  plan.application = application_id;
  plan.trigger = SendTrigger::kManual;
  plan.candidate = facts.candidate.id;
  plan.has_email = facts.candidate.email.has_value();
  std::optional<std::string> activity_package;
  if (activity != nullptr) {
    plan.activity = activity->id;
    activity_package = activity->settings.GetString("package_id");
  }
  if (!plan.has_email) {
    // The same error state, tag and feed entry as an auto-send (RecordNoEmail).
    RETURN_IF_ERROR(RecordNoEmail(who, plan));
    return NoEmail();
  }
  ASSIGN_OR_RETURN(plan.package_id, ResolvePackage(who.team, facts.candidate, request.package_id,
                                                   activity_package, &facts.job, facts.team));
  if (request.package_id) {
    // An explicit choice must be one of the team's HR packages.
    ASSIGN_OR_RETURN(CertnPackage package, integrations_.FindPackage(who.team, plan.package_id));
    plan.package_name = package.name;
  }
  return QueueCheck(who, std::move(plan), key);
}

absl::StatusOr<Created<CheckId>> Checks::SendAdHoc(const Principal& who,
                                                   const CandidateId& candidate_id,
                                                   const std::string& package_id,
                                                   const std::optional<IdempotencyKey>& key) {
  absl::StatusOr<Candidate> candidate = InReadTransaction<Candidate>(
      deps_.store, [&](UnitOfWork& uow) { return uow.GetCandidate(who.team, candidate_id); });
  if (!candidate.ok()) return candidate.status();
  absl::StatusOr<bool> connected = integrations_.IsConnected(who.team);
  if (!connected.ok()) return connected.status();
  if (!*connected) {
    return CertnNotConnected();
  }
  SendPlan plan;
  plan.team = who.team;
  plan.candidate = candidate_id;
  plan.trigger = SendTrigger::kAdHoc;
  plan.has_email = candidate->email.has_value();
  if (!plan.has_email) {
    if (auto s = RecordNoEmail(who, plan); !s.ok()) return s;
    return NoEmail();
  }
  absl::StatusOr<CertnPackage> package = integrations_.FindPackage(who.team, package_id);
  if (!package.ok()) return package.status();
  plan.package_id = package_id;
  plan.package_name = package->name;
  return QueueCheck(who, std::move(plan), key);
}

absl::StatusOr<Created<CheckId>> Checks::Reorder(const Principal& who, const CheckId& id,
                                                 const ReorderRequest& request,
                                                 const std::optional<IdempotencyKey>& key) {
  ASSIGN_OR_RETURN(ReorderFacts facts,
                   InReadTransaction<ReorderFacts>(deps_.store, [&](UnitOfWork& uow) {
                     return ReadReorderFacts(uow, who.team, id);
                   }));
  const BackgroundCheck& previous = facts.previous;
  RETURN_IF_ERROR(RequireReorderable(previous));
  if (facts.app) {
    RETURN_IF_ERROR(RequireActive(*facts.app));
  }
  ASSIGN_OR_RETURN(bool connected, integrations_.IsConnected(who.team));
  if (!connected) return CertnNotConnected();
  if (!facts.candidate.email) return NoEmail();
  SendPlan plan;
  plan.team = who.team;
  plan.candidate = previous.candidate;
  plan.application = previous.application;
  plan.activity = previous.activity;
  plan.trigger = previous.application ? SendTrigger::kManual : SendTrigger::kAdHoc;
  plan.has_email = true;
  plan.reordered_from = previous.id;
  plan.reorder_note = ReorderNote(previous);
  if (request.package_id) {
    ASSIGN_OR_RETURN(CertnPackage package,
                     integrations_.FindPackage(who.team, *request.package_id));
    plan.package_id = package.id;
    plan.package_name = package.name;
  } else {
    plan.package_id = previous.package_id;
    plan.package_name = previous.package_name;
  }
  return QueueCheck(who, std::move(plan), key);
}

absl::Status Checks::AutoSend(const StageEntry& entry) {
  ASSIGN_OR_RETURN(AutoSendFacts facts,
                   InReadTransaction<AutoSendFacts>(deps_.store, [&](UnitOfWork& uow) {
                     return ReadAutoSendFacts(uow, entry);
                   }));
  // Moving out and back in never sends a second check while one is active.
  if (facts.active.has_value()) return absl::OkStatus();
  // Nor after this activity's check completed: auto-send runs an activity's
  // check once (another activity's, e.g. a later stage's second package, is
  // its own). Errors and cancellations do not count (adding a missing email
  // and moving again retries).
  if (facts.completed) return absl::OkStatus();
  SendPlan plan;
  plan.team = entry.actor.team;
  plan.application = entry.application;
  plan.activity = entry.activity.id;
  plan.candidate = entry.candidate;
  plan.trigger = SendTrigger::kAutoSend;
  plan.has_email = facts.candidate.email.has_value();
  if (!plan.has_email) {
    RETURN_IF_ERROR(RecordNoEmail(entry.actor, plan));
    return NoEmail();
  }
  absl::StatusOr<std::string> package =
      ResolvePackage(plan.team, facts.candidate, std::nullopt,
                     entry.activity.settings.GetString("package_id"), &facts.job, facts.team);
  if (!package.ok()) {
    RETURN_IF_ERROR(RecordAutoSendFailure(plan, package.status()));
    return package.status();
  }
  plan.package_id = *package;
  absl::StatusOr<Created<CheckId>> queued = QueueCheck(entry.actor, std::move(plan), std::nullopt);
  if (queued.status().code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
  return queued.status();
}

// Visible to the recruiter in the feed, not only in the move's answer.
absl::Status Checks::RecordAutoSendFailure(const SendPlan& plan, const absl::Status& why) {
  return deps_.store.Transact([&](UnitOfWork& uow) {
    return uow.AppendFeedEvent(FeedEvent{
        plan.team, FeedEventId(deps_.ids.NewId()), plan.candidate, plan.application, std::nullopt,
        deps_.clock.Now(), "error", "system", absl::StrCat("Auto-send failed: ", why.message())});
  });
}

}  // namespace stagecheck::certn_plugin
