#include "plugin/certn/checks.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/services/check_events.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "plugin/certn/domain/status_labels.h"
#include "plugin/certn/ports/certn_store.h"

namespace stagecheck::certn_plugin {
namespace {

std::string Actor(const Principal& who) { return "user:" + who.user.value(); }

// An error reason in a recruiter's words (the feed line of a re-order).
std::string_view ReasonWords(std::string_view reason) {
  if (reason == "invite_undeliverable") return "the invitation email bounced";
  if (reason == "applicant_expired") return "the invitation expired";
  if (reason == "no_email") return "the candidate had no email address";
  return "Certn could not complete it";
}

absl::Status NoEmail() {
  return Error(absl::StatusCode::kFailedPrecondition, "no_email",
               "This candidate has no email address, so Certn cannot invite them.");
}

}  // namespace
// Everything a send has decided before it writes.
struct Checks::SendPlan {
  TeamId team;
  CandidateId candidate;
  std::optional<ApplicationId> application;
  std::optional<ActivityId> activity;
  std::string package_id;
  std::string package_name;
  SendTrigger trigger = SendTrigger::kManual;
  bool has_email = false;
  // A re-order: the ended check it replaces, and how that one ended (words).
  std::optional<CheckId> reordered_from;
  std::string reorder_note;
};

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
  SendPlan plan;
  plan.team = who.team;
  plan.application = application_id;
  plan.trigger = SendTrigger::kManual;
  // Read what the decision needs.
  struct Facts {
    Application app;
    Candidate candidate;
    Job job;
    InterviewPlan plan;
    Team team;
    CertnIntegration integration;
  };
  absl::StatusOr<Facts> facts =
      InReadTransaction<Facts>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Facts> {
        Facts f;
        auto app = uow.GetApplication(who.team, application_id);
        if (!app.ok()) return app.status();
        f.app = *std::move(app);
        auto candidate = uow.GetCandidate(who.team, f.app.candidate);
        if (!candidate.ok()) return candidate.status();
        f.candidate = *std::move(candidate);
        auto job = uow.GetJob(who.team, f.app.job);
        if (!job.ok()) return job.status();
        f.job = *std::move(job);
        auto p = uow.GetPlan(who.team, f.app.job);
        if (!p.ok()) return p.status();
        f.plan = *std::move(p);
        auto team = uow.GetTeam(who.team);
        if (!team.ok()) return team.status();
        f.team = *std::move(team);
        auto integration = CertnRows(uow).GetIntegration(who.team);
        if (integration.status().code() == absl::StatusCode::kNotFound) {
          return Error(absl::StatusCode::kFailedPrecondition, "certn_not_connected",
                       "Certn is not connected for this team.");
        }
        if (!integration.ok()) return integration.status();
        f.integration = *std::move(integration);
        return f;
      });
  if (!facts.ok()) return facts.status();
  if (facts->integration.status != ConnectionStatus::kConnected) {
    return Error(absl::StatusCode::kFailedPrecondition, "certn_not_connected",
                 "Certn is not connected for this team.");
  }
  if (facts->app.status != ApplicationStatus::kActive) {
    return Error(absl::StatusCode::kFailedPrecondition, "application_not_active",
                 "Checks can only be sent for an active application.");
  }
  std::optional<std::string> activity_package;
  std::optional<ActivityId> activity = request.activity;
  if (!activity) {
    // No activity named: the plan's Certn activity (the first, if several),
    // so a send from any stage still preselects the plan's package.
    for (const Stage& stage : facts->plan.stages()) {
      for (const Activity& a : stage.activities) {
        if (!activity && a.kind == kKindName) activity = a.id;
      }
    }
  }
  if (activity) {
    const Activity* found = facts->plan.FindActivity(*activity);
    if (found == nullptr) {
      return Error(absl::StatusCode::kNotFound, "activity_not_found",
                   "No such activity in this job's interview plan.");
    }
    if (found->kind != kKindName) {
      return Error(absl::StatusCode::kFailedPrecondition, "not_a_certn_activity",
                   "That activity is not a Certn background check.");
    }
    activity_package = found->settings.GetString("package_id");
    plan.activity = activity;
  }
  plan.candidate = facts->candidate.id;
  plan.has_email = facts->candidate.email.has_value();
  if (!plan.has_email) {
    // The same error state, tag and feed entry as an auto-send (RecordNoEmail).
    if (auto s = RecordNoEmail(who, plan); !s.ok()) return s;
    return NoEmail();
  }
  absl::StatusOr<std::string> package = ResolvePackage(
      who.team, facts->candidate, request.package_id, activity_package, &facts->job, facts->team);
  if (!package.ok()) return package.status();
  plan.package_id = *package;
  if (request.package_id) {
    // An explicit choice must be one of the team's HR packages.
    absl::StatusOr<CertnPackage> package = integrations_.FindPackage(who.team, plan.package_id);
    if (!package.ok()) return package.status();
    plan.package_name = package->name;
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
    return Error(absl::StatusCode::kFailedPrecondition, "certn_not_connected",
                 "Certn is not connected for this team.");
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
  struct Facts {
    BackgroundCheck previous;
    Candidate candidate;
    std::optional<Application> app;
  };
  ASSIGN_OR_RETURN(
      Facts facts,
      InReadTransaction<Facts>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Facts> {
        Facts f;
        ASSIGN_OR_RETURN(f.previous, uow.GetCheck(who.team, id));
        ASSIGN_OR_RETURN(f.candidate, uow.GetCandidate(who.team, f.previous.candidate));
        if (f.previous.application) {
          ASSIGN_OR_RETURN(f.app, uow.GetApplication(who.team, *f.previous.application));
        }
        return f;
      }));
  const BackgroundCheck& previous = facts.previous;
  if (previous.status != CheckStatus::kError && previous.status != CheckStatus::kCancelled) {
    return Error(
        absl::StatusCode::kAborted, "check_not_ended",
        absl::StrCat(
            "Only a background check that ended in error or was cancelled can be re-ordered; "
            "this one is ",
            ToAbsl(StatusName(previous.status)), "."));
  }
  if (facts.app && facts.app->status != ApplicationStatus::kActive) {
    return Error(absl::StatusCode::kFailedPrecondition, "application_not_active",
                 "Checks can only be sent for an active application.");
  }
  ASSIGN_OR_RETURN(bool connected, integrations_.IsConnected(who.team));
  if (!connected) {
    return Error(absl::StatusCode::kFailedPrecondition, "certn_not_connected",
                 "Certn is not connected for this team.");
  }
  if (!facts.candidate.email) return NoEmail();
  SendPlan plan;
  plan.team = who.team;
  plan.candidate = previous.candidate;
  plan.application = previous.application;
  plan.activity = previous.activity;
  plan.trigger = previous.application ? SendTrigger::kManual : SendTrigger::kAdHoc;
  plan.has_email = true;
  plan.reordered_from = previous.id;
  plan.reorder_note =
      previous.status == CheckStatus::kCancelled ? "the previous check was cancelled"
      : previous.error_reason.empty()            ? "the previous check ended in error"
                                      : absl::StrCat("the previous check ended in error: ",
                                                     ToAbsl(ReasonWords(previous.error_reason)));
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
  SendPlan plan;
  plan.team = entry.actor.team;
  plan.application = entry.application;
  plan.activity = entry.activity.id;
  plan.candidate = entry.candidate;
  plan.trigger = SendTrigger::kAutoSend;
  struct Facts {
    Candidate candidate;
    Job job;
    Team team;
    std::optional<BackgroundCheck> active;
    bool completed = false;
  };
  absl::StatusOr<Facts> facts =
      InReadTransaction<Facts>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Facts> {
        Facts f;
        auto c = uow.GetCandidate(plan.team, entry.candidate);
        if (!c.ok()) return c.status();
        f.candidate = *std::move(c);
        auto j = uow.GetJob(plan.team, entry.job);
        if (!j.ok()) return j.status();
        f.job = *std::move(j);
        auto t = uow.GetTeam(plan.team);
        if (!t.ok()) return t.status();
        f.team = *std::move(t);
        auto active = uow.FindActiveCheck(plan.team, entry.application);
        if (!active.ok()) return active.status();
        f.active = *std::move(active);
        auto all = uow.ListChecksForApplication(plan.team, entry.application);
        if (!all.ok()) return all.status();
        f.completed = std::any_of(all->begin(), all->end(), [](const BackgroundCheck& c) {
          return c.status == CheckStatus::kComplete;
        });
        return f;
      });
  if (!facts.ok()) return facts.status();
  // Moving out and back in never sends a second check while one is active.
  if (facts->active.has_value()) return absl::OkStatus();
  // Nor after a check completed: auto-send runs a check once. Errors and
  // cancellations do not count (adding a missing email and moving again retries).
  if (facts->completed) return absl::OkStatus();
  plan.has_email = facts->candidate.email.has_value();
  if (!plan.has_email) {
    if (auto s = RecordNoEmail(entry.actor, plan); !s.ok()) return s;
    return NoEmail();
  }
  absl::StatusOr<std::string> package =
      ResolvePackage(plan.team, facts->candidate, std::nullopt,
                     entry.activity.settings.GetString("package_id"), &facts->job, facts->team);
  if (!package.ok()) {
    // Visible to the recruiter in the feed, not only in the move's answer.
    absl::Status recorded = deps_.store.Transact([&](UnitOfWork& uow) {
      return uow.AppendFeedEvent(
          FeedEvent{plan.team, FeedEventId(deps_.ids.NewId()), plan.candidate, plan.application,
                    std::nullopt, deps_.clock.Now(), "error", "system",
                    absl::StrCat("Auto-send failed: ", package.status().message())});
    });
    if (!recorded.ok()) return recorded;
    return package.status();
  }
  plan.package_id = *package;
  absl::StatusOr<Created<CheckId>> queued = QueueCheck(entry.actor, std::move(plan), std::nullopt);
  if (queued.status().code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
  return queued.status();
}

BackgroundCheck Checks::NewCheck(const Principal& who, const SendPlan& plan, absl::Time now) {
  BackgroundCheck check;
  check.team = plan.team;
  check.id = CheckId(deps_.ids.NewId());
  check.candidate = plan.candidate;
  check.application = plan.application;
  check.activity = plan.activity;
  check.package_id = plan.package_id;
  check.package_name = plan.package_name;
  check.trigger = plan.trigger;
  check.requested_by = who.user;
  check.status = CheckStatus::kQueued;
  check.created_at = now;
  check.updated_at = now;
  check.reordered_from = plan.reordered_from;
  return check;
}

absl::Status Checks::RefuseSecondActiveAdHoc(UnitOfWork& uow, const SendPlan& plan) {
  // Two clicks a few seconds apart (or two recruiters) must not order the
  // same package twice for one candidate. Locking the candidate row first
  // serialises concurrent ad-hoc sends on PostgreSQL (SQLite has one writer).
  absl::StatusOr<Candidate> locked = uow.GetCandidateForUpdate(plan.team, plan.candidate);
  if (!locked.ok()) return locked.status();
  absl::StatusOr<std::vector<BackgroundCheck>> checks =
      uow.ListChecksForCandidate(plan.team, plan.candidate);
  if (!checks.ok()) return checks.status();
  for (const BackgroundCheck& c : *checks) {
    if (!c.application && IsActive(c.status) && c.package_id == plan.package_id) {
      return Error(
          absl::StatusCode::kAlreadyExists, "check_already_active",
          absl::StrCat("This candidate already has an active background check for this package (",
                       c.id.value(), ")."));
    }
  }
  return absl::OkStatus();
}

absl::Status Checks::RecordNoEmail(const Principal& who, const SendPlan& plan) {
  absl::Time now = deps_.clock.Now();
  return deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    absl::StatusOr<Candidate> candidate = uow.GetCandidateForUpdate(plan.team, plan.candidate);
    if (!candidate.ok()) return candidate.status();
    // Lever: the check stays in error so the tab, the tag and the feed show
    // why, whichever way it was sent.
    BackgroundCheck check = NewCheck(who, plan, now);
    check.Transition(CheckStatus::kError, now, std::string(TriggerName(plan.trigger)), "no_email");
    if (auto s = InsertCheckWithEvents(uow, deps_, check); !s.ok()) return s;
    SetStatusTag(*candidate, check);
    candidate->updated_at = now;
    if (auto s = uow.UpdateCandidate(*candidate); !s.ok()) return s;
    return uow.AppendFeedEvent(FeedEvent{
        plan.team, FeedEventId(deps_.ids.NewId()), plan.candidate, plan.application, check.id, now,
        "error", plan.trigger == SendTrigger::kAutoSend ? "system" : Actor(who),
        absl::StrCat("The background check was not sent: ", candidate->first_name, " ",
                     candidate->last_name,
                     " has no email address. Add one to their profile, then send again.")});
  });
}

absl::StatusOr<Created<CheckId>> Checks::QueueCheck(const Principal& who, SendPlan plan,
                                                    const std::optional<IdempotencyKey>& key) {
  if (plan.package_name.empty()) {
    // Stored with the check so that every view names the package a person
    // chose, even after Certn renames or retires it. The list is cached; if
    // Certn cannot say, the order still goes and views fall back to the id.
    absl::StatusOr<CertnPackage> package = integrations_.FindPackage(plan.team, plan.package_id);
    if (package.ok()) plan.package_name = package->name;
  }
  Created<CheckId> created;
  absl::Status status = TransactIdempotent(deps_.store, key, [&](UnitOfWork& uow) -> absl::Status {
    auto earlier = LookupIdempotency(uow, plan.team, key);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      created = {CheckId(**earlier), true};
      return absl::OkStatus();
    }
    if (plan.reordered_from) {
      // One re-order per ended check, however many clicks or recruiters.
      ASSIGN_OR_RETURN(std::vector<BackgroundCheck> all,
                       uow.ListChecksForCandidate(plan.team, plan.candidate));
      for (const BackgroundCheck& c : all) {
        if (c.reordered_from == plan.reordered_from) {
          return Error(absl::StatusCode::kAlreadyExists, "already_reordered",
                       "This background check has already been re-ordered.");
        }
      }
    }
    if (plan.application) {
      auto active = uow.FindActiveCheck(plan.team, *plan.application);
      if (!active.ok()) return active.status();
      if (active->has_value()) {
        return Error(absl::StatusCode::kAlreadyExists, "check_already_active",
                     absl::StrCat("This application already has an active background check (",
                                  (*active)->id.value(), ")."));
      }
    } else if (auto s = RefuseSecondActiveAdHoc(uow, plan); !s.ok()) {
      return s;
    }

    absl::StatusOr<Candidate> candidate = uow.GetCandidateForUpdate(plan.team, plan.candidate);
    if (!candidate.ok()) return candidate.status();
    absl::Time now = deps_.clock.Now();
    BackgroundCheck check = NewCheck(who, plan, now);
    if (auto s = InsertCheckWithEvents(uow, deps_, check); !s.ok()) return s;
    if (auto s = EnqueueWork(uow, plan.team, kWorkOrder, check.id, now); !s.ok()) return s;
    SetStatusTag(*candidate, check);
    candidate->updated_at = now;
    if (auto s = uow.UpdateCandidate(*candidate); !s.ok()) return s;
    // "Requested", not "sent": Certn has not received it yet (the next feed
    // entry says when it has, or why it could not).
    std::string why = plan.reordered_from ? "re-ordered (" + plan.reorder_note + ")"
                      : plan.trigger == SendTrigger::kManual ? "requested from the application"
                      : plan.trigger == SendTrigger::kAutoSend
                          ? "requested automatically on stage entry"
                          : "requested from the candidate profile";
    std::string package = plan.package_name.empty() ? "a background check" : plan.package_name;
    if (auto s = Feed(uow, check, plan.reordered_from ? "check_reordered" : "check_sent",
                      plan.trigger == SendTrigger::kAutoSend ? "system" : Actor(who),
                      absl::StrCat("Background check (", package, ") ", why, "."));
        !s.ok()) {
      return s;
    }
    created = {check.id, false};
    return RememberIdempotency(uow, plan.team, key, 202, check.id.value(), now);
  });
  if (!status.ok()) return status;
  if (!created.replayed) Notify();
  return created;
}

absl::StatusOr<BackgroundCheck> Checks::Get(const Principal& who, const CheckId& id) {
  return InReadTransaction<BackgroundCheck>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<BackgroundCheck> {
        ASSIGN_OR_RETURN(BackgroundCheck check, uow.GetCheck(who.team, id));
        RETURN_IF_ERROR(CheckLifecycle(deps_).Describe(uow, {&check}));
        return check;
      });
}

absl::StatusOr<Checks::Loaded> Checks::Load(const TeamId& team, const CheckId& id) {
  return InReadTransaction<Loaded>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Loaded> {
    Loaded l;
    auto check = uow.GetCheck(team, id);
    if (!check.ok()) return check.status();
    l.check = *std::move(check);
    auto integration = CertnRows(uow).GetIntegration(team);
    if (!integration.ok()) return integration.status();
    l.integration = *std::move(integration);
    auto candidate = uow.GetCandidate(team, l.check.candidate);
    if (!candidate.ok()) return candidate.status();
    l.candidate = *std::move(candidate);
    return l;
  });
}

absl::StatusOr<BackgroundCheck> Checks::Refresh(const Principal& who, const CheckId& id) {
  absl::StatusOr<Loaded> loaded = Load(who.team, id);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->check.external_id) {
    return Error(absl::StatusCode::kFailedPrecondition, "not_ordered_yet",
                 "Certn has not confirmed this order yet; try again shortly.");
  }
  absl::StatusOr<CertnCredentials> creds = integrations_.Credentials(loaded->integration);
  if (!creds.ok()) return creds.status();
  absl::StatusOr<CertnCase> certn_case = gateway_.GetCase(*creds, *loaded->check.external_id);
  if (!certn_case.ok()) return FromCertn(certn_case.status());
  return InTransaction<BackgroundCheck>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<BackgroundCheck> {
        auto check = uow.GetCheckForUpdate(who.team, id);
        if (!check.ok()) return check.status();
        auto applied = ApplyCase(uow, *check, *certn_case, "refresh:user:" + who.user.value());
        if (!applied.ok()) return applied.status();
        return check;
      });
}

absl::StatusOr<InlineReport> Checks::Report(const Principal& who, const CheckId& id) {
  return InReadTransaction<InlineReport>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<InlineReport> {
        auto check = uow.GetCheck(who.team, id);
        if (!check.ok()) return check.status();
        if (check->status != CheckStatus::kComplete) {
          return Error(absl::StatusCode::kFailedPrecondition, "report_not_ready",
                       "The report is available once the check is complete.");
        }
        auto candidate = uow.GetCandidate(who.team, check->candidate);
        if (!candidate.ok()) return candidate.status();
        return InlineReport{*std::move(check), *std::move(candidate)};
      });
}

void Checks::SetStatusTag(Candidate& candidate, const BackgroundCheck& check) {
  candidate.RemoveTagsWithPrefix(kLeverTagPrefix);
  candidate.tags.emplace_back(LabelsFor(check.status, check.error_reason).lever_tag);
}

absl::Status Checks::Feed(UnitOfWork& uow, const BackgroundCheck& check, std::string type,
                          std::string actor, std::string message) {
  return uow.AppendFeedEvent(FeedEvent{check.team, FeedEventId(deps_.ids.NewId()), check.candidate,
                                       check.application, check.id, deps_.clock.Now(),
                                       std::move(type), std::move(actor), std::move(message)});
}

absl::Status Checks::EnqueueWork(UnitOfWork& uow, const TeamId& team, std::string_view kind,
                                 const CheckId& check, absl::Time run_at) {
  WorkItem item;
  item.team = team;
  item.id = WorkItemId(deps_.ids.NewId());
  item.kind = std::string(kind);
  item.subject = check.value();
  item.dedupe_key = absl::StrCat(ToAbsl(kind), ":", check.value());
  item.run_at = run_at;
  return uow.EnqueueWork(item);
}

std::string Checks::ResultsUrl(const BackgroundCheck& check, const CertnCase& certn_case) const {
  // A page a person can open in a browser: Certn's own page when the case
  // names one on Certn's web host, otherwise the console's page for the check
  // (it asks for a sign-in). Never an API address, which needs a header: the
  // case's report_url may be one (an API download), so only https pages of
  // Certn's client portal are taken as they are.
  if (certn_case.report_url &&
      absl::StartsWith(*certn_case.report_url, "https://client.certn.co/")) {
    return *certn_case.report_url;
  }
  std::string base = integrations_.config().public_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return absl::StrCat(base, "/checks/", check.id.value());
}

absl::StatusOr<TransitionOutcome> Checks::ApplyCase(UnitOfWork& uow, BackgroundCheck& check,
                                                    const CertnCase& certn_case,
                                                    const std::string& source) {
  absl::Time now = deps_.clock.Now();
  CheckStatus before = check.status;
  if (!check.external_id) {
    check.external_id = certn_case.id;
    check.ordered_at = now;
  }
  if (!certn_case.short_id.empty()) check.external_short_id = certn_case.short_id;
  check.external_status = certn_case.overall_status;
  // null until Certn scores the case; a score once given is not forgotten.
  if (certn_case.overall_score) check.overall_score = certn_case.overall_score;
  if (!certn_case.overall_status_known) {
    // docs/certn-api.md: mapped to in_progress, logged and counted, never a failure.
    deps_.log.Log(LogLevel::kWarning, "certn.unknown_status",
                  {{"team", check.team.value()},
                   {"check", check.id.value()},
                   {"overall_status", certn_case.overall_status.substr(0, 64)}});
    deps_.metrics.Increment("stagecheck_certn_unknown_status_total", "");
  }
  check.results_url = ResultsUrl(check, certn_case);
  if (certn_case.report_file_id) check.report_file_id = certn_case.report_file_id;
  check.results.clear();
  for (const CertnCheckResult& r : certn_case.checks) {
    check.results.push_back(CheckResult{r.check_type, r.status, r.result, r.completed});
  }
  // Certn's CANCELLED after a person asked for it is their cancel.
  const bool user_cancel = certn_case.status == CheckStatus::kCancelled && check.CancelRequested();
  TransitionOutcome outcome =
      check.Transition(certn_case.status, now, source,
                       user_cancel ? std::string(kCancelledByUser) : certn_case.error_reason);
  check.updated_at = now;
  if (outcome == TransitionOutcome::kApplied) {
    if (certn_case.status == CheckStatus::kComplete && certn_case.completed) {
      check.completed_at = certn_case.completed;
    }
    absl::StatusOr<Candidate> candidate = uow.GetCandidateForUpdate(check.team, check.candidate);
    if (!candidate.ok()) return candidate.status();
    SetStatusTag(*candidate, check);
    candidate->updated_at = now;
    if (auto s = uow.UpdateCandidate(*candidate); !s.ok()) return s;
    StatusLabels labels = LabelsFor(check.status, check.error_reason);
    std::string type = check.status == CheckStatus::kInProgress ? "candidate_started"
                       : check.status == CheckStatus::kError    ? "error"
                                                                : "status_changed";
    std::string message = absl::StrCat("Certn status: ", ToAbsl(labels.gem), " (was ",
                                       ToAbsl(LabelsFor(before).gem), ")");
    if (check.status == CheckStatus::kError)
      absl::StrAppend(&message, ", reason ", check.error_reason);
    std::string actor = "certn";
    if (user_cancel) {
      type = "cancelled";
      if (check.cancel_requested_by) actor = "user:" + check.cancel_requested_by->value();
      message =
          absl::StrCat("Background check (",
                       check.package_name.empty() ? "Certn" : check.package_name, ") cancelled");
      if (!check.cancel_reason.empty())
        absl::StrAppend(&message, ". Reason: ", check.cancel_reason);
    }
    if (auto s = Feed(uow, check, type, actor, message + "."); !s.ok()) return s;
  }
  // The report is requested, not automatic (docs/certn-api.md, in
  // docs/architecture.md "Report"): generate-report once, on the transition
  // to complete (the status machine applies it once per check); once a
  // fetch shows the generated file, download it.
  if (check.status == CheckStatus::kComplete && !check.report_saved_as) {
    if (check.report_file_id) {
      if (auto s = EnqueueWork(uow, check.team, kWorkDownloadReport, check.id, now); !s.ok())
        return s;
    } else if (outcome == TransitionOutcome::kApplied) {
      if (auto s = EnqueueWork(uow, check.team, kWorkGenerateReport, check.id, now); !s.ok())
        return s;
    }
  }
  if (auto s = UpdateCheckWithEvents(uow, deps_, check); !s.ok()) return s;
  RETURN_IF_ERROR(AfterCase(uow, check, certn_case, outcome));
  return outcome;
}

absl::Status Checks::RunOrder(const WorkItem& item) {
  CheckId id(item.subject);
  absl::StatusOr<Loaded> loaded = Load(item.team, id);
  if (!loaded.ok()) return loaded.status();
  if (loaded->check.status != CheckStatus::kQueued) {
    // Cancelled before Certn answered: an earlier attempt of this order may
    // have created the case all the same (a timeout), so it is placed again
    // under the same reference (Certn answers the case it made, if any) and
    // the answer's case is cancelled below. A first attempt reached no one.
    const BackgroundCheck& c = loaded->check;
    const bool may_exist = c.CancelRequested() && !c.external_id && item.attempts > 1;
    if (!may_exist) return absl::OkStatus();  // done before a crash, or nothing at Certn
  }
  absl::StatusOr<CertnCredentials> creds = integrations_.Credentials(loaded->integration);
  if (!creds.ok()) return creds.status();
  CertnOrder order{loaded->check.package_id, loaded->candidate.email.value_or(""),
                   loaded->candidate.first_name, loaded->candidate.last_name,
                   // Our idempotency reference: a retried order never makes a second case.
                   loaded->check.id.value()};
  absl::StatusOr<CertnCase> certn_case = gateway_.OrderPackage(*creds, order);
  if (!certn_case.ok() && IsTransient(certn_case.status())) return certn_case.status();
  return deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    absl::StatusOr<BackgroundCheck> check = uow.GetCheckForUpdate(item.team, id);
    if (!check.ok()) return check.status();
    if (!certn_case.ok()) {
      // Permanent: Certn refused the order. The check ends with the reason.
      std::string reason = ErrorCode(certn_case.status());
      check->Transition(CheckStatus::kError, deps_.clock.Now(), "order", reason);
      if (auto s = Feed(uow, *check, "error", "certn",
                        absl::StrCat("Certn refused the order: ", certn_case.status().message()));
          !s.ok()) {
        return s;
      }
      return UpdateCheckWithEvents(uow, deps_, *check);
    }
    check->waiting_reason.clear();  // sent: whatever it waited for is over
    check->waiting_until.reset();
    auto applied = ApplyCase(uow, *check, *certn_case, "order");
    if (!applied.ok()) return applied.status();
    if (check->CancelRequested()) {
      // Cancelled while the order was in flight: Certn now has a case to cancel.
      RETURN_IF_ERROR(EnqueueWork(uow, item.team, kWorkCancel, check->id, deps_.clock.Now()));
    }
    // Deliveries that raced our own order's commit are adopted now.
    auto orphans = uow.ListOrphans(item.team, certn_case->id);
    if (!orphans.ok()) return orphans.status();
    for (const WebhookDelivery& orphan : *orphans) {
      if (auto s = uow.UpdateDeliveryVerdict(item.team, orphan.delivery_id,
                                             DeliveryVerdict::kApplied, check->id);
          !s.ok()) {
        return s;
      }
    }
    if (!orphans->empty()) {
      // The orphans may describe a newer state than the order's answer.
      return EnqueueWork(uow, item.team, kWorkFetchCase, check->id, deps_.clock.Now());
    }
    return absl::OkStatus();
  });
}

absl::Status Checks::RunFetch(const WorkItem& item) {
  CheckId id(item.subject);
  absl::StatusOr<Loaded> loaded = Load(item.team, id);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->check.external_id) return absl::OkStatus();  // the order will apply the case
  // Complete (forward-only: nothing follows) with its report saved: a fetch
  // could change nothing (the report-ready fallback, a late event).
  if (loaded->check.status == CheckStatus::kComplete && loaded->check.report_saved_as)
    return absl::OkStatus();
  absl::StatusOr<CertnCredentials> creds = integrations_.Credentials(loaded->integration);
  if (!creds.ok()) return creds.status();
  absl::StatusOr<CertnCase> certn_case = gateway_.GetCase(*creds, *loaded->check.external_id);
  if (!certn_case.ok()) return certn_case.status();
  return deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    absl::StatusOr<BackgroundCheck> check = uow.GetCheckForUpdate(item.team, id);
    if (!check.ok()) return check.status();
    return ApplyCase(uow, *check, *certn_case, "fetch").status();
  });
}

absl::Status Checks::RunGenerateReport(const WorkItem& item) {
  absl::StatusOr<Loaded> loaded = Load(item.team, CheckId(item.subject));
  if (!loaded.ok()) return loaded.status();
  if (!loaded->check.external_id || loaded->check.report_file_id) return absl::OkStatus();
  absl::StatusOr<CertnCredentials> creds = integrations_.Credentials(loaded->integration);
  if (!creds.ok()) return creds.status();
  if (auto s = gateway_.GenerateReport(*creds, *loaded->check.external_id); !s.ok()) return s;
  // Certn answers later with CASE_REPORT_READY, whose webhook fetches the
  // case. Should that delivery be lost, one later fetch finds the file.
  // Its own dedupe key: a pending twin keeps its run_at, and this later
  // fetch must not hold back the one the webhook asks for.
  WorkItem fallback;
  fallback.team = item.team;
  fallback.id = WorkItemId(deps_.ids.NewId());
  fallback.kind = std::string(kWorkFetchCase);
  fallback.subject = loaded->check.id.value();
  fallback.dedupe_key = absl::StrCat(ToAbsl(kWorkFetchCase), ":report:", fallback.subject);
  fallback.run_at = deps_.clock.Now() + integrations_.config().report_ready_fallback;
  return deps_.store.Transact([&](UnitOfWork& uow) { return uow.EnqueueWork(fallback); });
}

absl::Status Checks::RunDownload(const WorkItem& item) {
  CheckId id(item.subject);
  absl::StatusOr<Loaded> loaded = Load(item.team, id);
  if (!loaded.ok()) return loaded.status();
  const BackgroundCheck& check = loaded->check;
  if (check.report_saved_as || !check.report_file_id) return absl::OkStatus();
  absl::StatusOr<CertnCredentials> creds = integrations_.Credentials(loaded->integration);
  if (!creds.ok()) return creds.status();
  // Each attempt asks Certn for a fresh short-lived URL (inside the
  // gateway), so a download that failed or expired is simply retried.
  absl::StatusOr<std::string> pdf = gateway_.DownloadReport(
      *creds, *check.report_file_id, integrations_.config().max_report_bytes);
  if (!pdf.ok()) return pdf.status();
  if (pdf->rfind("%PDF-", 0) != 0) {
    return Error(absl::StatusCode::kDataLoss, "report_not_pdf", "Certn's report file is not a PDF");
  }
  return deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    absl::StatusOr<BackgroundCheck> fresh = uow.GetCheckForUpdate(item.team, id);
    if (!fresh.ok()) return fresh.status();
    if (fresh->report_saved_as) return absl::OkStatus();
    absl::Time now = deps_.clock.Now();
    CandidateFile file;
    file.team = item.team;
    file.id = FileId(deps_.ids.NewId());
    file.candidate = fresh->candidate;
    file.name =
        absl::StrCat("Certn_Report_",
                     fresh->external_short_id.value_or(fresh->external_id.value_or("")), ".pdf");
    file.content_type = "application/pdf";
    file.size = static_cast<int64_t>(pdf->size());
    file.sha256_hex = HexEncode(deps_.crypto.Sha256(*pdf));
    file.created_at = now;
    if (auto s = uow.InsertFile(file, *pdf); !s.ok()) return s;
    fresh->report_saved_as = file.id;
    fresh->updated_at = now;
    if (auto s = UpdateCheckWithEvents(uow, deps_, *fresh); !s.ok()) return s;
    return Feed(uow, *fresh, "report_saved", "system",
                absl::StrCat("Report saved to the candidate's files as ", file.name, "."));
  });
}

void Checks::WorkDeferred(const WorkItem& item, const absl::Status& why, absl::Time until) {
  const std::string reason = ErrorCode(why);
  if (item.kind != kWorkOrder || reason != kDailyLimitCode) return;  // a minute's wait is not news
  absl::Status recorded = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    ASSIGN_OR_RETURN(BackgroundCheck check,
                     uow.GetCheckForUpdate(item.team, CheckId(item.subject)));
    if (check.status != CheckStatus::kQueued) return absl::OkStatus();
    const bool already_said = check.waiting_reason == reason;
    check.waiting_reason = reason;
    check.waiting_until = until;
    RETURN_IF_ERROR(UpdateCheckWithEvents(uow, deps_, check));
    if (already_said) return absl::OkStatus();
    return Feed(uow, check, "waiting", "system",
                absl::StrCat("Certn's daily limit is reached; the background check (",
                             check.package_name.empty() ? "Certn" : check.package_name,
                             ") will be sent when it resets at 00:00 UTC."));
  });
  if (!recorded.ok()) {
    deps_.log.Log(LogLevel::kWarning, "work.wait_not_recorded",
                  {{"error", ToStd(recorded.message())}});
  }
}

void Checks::WorkFailed(const WorkItem& item, const absl::Status& error) {
  if (item.kind == kWorkReadEvents) {
    // No check to mark (RunReadEvents always defers itself; this is a guard).
    deps_.log.Log(LogLevel::kWarning, "certn.reconcile_failed",
                  {{"team", item.team.value()},
                   {"code", ErrorCode(error)},
                   {"error", ToStd(error.message())}});
    return;
  }
  absl::Status recorded = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    absl::StatusOr<BackgroundCheck> check = uow.GetCheckForUpdate(item.team, CheckId(item.subject));
    if (!check.ok()) return check.status();
    std::string what = item.kind == kWorkOrder       ? "order"
                       : item.kind == kWorkFetchCase ? "status update"
                       : item.kind == kWorkCancel    ? "cancellation"
                                                     : "report";
    if (item.kind == kWorkOrder) {
      check->Transition(CheckStatus::kError, deps_.clock.Now(), "order", ErrorCode(error));
      if (auto s = UpdateCheckWithEvents(uow, deps_, *check); !s.ok()) return s;
    } else if (item.kind == kWorkCancel) {
      // The intent is dropped so the check does not read "cancelling" for
      // ever; the recruiter may ask again.
      if (IsActive(check->status)) {
        check->cancel_requested_at.reset();
        check->cancel_requested_by.reset();
        check->cancel_reason.clear();
        check->updated_at = deps_.clock.Now();
        if (auto s = UpdateCheckWithEvents(uow, deps_, *check); !s.ok()) return s;
      }
    } else if (item.kind == kWorkDownloadReport || item.kind == kWorkGenerateReport) {
      check->error_reason = "report_failed: " + ErrorCode(error);
      check->updated_at = deps_.clock.Now();
      if (auto s = UpdateCheckWithEvents(uow, deps_, *check); !s.ok()) return s;
    }
    return Feed(uow, *check, "error", "system",
                absl::StrCat("Certn ", what, " failed: ", error.message()));
  });
  if (!recorded.ok()) {
    deps_.log.Log(LogLevel::kError, "work.failure_not_recorded",
                  {{"error", ToStd(recorded.message())}});
  }
}

absl::StatusOr<int> Checks::Reconcile() {
  constexpr int kIntegrationsPerRead = 100;
  int looked_at = 0;
  std::optional<TeamId> after;
  const absl::Time now = deps_.clock.Now();
  for (;;) {
    absl::StatusOr<std::vector<CertnIntegration>> batch =
        InReadTransaction<std::vector<CertnIntegration>>(deps_.store, [&](UnitOfWork& uow) {
          return CertnRows(uow).ListConnectedIntegrations(after, kIntegrationsPerRead);
        });
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    // Connecting adds the read item; this is the safety net (AlreadyExists:
    // the team's reads run already, whenever they are due next).
    absl::Status queued = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
      for (const CertnIntegration& integration : *batch) {
        absl::Status s = uow.EnqueueWork(EventFeedReadItem(integration.team, now));
        if (!s.ok() && s.code() != absl::StatusCode::kAlreadyExists) return s;
      }
      return absl::OkStatus();
    });
    if (!queued.ok()) return queued;
    looked_at += static_cast<int>(batch->size());
    if (static_cast<int>(batch->size()) < kIntegrationsPerRead) break;
    after = batch->back().team;
  }
  return looked_at;
}

absl::Status Checks::RunReadEvents(const WorkItem& item) {
  absl::Duration wait = integrations_.config().reconcile_interval;
  absl::StatusOr<CertnIntegration> integration = InReadTransaction<CertnIntegration>(
      deps_.store, [&](UnitOfWork& uow) { return CertnRows(uow).GetIntegration(item.team); });
  // Not connected (now): nothing to read this interval, but the item stays,
  // so reads resume by themselves once the key is fixed.
  absl::StatusOr<int> fetches = 0;
  if (!integration.ok()) {
    if (integration.status().code() != absl::StatusCode::kNotFound) fetches = integration.status();
  } else if (integration->status == ConnectionStatus::kConnected) {
    fetches = ReconcileIntegration(*integration);
  }
  if (fetches.ok() && *fetches > 0) Notify();
  if (!fetches.ok()) {
    // Rate limited, Certn unreachable, the store busy: never the item's end
    // (one item per team, or there would be none); the next read, an
    // interval (or the asked Retry-After) later, starts from the same cursor.
    deps_.log.Log(LogLevel::kWarning, "certn.reconcile_failed",
                  {{"team", item.team.value()},
                   {"code", ErrorCode(fetches.status())},
                   {"error", ToStd(fetches.status().message())}});
    wait = std::max(wait, RetryAfterOf(fetches.status()).value_or(absl::ZeroDuration()));
  }
  // The worker defers this same item (no new row, no attempt used) to the next read.
  return WithRetryAfter(Error(absl::StatusCode::kUnavailable, "next_read_scheduled",
                              "the event feed is read again at the next interval"),
                        wait);
}

absl::StatusOr<int> Checks::ReconcileIntegration(const CertnIntegration& integration) {
  absl::StatusOr<CertnCredentials> creds = integrations_.Credentials(integration);
  if (!creds.ok()) return creds.status();
  absl::StatusOr<CertnEventsRead> read = gateway_.ListEvents(
      *creds, integration.events_cursor, integrations_.config().events_max_pages);
  if (!read.ok()) {
    const absl::StatusCode code = read.status().code();
    // Rate limited or unreachable: worth trying again next interval.
    if (code != absl::StatusCode::kUnimplemented && code != absl::StatusCode::kDataLoss)
      return read.status();
    NoteFeed(integration.team, read.status());
    return EnqueueQuietChecks(integration.team);
  }
  NoteFeed(integration.team, absl::OkStatus());
  const PluginConfig& config = integrations_.config();
  const absl::Time now = deps_.clock.Now();
  // Only the events older than events_grace are taken (and the cursor moves
  // past them): a younger one's webhook may still be on its way.
  auto young = std::find_if(read->events.begin(), read->events.end(), [&](const CertnEvent& e) {
    return e.created && *e.created > now - config.events_grace;
  });
  read->events.erase(young, read->events.end());
  // History older than reconcile_after (the account's past on a first read,
  // or a backlog after a long outage) is not replayed event by event: a
  // check it names has been fetched since, or has been quiet that long, and
  // the quiet checks are fetched once instead, as the first read (no cursor
  // yet) always does. So a first read starts from the recent end of the feed.
  const absl::Time horizon = now - config.reconcile_after;
  bool fetch_quiet = !integration.events_cursor.has_value();
  size_t skipped = 0;
  const std::string cursor =
      read->events.empty() ? integration.events_cursor.value_or("") : read->events.back().id;
  int queued = 0;
  absl::Status stored = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    queued = 0;
    skipped = 0;
    std::set<std::string> seen;
    for (const CertnEvent& event : read->events) {
      if (event.created && *event.created < horizon) {
        ++skipped;
        continue;
      }
      if (!event.case_id) continue;
      // Delivered as a webhook (a delivery's id is its event's id [guess]):
      // that delivery already asked for its fetch.
      absl::StatusOr<WebhookDelivery> delivered = uow.GetDelivery(integration.team, event.id);
      if (delivered.ok()) continue;
      if (delivered.status().code() != absl::StatusCode::kNotFound) return delivered.status();
      if (!seen.insert(*event.case_id).second) continue;
      absl::StatusOr<BackgroundCheck> check = uow.FindCheckByExternalId(*event.case_id);
      if (check.status().code() == absl::StatusCode::kNotFound) continue;  // not a case we ordered
      if (!check.ok()) return check.status();
      if (check->team != integration.team) continue;
      // Open, or complete with its report still to fetch.
      const bool wanted = IsActive(check->status) ||
                          (check->status == CheckStatus::kComplete && !check->report_saved_as);
      if (!wanted) continue;
      // The webhook's own deduplicated fetch: a burst of events and
      // deliveries for one case is one fetch.
      if (auto s = EnqueueWork(uow, check->team, kWorkFetchCase, check->id, now); !s.ok()) return s;
      ++queued;
    }
    if (integration.events_cursor == cursor) return absl::OkStatus();
    return CertnRows(uow).AdvanceEventsCursor(integration.team, integration.events_cursor, cursor);
  });
  // Another replica read the same events and advanced the cursor first: its
  // fetches are queued, this read's were rolled back.
  if (stored.code() == absl::StatusCode::kAborted) return 0;
  if (!stored.ok()) return stored;
  if (!integration.events_cursor.has_value()) {
    deps_.log.Log(
        LogLevel::kInfo, "certn.events_feed.started",
        {{"team", integration.team.value()}, {"old_events_skipped", absl::StrCat(skipped)}});
  }
  fetch_quiet = fetch_quiet || skipped > 0;
  if (fetch_quiet) {
    absl::StatusOr<int> quiet = EnqueueQuietChecks(integration.team);
    if (!quiet.ok()) return quiet.status();
    queued += *quiet;
  }
  return queued;
}

absl::StatusOr<int> Checks::EnqueueQuietChecks(const TeamId& team) {
  const absl::Time now = deps_.clock.Now();
  const PluginConfig& config = integrations_.config();
  return InTransaction<int>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<int> {
    auto quiet =
        uow.ListQuietChecksOfTeam(team, now - config.reconcile_after, config.reconcile_batch);
    if (!quiet.ok()) return quiet.status();
    for (const BackgroundCheck& check : *quiet) {
      if (auto s = EnqueueWork(uow, check.team, kWorkFetchCase, check.id, now); !s.ok()) return s;
    }
    return static_cast<int>(quiet->size());
  });
}

void Checks::NoteFeed(const TeamId& team, const absl::Status& feed) {
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(feed_mu_);
    changed = feed.ok() ? feed_unavailable_.erase(team) > 0 : feed_unavailable_.insert(team).second;
  }
  if (!feed.ok()) deps_.metrics.Increment("stagecheck_certn_events_fallback_total", "");
  if (!changed) return;
  if (feed.ok()) {
    deps_.log.Log(LogLevel::kInfo, "certn.events_feed.available", {{"team", team.value()}});
  } else {
    deps_.log.Log(LogLevel::kWarning, "certn.events_feed.unavailable",
                  {{"team", team.value()},
                   {"code", ErrorCode(feed)},
                   {"error", ToStd(feed.message())},
                   {"fallback", "quiet case fetches"}});
  }
}

}  // namespace stagecheck::certn_plugin
