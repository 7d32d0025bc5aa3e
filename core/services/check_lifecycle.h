// The later life of a check, vendor-neutral (docs/architecture.md, "Expected
// completion, turnaround and result rules"):
// - turnaround statistics of a team's completed checks per package (count,
//   median, p90, share needing review) over the last days;
// - the expected completion of an open check: the vendor's estimate when its
//   case carries one, else a projection from the same package's turnaround
//   (at least kMinProjectionSample checks), flagged delayed once past it;
// - result rules: on a clear result, move the application to a chosen stage;
//   on one needing review, leave it and flag it. Once per check, in the feed
//   with the rule that acted, and never over a person's own move.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/services/deps.h"

namespace stagecheck {

// Fewer completed checks than this make no projection (a median of two is noise).
inline constexpr int kMinProjectionSample = 5;
// A projection reads at most this many of the package's latest completions.
inline constexpr int kMaxProjectionSample = 500;
inline constexpr int kDefaultReportDays = 90;
inline constexpr int kMaxReportDays = 365;

struct TurnaroundStats {
  int count = 0;
  absl::Duration median = absl::ZeroDuration();  // nearest rank
  absl::Duration p90 = absl::ZeroDuration();     // nearest rank
  // Scored REVIEW or REJECT; empty in an answer to someone who may not see results.
  std::optional<double> needs_review_share = 0.0;
};
// Statistics of `checks` (any order); zeros when empty.
TurnaroundStats Summarize(const std::vector<CompletedCheck>& checks);

struct PackageTurnaround {
  std::string package_id;
  std::string package_name;  // the latest name a check of it carried
  TurnaroundStats stats;
};

struct TurnaroundReport {
  int days = kDefaultReportDays;
  absl::Time since;
  std::vector<PackageTurnaround> packages;  // by package name
};

// A vendor's overall score that asks a person to look (REVIEW or REJECT).
bool ScoreNeedsReview(const std::optional<std::string>& score);

// How a check's result reads for the rules.
enum class ResultVerdict { kClear, kNeedsReview, kOther };

// An activity's optional rules.
struct ResultRule {
  std::optional<StageId> on_clear_move_to;
  bool flag_for_review = false;
  bool empty() const { return !on_clear_move_to && !flag_for_review; }
};

class CheckLifecycle {
 public:
  explicit CheckLifecycle(const Deps& deps) : deps_(deps) {}

  // invalid_days (400) outside 1..kMaxReportDays.
  absl::StatusOr<TurnaroundReport> Report(const Principal& who, int days);

  // Fills the checks' view fields (expected completion, result rule run),
  // reading the statistics once per package.
  absl::Status Describe(UnitOfWork& uow, std::vector<BackgroundCheck*> checks);
  // Fills the expected completion of the open ones of `checks`, and judges
  // whether each is delayed (now past its late_at): the one rule the API's
  // view (Describe) and the delayed-check job (core/services/delay_notices.h)
  // share. Statistics are read once per package.
  absl::Status Expect(UnitOfWork& uow, const std::vector<BackgroundCheck*>& checks);

  // Inside the transaction that completed `check` (status complete): runs
  // `rule` of `activity` once for the check (a later call finds its run and
  // does nothing). Returns whether it acted.
  absl::StatusOr<bool> ApplyResultRule(UnitOfWork& uow, const BackgroundCheck& check,
                                       const ActivityId& activity, const ResultRule& rule,
                                       ResultVerdict verdict, std::string_view result_words);

 private:
  // The expected completion of one open check given its package's statistics.
  ExpectedCompletion ExpectOne(const BackgroundCheck& check, std::optional<absl::Time> vendor,
                               const TurnaroundStats& stats) const;
  // A person moved the application between stages after `since` (its feed says so).
  absl::StatusOr<std::optional<std::string>> MovedByPersonSince(UnitOfWork& uow,
                                                                const BackgroundCheck& check);
  absl::StatusOr<ResultRuleRun> MoveOnClear(UnitOfWork& uow, const BackgroundCheck& check,
                                            ResultRuleRun run, const StageId& target,
                                            std::string_view result_words);

  Deps deps_;
};

}  // namespace stagecheck
