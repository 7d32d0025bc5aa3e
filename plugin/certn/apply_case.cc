// Applying a case Certn answered to its check (checks.h, ApplyCase).
#include "plugin/certn/checks.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/services/check_events.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "plugin/certn/domain/status_labels.h"
#include "plugin/certn/ports/certn_store.h"
#include "plugin/certn/send_plan.h"

namespace stagecheck::certn_plugin {

namespace {

// Sets `field` to `value`; true when that changed it.
template <typename T>
bool Assign(T& field, T value) {
  if (field == value) return false;
  field = std::move(value);
  return true;
}

// What the case says of itself, copied onto the check (the status is the
// status machine's to apply). True when anything changed.
bool CopyCase(BackgroundCheck& check, const CertnCase& certn_case, absl::Time now) {
  bool changed = false;
  if (!check.external_id) {
    check.external_id = certn_case.id;
    check.ordered_at = now;
    changed = true;
  }
  if (!certn_case.short_id.empty()) {
    changed |= Assign(check.external_short_id, std::optional<std::string>(certn_case.short_id));
  }
  changed |= Assign(check.external_status, certn_case.overall_status);
  // null until Certn scores the case; a score once given is not forgotten.
  if (certn_case.overall_score) changed |= Assign(check.overall_score, certn_case.overall_score);
  if (certn_case.report_file_id) {
    changed |= Assign(check.report_file_id, certn_case.report_file_id);
  }
  std::vector<CheckResult> results;
  results.reserve(certn_case.checks.size());
  for (const CertnCheckResult& r : certn_case.checks) {
    results.push_back(CheckResult{r.check_type, r.status, r.result, r.completed});
  }
  changed |= Assign(check.results, std::move(results));
  return changed;
}

// The feed line of an applied transition: its type, actor and words.
struct TransitionLine {
  std::string type;
  std::string actor;
  std::string message;
};

TransitionLine LineFor(const BackgroundCheck& check, CheckStatus before, bool user_cancel) {
  if (user_cancel) {
    TransitionLine line{
        "cancelled", "certn",
        absl::StrCat("Background check (",
                     check.package_name.empty() ? "Certn" : check.package_name, ") cancelled")};
    if (check.cancel_requested_by) line.actor = "user:" + check.cancel_requested_by->value();
    if (!check.cancel_reason.empty())
      absl::StrAppend(&line.message, ". Reason: ", check.cancel_reason);
    line.message += ".";
    return line;
  }
  StatusLabels labels = LabelsFor(check.status, check.error_reason);
  TransitionLine line{check.status == CheckStatus::kInProgress ? "candidate_started"
                      : check.status == CheckStatus::kError    ? "error"
                                                               : "status_changed",
                      "certn",
                      absl::StrCat("Certn status: ", ToAbsl(labels.gem), " (was ",
                                   ToAbsl(LabelsFor(before).gem), ")")};
  if (check.status == CheckStatus::kError) {
    absl::StrAppend(&line.message, ", reason ", check.error_reason);
  }
  line.message += ".";
  return line;
}

}  // namespace

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
                                                    const std::string& source, CheckRow row) {
  absl::Time now = deps_.clock.Now();
  CheckStatus before = check.status;
  const StoredCheck stored = StoredCheckOf(check);  // as read, when row == kAsStored
  bool changed = CopyCase(check, certn_case, now);
  if (!certn_case.overall_status_known) NoteUnknownStatus(check, certn_case);
  changed |= Assign(check.results_url, std::optional<std::string>(ResultsUrl(check, certn_case)));
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
    ASSIGN_OR_RETURN(Candidate candidate, uow.GetCandidateForUpdate(check.team, check.candidate));
    SetStatusTag(candidate, check);
    candidate.updated_at = now;
    RETURN_IF_ERROR(uow.UpdateCandidate(candidate));
    TransitionLine line = LineFor(check, before, user_cancel);
    RETURN_IF_ERROR(Feed(uow, check, line.type, line.actor, line.message));
  }
  RETURN_IF_ERROR(QueueReportWork(uow, check, outcome, now));
  if (row == CheckRow::kChangedByCaller) {
    RETURN_IF_ERROR(UpdateCheckWithEvents(uow, deps_, check));
  } else if (changed || outcome == TransitionOutcome::kApplied) {
    RETURN_IF_ERROR(UpdateCheckWithEvents(uow, deps_, check, stored));
  } else {
    // Nothing new (most fetches: a reconciliation's, a burst's later
    // events): no event, no feed line, and only the time it was looked at.
    RETURN_IF_ERROR(uow.TouchCheck(check.team, check.id, now));
  }
  RETURN_IF_ERROR(AfterCase(uow, check, certn_case, outcome));
  return outcome;
}

// docs/certn-api.md: an unknown status is mapped to in_progress, logged and
// counted, never a failure.
void Checks::NoteUnknownStatus(const BackgroundCheck& check, const CertnCase& certn_case) {
  deps_.log.Log(LogLevel::kWarning, "certn.unknown_status",
                {{"team", check.team.value()},
                 {"check", check.id.value()},
                 {"overall_status", certn_case.overall_status.substr(0, 64)}});
  deps_.metrics.Increment("stagecheck_certn_unknown_status_total", "");
}

// The report is requested, not automatic (docs/certn-api.md, in
// docs/architecture.md "Report"): generate-report once, on the transition to
// complete (the status machine applies it once per check); once a fetch
// shows the generated file, download it.
absl::Status Checks::QueueReportWork(UnitOfWork& uow, const BackgroundCheck& check,
                                     TransitionOutcome outcome, absl::Time now) {
  if (check.status != CheckStatus::kComplete || check.report_saved_as) return absl::OkStatus();
  if (check.report_file_id) return EnqueueWork(uow, check.team, kWorkDownloadReport, check.id, now);
  if (outcome != TransitionOutcome::kApplied) return absl::OkStatus();
  return EnqueueWork(uow, check.team, kWorkGenerateReport, check.id, now);
}
}  // namespace stagecheck::certn_plugin
