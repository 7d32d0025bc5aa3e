// Event types, the retry schedule and reply verdicts of outbound webhooks.
#include "core/domain/outbound_webhooks.h"

#include "core/errors.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

TEST(OutboundWebhooksTest, EveryEventTypeHasANameThatParsesBack) {
  ASSERT_EQ(AllEventTypes().size(), 7u);
  for (OutboundEventType type : AllEventTypes()) {
    EXPECT_EQ(ParseEventType(EventTypeName(type)), type) << EventTypeName(type);
  }
  EXPECT_EQ(EventTypeName(OutboundEventType::kCheckStatusChanged), "check.status_changed");
  EXPECT_EQ(EventTypeName(OutboundEventType::kApplicationMoved), "application.moved");
  EXPECT_FALSE(ParseEventType("check.Completed").has_value());
  EXPECT_FALSE(ParseEventType("").has_value());
}

TEST(OutboundWebhooksTest, AnEventTypeListIsCheckedAndDeduplicated) {
  auto types = ParseEventTypeList({"check.completed", "check.error", "check.completed"});
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_EQ(types->size(), 2u);

  auto empty = ParseEventTypeList({});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(ErrorCode(empty.status()), "no_event_types");
  EXPECT_EQ(ErrorField(empty.status()), "event_types");

  auto unknown = ParseEventTypeList({"check.completed", "check.exploded"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(ErrorCode(unknown.status()), "unknown_event_type");
  EXPECT_NE(unknown.status().message().find("check.report_ready"), std::string::npos);
}

TEST(OutboundWebhooksTest, RetriesFollowTheScheduleOverAboutADayThenStop) {
  absl::Duration total;
  for (int made = 1; made < kMaxDeliveryAttempts; ++made) {
    std::optional<absl::Duration> delay = NextDeliveryDelay(made, 0.0, std::nullopt);
    ASSERT_TRUE(delay.has_value()) << made;
    total += *delay;
  }
  EXPECT_EQ(NextDeliveryDelay(1, 0.0, std::nullopt), absl::Seconds(5));
  EXPECT_EQ(NextDeliveryDelay(7, 0.0, std::nullopt), absl::Hours(10));
  EXPECT_GT(total, absl::Hours(20));
  EXPECT_LT(total, absl::Hours(36));
  EXPECT_FALSE(NextDeliveryDelay(kMaxDeliveryAttempts, 0.0, std::nullopt).has_value());
  EXPECT_FALSE(NextDeliveryDelay(0, 0.0, std::nullopt).has_value());
}

TEST(OutboundWebhooksTest, JitterMovesADelayByAtMostAFifth) {
  EXPECT_EQ(NextDeliveryDelay(2, 1.0, std::nullopt), absl::Minutes(6));
  EXPECT_EQ(NextDeliveryDelay(2, -1.0, std::nullopt), absl::Minutes(4));
  EXPECT_EQ(NextDeliveryDelay(2, 7.0, std::nullopt), absl::Minutes(6));  // clamped
}

TEST(OutboundWebhooksTest, ALongerRetryAfterWinsUpToADay) {
  EXPECT_EQ(NextDeliveryDelay(1, 0.0, absl::Minutes(2)), absl::Minutes(2));
  EXPECT_EQ(NextDeliveryDelay(3, 0.0, absl::Seconds(1)), absl::Minutes(30));
  EXPECT_EQ(NextDeliveryDelay(1, 0.0, absl::Hours(100)), absl::Hours(24));
}

TEST(OutboundWebhooksTest, OnlyTwoHundredsCountAndGoneDisables) {
  EXPECT_EQ(JudgeReply(200), ReplyVerdict::kDelivered);
  EXPECT_EQ(JudgeReply(204), ReplyVerdict::kDelivered);
  EXPECT_EQ(JudgeReply(299), ReplyVerdict::kDelivered);
  EXPECT_EQ(JudgeReply(301), ReplyVerdict::kRetry);
  EXPECT_EQ(JudgeReply(404), ReplyVerdict::kRetry);
  EXPECT_EQ(JudgeReply(429), ReplyVerdict::kRetry);
  EXPECT_EQ(JudgeReply(500), ReplyVerdict::kRetry);
  EXPECT_EQ(JudgeReply(410), ReplyVerdict::kDisableEndpoint);
  EXPECT_EQ(JudgeReply(0), ReplyVerdict::kRetry);
}

}  // namespace
}  // namespace stagecheck
