// Turnaround statistics (nearest rank, share needing review) and a bulk send
// entry's progress as the recruiter sees it.
#include "core/services/check_lifecycle.h"
#include "core/domain/bulk_send.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

CompletedCheck Took(int minutes, std::optional<std::string> score = "CLEAR") {
  const absl::Time sent = absl::FromUnixSeconds(1'700'000'000);
  return CompletedCheck{CheckId("c"),    "pkg", "Basic", sent, sent + absl::Minutes(minutes),
                        std::move(score)};
}

TEST(TurnaroundTest, MedianAndP90AreNearestRanksOfTheSortedTurnarounds) {
  std::vector<CompletedCheck> checks;
  for (int m : {50, 10, 40, 20, 30, 60, 70, 80, 90, 100}) checks.push_back(Took(m));
  TurnaroundStats stats = Summarize(checks);
  EXPECT_EQ(stats.count, 10);
  EXPECT_EQ(stats.median, absl::Minutes(50));  // rank ceil(0.5 * 10) = 5
  EXPECT_EQ(stats.p90, absl::Minutes(90));     // rank ceil(0.9 * 10) = 9
  EXPECT_DOUBLE_EQ(stats.needs_review_share.value_or(-1), 0);
}

TEST(TurnaroundTest, ReviewAndRejectNeedReviewAndOneCheckIsItsOwnPercentiles) {
  TurnaroundStats one = Summarize({Took(7, "REVIEW")});
  EXPECT_EQ(one.median, absl::Minutes(7));
  EXPECT_EQ(one.p90, absl::Minutes(7));
  EXPECT_DOUBLE_EQ(one.needs_review_share.value_or(-1), 1);
  TurnaroundStats mixed = Summarize({Took(1, "REJECT"), Took(2), Took(3, std::nullopt), Took(4)});
  EXPECT_DOUBLE_EQ(mixed.needs_review_share.value_or(-1), 0.25);
  EXPECT_EQ(Summarize({}).count, 0);
}

BulkSendEntry Handed(std::optional<CheckStatus> status, bool ordered, std::string reason = "") {
  BulkSendEntry e;
  e.step = BulkEntryStep::kHanded;
  e.check = CheckId("k");
  e.check_status = status;
  e.check_ordered = ordered;
  e.check_error_reason = std::move(reason);
  return e;
}

TEST(BulkProgressTest, AHandedEntryIsSentOnlyOnceTheVendorHasTheOrder) {
  EXPECT_EQ(ProgressOf(BulkSendEntry{}).state, BulkEntryState::kQueued);
  EXPECT_EQ(ProgressOf(Handed(CheckStatus::kQueued, false)).state, BulkEntryState::kQueued);
  EXPECT_EQ(ProgressOf(Handed(CheckStatus::kInvited, true)).state, BulkEntryState::kSent);
  // Sent and later bounced: it was sent all the same.
  EXPECT_EQ(ProgressOf(Handed(CheckStatus::kError, true, "invite_undeliverable")).state,
            BulkEntryState::kSent);
  BulkEntryProgress refused = ProgressOf(Handed(CheckStatus::kError, false, "certn_rejected"));
  EXPECT_EQ(refused.state, BulkEntryState::kFailed);
  EXPECT_EQ(refused.reason, "certn_rejected");
  BulkSendEntry skipped;
  skipped.step = BulkEntryStep::kSkipped;
  skipped.reason = "check_already_active";
  EXPECT_EQ(ProgressOf(skipped).state, BulkEntryState::kSkipped);
  EXPECT_EQ(ProgressOf(skipped).reason, "check_already_active");
}

TEST(BulkProgressTest, ABulkSendIsDoneOnceNothingIsQueued) {
  BulkSend bulk;
  bulk.entries = {Handed(CheckStatus::kInvited, true), Handed(CheckStatus::kQueued, false)};
  EXPECT_FALSE(bulk.Done());
  bulk.entries[1] = Handed(CheckStatus::kInProgress, true);
  EXPECT_TRUE(bulk.Done());
}

}  // namespace
}  // namespace stagecheck
