// The Certn plugin's durable work handlers (checks.h): order, fetch,
// generate and download the report, and what happens when work waits or fails.
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

namespace {

// Answered instead of the daily limit when the team's Certn settings changed
// while the order's attempt ran with the old ones (see RunOrder).
constexpr std::string_view kSettingsChangedCode = "certn_settings_changed";

}  // namespace

absl::Status Checks::RunOrder(const WorkItem& item) {
  CheckId id(item.subject);
  ASSIGN_OR_RETURN(Loaded loaded, Load(item.team, id, /*with_candidate=*/true));
  if (loaded.check.status != CheckStatus::kQueued) {
    // Cancelled before Certn answered: an earlier attempt of this order may
    // have created the case all the same (a timeout), so it is placed again
    // under the same reference (Certn answers the case it made, if any) and
    // the answer's case is cancelled below. A first attempt reached no one.
    const BackgroundCheck& c = loaded.check;
    const bool may_exist = c.CancelRequested() && !c.external_id && item.attempts > 1;
    if (!may_exist) return absl::OkStatus();  // done before a crash, or nothing at Certn
  }
  ASSIGN_OR_RETURN(CertnCredentials creds, integrations_.Credentials(loaded.integration));
  const Candidate& candidate = *loaded.candidate;
  CertnOrder order{loaded.check.package_id, candidate.email.value_or(""), candidate.first_name,
                   candidate.last_name,
                   // Our idempotency reference: a retried order never makes a second case.
                   loaded.check.id.value()};
  absl::StatusOr<CertnCase> certn_case = gateway_.OrderPackage(creds, order);
  RETURN_IF_ERROR(
      AgainIfSettingsChanged(item.team, certn_case.status(), loaded.integration.updated_at));
  if (!certn_case.ok() && IsTransient(certn_case.status())) return certn_case.status();
  return RecordOrder(item, certn_case);
}

// The order's outcome, in the check: the case Certn made (and orphans of it
// that arrived first), or Certn's permanent refusal.
absl::Status Checks::RecordOrder(const WorkItem& item,
                                 const absl::StatusOr<CertnCase>& certn_case) {
  const CheckId id(item.subject);
  const std::string lane = certn_case.ok() ? certn_case->id : std::string();
  return RecordLastWork(
      item,
      [&](UnitOfWork& uow) -> absl::Status {
        absl::StatusOr<BackgroundCheck> check = uow.GetCheckForUpdate(item.team, id);
        if (!check.ok()) return check.status();
        if (!certn_case.ok()) {
          // Permanent: Certn refused the order. The check ends with the reason.
          std::string reason = ErrorCode(certn_case.status());
          check->Transition(CheckStatus::kError, deps_.clock.Now(), "order", reason);
          if (auto s =
                  Feed(uow, *check, "error", "certn",
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
      },
      lane);
}

absl::Status Checks::AgainIfSettingsChanged(const TeamId& team, const absl::Status& refused,
                                            absl::Time loaded_version) {
  if (ErrorCode(refused) != kDailyLimitCode) return absl::OkStatus();
  absl::StatusOr<CertnIntegration> now = InReadTransaction<CertnIntegration>(
      deps_.store, [&](UnitOfWork& uow) { return CertnRows(uow).GetIntegration(team); });
  if (!now.ok() || now->updated_at <= loaded_version) return absl::OkStatus();
  // An admin changed the limits while this attempt ran with the old ones.
  // Their change hurried along every waiting order but this one, which was
  // leased; so it goes again in a moment with the new settings instead of
  // waiting for midnight (a limit still reached then defers it as usual).
  return WithRetryAfter(Error(absl::StatusCode::kResourceExhausted, kSettingsChangedCode,
                              "Certn settings changed during the order; trying again"),
                        absl::Seconds(1));
}

absl::Status Checks::RecordLastWork(const WorkItem& item,
                                    const std::function<absl::Status(UnitOfWork&)>& work,
                                    std::string_view key) {
  if (runner_ == nullptr) return deps_.store.Transact(work);
  return runner_->RecordLast(item, work, key);
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
  return RecordLastWork(
      item,
      [&](UnitOfWork& uow) -> absl::Status {
        absl::StatusOr<BackgroundCheck> check = uow.GetCheckForUpdate(item.team, id);
        if (!check.ok()) return check.status();
        return ApplyCase(uow, *check, *certn_case, "fetch", CheckRow::kAsStored).status();
      },
      *loaded->check.external_id);
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
  return RecordLastWork(
      item, [&](UnitOfWork& uow) { return uow.EnqueueWork(fallback); }, *loaded->check.external_id);
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
  // Hashed before the write: the piece runs in a batch shared with webhook
  // deliveries, which should not wait for a report's hash.
  const std::string sha256_hex = HexEncode(deps_.crypto.Sha256(*pdf));
  return RecordLastWork(
      item,
      [&](UnitOfWork& uow) -> absl::Status {
        absl::StatusOr<BackgroundCheck> fresh = uow.GetCheckForUpdate(item.team, id);
        if (!fresh.ok()) return fresh.status();
        if (fresh->report_saved_as) return absl::OkStatus();
        absl::Time now = deps_.clock.Now();
        CandidateFile file;
        file.team = item.team;
        file.id = FileId(deps_.ids.NewId());
        file.candidate = fresh->candidate;
        file.name = absl::StrCat("Certn_Report_",
                                 fresh->external_short_id.value_or(fresh->external_id.value_or("")),
                                 ".pdf");
        file.content_type = "application/pdf";
        file.size = static_cast<int64_t>(pdf->size());
        file.sha256_hex = sha256_hex;
        file.created_at = now;
        if (auto s = uow.InsertFile(file, *pdf); !s.ok()) return s;
        fresh->report_saved_as = file.id;
        fresh->updated_at = now;
        if (auto s = UpdateCheckWithEvents(uow, deps_, *fresh); !s.ok()) return s;
        return Feed(uow, *fresh, "report_saved", "system",
                    absl::StrCat("Report saved to the candidate's files as ", file.name, "."));
      },
      check.external_id.value_or(""));
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

}  // namespace stagecheck::certn_plugin
