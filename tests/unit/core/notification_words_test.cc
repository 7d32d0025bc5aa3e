// What a notification says, and what it says to a reader who may not see
// results (core/services/notifications.h).
#include "core/services/notifications.h"

#include "gtest/gtest.h"

namespace stagecheck {
namespace {

Notification Told(NotificationKind kind, std::string text) {
  Notification n;
  n.kind = kind;
  n.text = std::move(text);
  return n;
}

TEST(NotificationWords, ACompletionNamesItsResult) {
  EXPECT_EQ(NotificationText(NotificationKind::kCompleted, "Ada Lovelace", "CLEAR"),
            "Background check for Ada Lovelace is complete: clear");
  EXPECT_EQ(NotificationText(NotificationKind::kNeedsReview, "Ada Lovelace", "REVIEW"),
            "Background check for Ada Lovelace is complete and needs review");
  EXPECT_EQ(NotificationText(NotificationKind::kNeedsReview, "Ada Lovelace", "REJECT"),
            "Background check for Ada Lovelace is complete and needs review: reject");
  EXPECT_EQ(NotificationText(NotificationKind::kCompleted, "Ada Lovelace", std::nullopt),
            "Background check for Ada Lovelace is complete");
}

TEST(NotificationWords, WithoutResultHidesTheResultOfACompletion) {
  const Notification review = WithoutResult(Told(
      NotificationKind::kNeedsReview,
      NotificationText(NotificationKind::kNeedsReview, "Ada Lovelace", std::string("REJECT"))));
  EXPECT_EQ(review.kind, NotificationKind::kCompleted);
  EXPECT_EQ(review.text, "Background check for Ada Lovelace is complete");

  const Notification clear = WithoutResult(
      Told(NotificationKind::kCompleted,
           NotificationText(NotificationKind::kCompleted, "Ada Lovelace", std::string("CLEAR"))));
  EXPECT_EQ(clear.kind, NotificationKind::kCompleted);
  EXPECT_EQ(clear.text, "Background check for Ada Lovelace is complete");
}

TEST(NotificationWords, WithoutResultLeavesNoticesThatCarryNoResultAsTheyAre) {
  // A delay, an error or an endpoint's disable is not a completion: a reader
  // without results must still be told what it is.
  const absl::Time late = absl::FromCivil(absl::CivilDay(2026, 12, 1), absl::UTCTimeZone());
  for (const Notification& n :
       {Told(NotificationKind::kDelayed, DelayedText("Ada Lovelace", late)),
        Told(NotificationKind::kError,
             NotificationText(NotificationKind::kError, "Ada Lovelace", std::nullopt)),
        Told(NotificationKind::kEndpointDisabled, "Outbound webhook endpoint x was disabled")}) {
    const Notification told = WithoutResult(n);
    EXPECT_EQ(told.kind, n.kind) << n.text;
    EXPECT_EQ(told.text, n.text);
  }
  EXPECT_EQ(DelayedText("Ada Lovelace", late),
            "Background check for Ada Lovelace is past its expected date (1 December 2026)");
}

}  // namespace
}  // namespace stagecheck
