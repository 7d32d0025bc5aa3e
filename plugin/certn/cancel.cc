// Cancelling a check (docs/architecture.md, "Cancel and re-order"). The
// request writes the intent and a certn.cancel work item in one transaction;
// the worker calls Certn with the item's lease. Certn's cancel is idempotent
// for an already-cancelled case, so a crash between the call and the commit
// only repeats a harmless call; the dedupe key keeps one pending cancel per
// check, and a cancel that reached Certn is recorded before the item is done.
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/services/check_events.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "plugin/certn/checks.h"

namespace stagecheck::certn_plugin {
namespace {

std::string PackageWords(const BackgroundCheck& check) {
  return check.package_name.empty() ? "Certn" : check.package_name;
}

std::string WithReason(std::string message, const std::string& reason) {
  if (!reason.empty()) absl::StrAppend(&message, " Reason: ", reason);
  return message;
}

}  // namespace

absl::StatusOr<BackgroundCheck> Checks::Cancel(const Principal& who, const CheckId& id,
                                               const CancelRequest& request) {
  bool queued_work = false;
  absl::StatusOr<BackgroundCheck> result = InTransaction<BackgroundCheck>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<BackgroundCheck> {
        queued_work = false;
        ASSIGN_OR_RETURN(BackgroundCheck check, uow.GetCheckForUpdate(who.team, id));
        // Asked before (a retried request, a second click): the same answer.
        if (check.CancelRequested() &&
            (IsActive(check.status) || check.error_reason == kCancelledByUser)) {
          return check;
        }
        if (check.status == CheckStatus::kComplete) {
          return Error(
              absl::StatusCode::kAborted, "check_complete",
              "Certn has already completed this background check (status complete); it cannot be "
              "cancelled.");
        }
        if (IsTerminal(check.status)) {
          return Error(absl::StatusCode::kAborted, "check_ended",
                       absl::StrCat("This background check has already ended (status ",
                                    ToAbsl(StatusName(check.status)),
                                    check.error_reason.empty() ? "" : ", reason ",
                                    check.error_reason, "); there is nothing to cancel."));
        }
        absl::Time now = deps_.clock.Now();
        check.cancel_requested_at = now;
        check.cancel_requested_by = who.user;
        check.cancel_reason = request.reason;
        check.updated_at = now;
        if (!check.external_id) {
          // Certn has not answered the order: nothing to ask it. Should the
          // order be in flight, RunOrder cancels the case it gets.
          RETURN_IF_ERROR(EndCancelled(uow, check, "cancel:user:" + who.user.value()));
          return check;
        }
        RETURN_IF_ERROR(UpdateCheckWithEvents(uow, deps_, check));
        RETURN_IF_ERROR(EnqueueWork(uow, check.team, kWorkCancel, check.id, now));
        queued_work = true;
        RETURN_IF_ERROR(Feed(
            uow, check, "cancel_requested", "user:" + who.user.value(),
            WithReason(absl::StrCat("Cancellation of the background check (", PackageWords(check),
                                    ") requested; waiting for Certn to confirm."),
                       request.reason)));
        return check;
      });
  if (result.ok() && queued_work) Notify();
  return result;
}

absl::Status Checks::EndCancelled(UnitOfWork& uow, BackgroundCheck& check,
                                  const std::string& source) {
  absl::Time now = deps_.clock.Now();
  check.waiting_reason.clear();
  check.waiting_until.reset();
  TransitionOutcome outcome =
      check.Transition(CheckStatus::kCancelled, now, source, std::string(kCancelledByUser));
  if (outcome == TransitionOutcome::kApplied) {
    ASSIGN_OR_RETURN(Candidate candidate, uow.GetCandidateForUpdate(check.team, check.candidate));
    SetStatusTag(candidate, check);
    candidate.updated_at = now;
    RETURN_IF_ERROR(uow.UpdateCandidate(candidate));
    std::string actor =
        check.cancel_requested_by ? "user:" + check.cancel_requested_by->value() : "system";
    RETURN_IF_ERROR(
        Feed(uow, check, "cancelled", actor,
             WithReason(absl::StrCat("Background check (", PackageWords(check), ") cancelled."),
                        check.cancel_reason)));
  }
  return UpdateCheckWithEvents(uow, deps_, check);
}

absl::Status Checks::RunCancel(const WorkItem& item) {
  CheckId id(item.subject);
  ASSIGN_OR_RETURN(Loaded loaded, Load(item.team, id));
  const BackgroundCheck& check = loaded.check;
  if (!check.CancelRequested() || !check.external_id) return absl::OkStatus();
  if (check.status == CheckStatus::kComplete) {
    // Certn completed the case before the cancel reached it.
    return deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
      ASSIGN_OR_RETURN(BackgroundCheck fresh, uow.GetCheckForUpdate(item.team, id));
      return Feed(
          uow, fresh, "cancel_too_late", "certn",
          "The cancellation came too late: Certn had already completed the background check.");
    });
  }
  // Certn has said so already (a webhook's fetch, or an earlier run). A check
  // cancelled here before Certn had the order is not: its case, made by an
  // order in flight, is still open at Certn.
  if (check.external_status == "CANCELLED") return absl::OkStatus();
  ASSIGN_OR_RETURN(CertnCredentials creds, integrations_.Credentials(loaded.integration));
  if (item.attempts > 1) {
    // An earlier run may have cancelled the case and died before recording
    // it: look first, so a cancel reaches Certn once.
    absl::StatusOr<CertnCase> seen = gateway_.GetCase(creds, *check.external_id);
    if (!seen.ok() && IsTransient(seen.status())) return seen.status();
    if (seen.ok() && seen->status == CheckStatus::kCancelled) {
      return deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
        ASSIGN_OR_RETURN(BackgroundCheck fresh, uow.GetCheckForUpdate(item.team, id));
        return ApplyCase(uow, fresh, *seen, "cancel", CheckRow::kAsStored).status();
      });
    }
  }
  // Also for a check that ended otherwise meanwhile (a bounce): Certn's case
  // may still be open, and cancelling an ended case changes nothing.
  absl::Status cancelled = gateway_.CancelCase(creds, *check.external_id);
  if (!cancelled.ok() && IsTransient(cancelled)) return cancelled;
  const bool refused =
      !cancelled.ok() && (cancelled.code() == absl::StatusCode::kInvalidArgument ||
                          cancelled.code() == absl::StatusCode::kAlreadyExists ||
                          cancelled.code() == absl::StatusCode::kFailedPrecondition);
  if (!cancelled.ok() && !refused && cancelled.code() != absl::StatusCode::kNotFound)
    return cancelled;
  absl::Status recorded = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    ASSIGN_OR_RETURN(BackgroundCheck fresh, uow.GetCheckForUpdate(item.team, id));
    if (refused) {
      // Certn would not cancel (it completed the case meanwhile): fetch the
      // case so the check shows what Certn says, and say why.
      RETURN_IF_ERROR(EnqueueWork(uow, item.team, kWorkFetchCase, id, deps_.clock.Now()));
      return Feed(uow, fresh, "cancel_too_late", "certn",
                  "Certn could not cancel the background check; it has most likely completed it. "
                  "Its status is "
                  "being updated.");
    }
    // 204, or 404: Certn knows no such case any more, so nothing is left to
    // cancel there either.
    if (cancelled.ok()) fresh.external_status = "CANCELLED";
    return EndCancelled(uow, fresh, "cancel");
  });
  if (recorded.ok() && refused) Notify();
  return recorded;
}

}  // namespace stagecheck::certn_plugin
