#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/domain/check_lifecycle.h"
#include "core/domain/check_status.h"
#include "core/ids.h"

namespace stagecheck {

// The reason of a check a person cancelled (the others come from the vendor:
// applicant_declined, or none when the vendor cancelled it).
inline constexpr std::string_view kCancelledByUser = "cancelled_by_user";

// Why a check was sent.
enum class SendTrigger { kManual, kAutoSend, kAdHoc };
std::string_view TriggerName(SendTrigger trigger);
std::optional<SendTrigger> ParseTrigger(std::string_view name);

// One recorded status change.
struct StatusTransition {
  CheckStatus from = CheckStatus::kQueued;
  CheckStatus to = CheckStatus::kQueued;
  absl::Time at;
  std::string source;  // "send", "webhook:<delivery id>", "refresh", "reconcile", ...
  std::string reason;  // error reason when `to` is error
  friend bool operator==(const StatusTransition&, const StatusTransition&) = default;
};

// The result of one check type of a case (e.g. ADVERSE_MEDIA_1 → CLEAR).
struct CheckResult {
  std::string check_type;
  std::string status;
  std::optional<std::string> result;  // CLEAR, REVIEW, NOT_CLEAR
  std::optional<absl::Time> completed;
  friend bool operator==(const CheckResult&, const CheckResult&) = default;
};

// One order placed with a background-check vendor (a plugin) for one
// application, or ad hoc for a candidate.
struct BackgroundCheck {
  TeamId team;
  CheckId id;
  CandidateId candidate;
  std::optional<ApplicationId> application;  // empty for ad-hoc checks
  std::optional<ActivityId> activity;
  std::string package_id;
  std::string package_name;
  SendTrigger trigger = SendTrigger::kManual;
  UserId requested_by;
  CheckStatus status = CheckStatus::kQueued;
  std::string error_reason;  // when status is error or cancelled (applicant_declined)
  // The vendor's case: its id (unique across teams), the short id it shows
  // people, and its own overall status, kept for display.
  std::optional<std::string> external_id;
  std::optional<std::string> external_short_id;
  std::string external_status;
  // The vendor's overall score of the case (e.g. CLEAR, REVIEW, REJECT);
  // absent until the vendor scores it.
  std::optional<std::string> overall_score;
  std::optional<std::string> results_url;
  std::optional<std::string> report_file_id;  // the vendor's id of the generated report
  std::optional<FileId> report_saved_as;      // our candidate file, once downloaded
  std::vector<CheckResult> results;
  absl::Time created_at;
  std::optional<absl::Time> ordered_at;
  std::optional<absl::Time> completed_at;
  absl::Time updated_at;  // last change of any kind (reconciliation looks at it)
  // Why a queued check is not sent yet when it waits for more than its turn
  // (an error code, e.g. the vendor's daily budget is spent),
  // and until when. Cleared once the order is placed.
  std::string waiting_reason;
  std::optional<absl::Time> waiting_until;
  // A person asked to cancel the check (who, when, and their optional words);
  // the check shows cancelled, reason cancelled_by_user, once the vendor
  // confirms (at once when the vendor never received the order). Kept afterwards as the record.
  std::optional<absl::Time> cancel_requested_at;
  std::optional<UserId> cancel_requested_by;
  std::string cancel_reason;
  // The ended check (error or cancelled) this one re-orders, if any.
  std::optional<CheckId> reordered_from;
  std::vector<StatusTransition> history;
  // Views only, never stored with the row: filled for reads by
  // CheckLifecycle::Describe (core/services/check_lifecycle.h).
  std::optional<ExpectedCompletion> expected_completion;
  std::optional<ResultRuleRun> result_rule;

  bool CancelRequested() const { return cancel_requested_at.has_value(); }

  // Applies the status machine; records the transition when it applies.
  TransitionOutcome Transition(CheckStatus to, absl::Time at, std::string source,
                               std::string reason = {});
};

}  // namespace stagecheck
