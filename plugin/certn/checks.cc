#include "plugin/certn/checks.h"

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/services/check_events.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "plugin/certn/domain/status_labels.h"
#include "plugin/certn/ports/certn_store.h"
#include "plugin/certn/send_plan.h"

namespace stagecheck::certn_plugin {

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

namespace {

// The feed line of a queued check: "Requested", not "sent", since Certn has
// not received it yet (the next feed entry says when it has, or why not).
std::string RequestedLine(const Checks::SendPlan& plan) {
  std::string why = plan.reordered_from ? "re-ordered (" + plan.reorder_note + ")"
                    : plan.trigger == SendTrigger::kManual ? "requested from the application"
                    : plan.trigger == SendTrigger::kAutoSend
                        ? "requested automatically on stage entry"
                        : "requested from the candidate profile";
  std::string package = plan.package_name.empty() ? "a background check" : plan.package_name;
  return absl::StrCat("Background check (", package, ") ", why, ".");
}

}  // namespace

absl::Status Checks::RefuseDuplicate(UnitOfWork& uow, const SendPlan& plan) {
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
  if (!plan.application) return RefuseSecondActiveAdHoc(uow, plan);
  ASSIGN_OR_RETURN(std::optional<BackgroundCheck> active,
                   uow.FindActiveCheck(plan.team, *plan.application));
  if (!active) return absl::OkStatus();
  return Error(absl::StatusCode::kAlreadyExists, "check_already_active",
               absl::StrCat("This application already has an active background check (",
                            active->id.value(), ")."));
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
  std::optional<WorkItem> handed;  // the order, claimed in this transaction
  absl::Status status = TransactIdempotent(deps_.store, key, [&](UnitOfWork& uow) -> absl::Status {
    handed.reset();  // a retried transaction starts over
    ASSIGN_OR_RETURN(std::optional<std::string> earlier, LookupIdempotency(uow, plan.team, key));
    if (earlier) {
      created = {CheckId(*earlier), true};
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(RefuseDuplicate(uow, plan));
    ASSIGN_OR_RETURN(Candidate candidate, uow.GetCandidateForUpdate(plan.team, plan.candidate));
    absl::Time now = deps_.clock.Now();
    BackgroundCheck check = NewCheck(who, plan, now);
    RETURN_IF_ERROR(InsertCheckWithEvents(uow, deps_, check));
    WorkItem order = NewWork(plan.team, kWorkOrder, check.id, now);
    RETURN_IF_ERROR(uow.EnqueueWork(order));
    if (runner_ != nullptr) {
      ASSIGN_OR_RETURN(handed, runner_->ClaimQueued(uow, order));
    }
    SetStatusTag(candidate, check);
    candidate.updated_at = now;
    RETURN_IF_ERROR(uow.UpdateCandidate(candidate));
    RETURN_IF_ERROR(Feed(uow, check, plan.reordered_from ? "check_reordered" : "check_sent",
                         plan.trigger == SendTrigger::kAutoSend ? "system" : Actor(who),
                         RequestedLine(plan)));
    created = {check.id, false};
    return RememberIdempotency(uow, plan.team, key, 202, check.id.value(), now);
  });
  if (!status.ok()) return status;
  if (handed) {
    runner_->Hand(*std::move(handed));
  } else if (!created.replayed) {
    Notify();
  }
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

absl::StatusOr<Checks::Loaded> Checks::Load(const TeamId& team, const CheckId& id,
                                            bool with_candidate) {
  return InReadTransaction<Loaded>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Loaded> {
    Loaded l;
    auto check = uow.GetCheck(team, id);
    if (!check.ok()) return check.status();
    l.check = *std::move(check);
    auto integration = CertnRows(uow).GetIntegration(team);
    if (!integration.ok()) return integration.status();
    l.integration = *std::move(integration);
    if (with_candidate) {
      auto candidate = uow.GetCandidate(team, l.check.candidate);
      if (!candidate.ok()) return candidate.status();
      l.candidate = *std::move(candidate);
    }
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
        auto applied = ApplyCase(uow, *check, *certn_case, "refresh:user:" + who.user.value(),
                                 CheckRow::kAsStored);
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
  return uow.EnqueueWork(NewWork(team, kind, check, run_at));
}

WorkItem Checks::NewWork(const TeamId& team, std::string_view kind, const CheckId& check,
                         absl::Time run_at) {
  WorkItem item;
  item.team = team;
  item.id = WorkItemId(deps_.ids.NewId());
  item.kind = std::string(kind);
  item.subject = check.value();
  item.dedupe_key = absl::StrCat(ToAbsl(kind), ":", check.value());
  item.run_at = run_at;
  return item;
}

}  // namespace stagecheck::certn_plugin
