#include <tuple>
#include <vector>

#include "core/domain/background_check.h"
#include "core/domain/check_status.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

using O = TransitionOutcome;
using S = CheckStatus;

const std::vector<S> kAll = {S::kQueued,   S::kInvited, S::kInProgress, S::kPartial,
                             S::kComplete, S::kError,   S::kCancelled};

// The full table of the machine: every (from, to) pair and its outcome.
O Expected(S from, S to) {
  if (from == to) return O::kDuplicate;
  if (from == S::kComplete || from == S::kError || from == S::kCancelled) return O::kAfterTerminal;
  if (to == S::kError || to == S::kCancelled) return O::kApplied;
  auto rank = [](S s) { return static_cast<int>(s); };
  return rank(to) > rank(from) ? O::kApplied : O::kStale;
}

class StatusMachineTest : public testing::TestWithParam<std::tuple<S, S>> {};

TEST_P(StatusMachineTest, DecideMatchesTheTable) {
  auto [from, to] = GetParam();
  EXPECT_EQ(Decide(from, to), Expected(from, to)) << StatusName(from) << " -> " << StatusName(to);
}

INSTANTIATE_TEST_SUITE_P(AllPairs, StatusMachineTest,
                         testing::Combine(testing::ValuesIn(kAll), testing::ValuesIn(kAll)),
                         [](const auto& info) {
                           return std::string(StatusName(std::get<0>(info.param))) + "_to_" +
                                  std::string(StatusName(std::get<1>(info.param)));
                         });

TEST(StatusMachine, ForwardChainIsApplied) {
  EXPECT_EQ(Decide(S::kInvited, S::kInProgress), O::kApplied);
  EXPECT_EQ(Decide(S::kInProgress, S::kPartial), O::kApplied);
  EXPECT_EQ(Decide(S::kPartial, S::kComplete), O::kApplied);
  EXPECT_EQ(Decide(S::kInvited, S::kComplete), O::kApplied);  // skipping ahead is fine
}

TEST(StatusMachine, LateEventsAreStale) {
  EXPECT_EQ(Decide(S::kComplete, S::kInvited), O::kAfterTerminal);
  EXPECT_EQ(Decide(S::kPartial, S::kInProgress), O::kStale);
  EXPECT_EQ(Decide(S::kInProgress, S::kInvited), O::kStale);
}

TEST(StatusMachine, TerminalStatusesStay) {
  EXPECT_EQ(Decide(S::kError, S::kComplete), O::kAfterTerminal);
  EXPECT_EQ(Decide(S::kCancelled, S::kInProgress), O::kAfterTerminal);
  EXPECT_EQ(Decide(S::kComplete, S::kCancelled), O::kAfterTerminal);
  EXPECT_TRUE(IsTerminal(S::kError));
  EXPECT_FALSE(IsActive(S::kCancelled));
  EXPECT_TRUE(IsActive(S::kPartial));
}

TEST(BackgroundCheck, RecordsEveryAppliedTransitionWithTimeAndSource) {
  BackgroundCheck check;
  absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_EQ(check.Transition(S::kInvited, t0, "send"), O::kApplied);
  EXPECT_EQ(check.Transition(S::kInProgress, t0 + absl::Seconds(5), "webhook:d1"), O::kApplied);
  EXPECT_EQ(check.Transition(S::kInProgress, t0 + absl::Seconds(6), "webhook:d2"), O::kDuplicate);
  EXPECT_EQ(check.Transition(S::kInvited, t0 + absl::Seconds(7), "webhook:d0"), O::kStale);
  EXPECT_EQ(check.Transition(S::kComplete, t0 + absl::Seconds(9), "webhook:d3"), O::kApplied);
  ASSERT_EQ(check.history.size(), 3u);
  EXPECT_EQ(check.history[1].from, S::kInvited);
  EXPECT_EQ(check.history[1].to, S::kInProgress);
  EXPECT_EQ(check.history[1].source, "webhook:d1");
  EXPECT_EQ(check.history[1].at, t0 + absl::Seconds(5));
  EXPECT_EQ(check.status, S::kComplete);
  EXPECT_EQ(check.completed_at, t0 + absl::Seconds(9));
  EXPECT_EQ(check.updated_at, t0 + absl::Seconds(9));
}

TEST(BackgroundCheck, ErrorKeepsItsReasonAndEndsTheOrder) {
  BackgroundCheck check;
  absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_EQ(check.Transition(S::kError, t0, "send", "no_email"), O::kApplied);
  EXPECT_EQ(check.error_reason, "no_email");
  EXPECT_EQ(check.Transition(S::kInvited, t0, "webhook:x"), O::kAfterTerminal);
  EXPECT_EQ(check.status, S::kError);
  EXPECT_EQ(check.history.size(), 1u);
}

TEST(BackgroundCheck, OutOfOrderSequencesEndWhereTheInOrderOneEnds) {
  const std::vector<S> in_order = {S::kInvited, S::kInProgress, S::kPartial, S::kComplete};
  std::vector<S> shuffled = in_order;
  std::sort(shuffled.begin(), shuffled.end());
  do {
    BackgroundCheck check;
    for (S s : shuffled) check.Transition(s, absl::UnixEpoch(), "test");
    EXPECT_EQ(check.status, S::kComplete);
  } while (std::next_permutation(shuffled.begin(), shuffled.end()));
}

TEST(StatusNames, RoundTripAndRejectUnknown) {
  for (S s : kAll) EXPECT_EQ(ParseStatus(StatusName(s)), s);
  EXPECT_EQ(ParseStatus("COMPLETE"), std::nullopt);
  EXPECT_EQ(ParseStatus(""), std::nullopt);
}

TEST(Triggers, RoundTrip) {
  for (SendTrigger t : {SendTrigger::kManual, SendTrigger::kAutoSend, SendTrigger::kAdHoc}) {
    EXPECT_EQ(ParseTrigger(TriggerName(t)), t);
  }
  EXPECT_EQ(ParseTrigger("robot"), std::nullopt);
}

}  // namespace
}  // namespace stagecheck
