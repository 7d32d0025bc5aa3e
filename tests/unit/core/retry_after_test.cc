// ParseRetryAfter (core/domain/retry_after.h): delta-seconds or an HTTP-date,
// anything else is no answer.
#include "core/domain/retry_after.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"

namespace stagecheck {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST(RetryAfterTest, DeltaSecondsAreReadWithSpacesAndFractions) {
  EXPECT_EQ(ParseRetryAfter("120", kNow), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", kNow), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("1.5", kNow), absl::Milliseconds(1500));
}

TEST(RetryAfterTest, AnHttpDateIsTheWaitUntilThatMoment) {
  std::string in_ten_minutes =
      absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", kNow + absl::Minutes(10), absl::UTCTimeZone());
  EXPECT_EQ(ParseRetryAfter(in_ten_minutes, kNow), absl::Minutes(10));
  std::string an_hour_ago =
      absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", kNow - absl::Hours(1), absl::UTCTimeZone());
  EXPECT_EQ(ParseRetryAfter(an_hour_ago, kNow), absl::ZeroDuration());
}

TEST(RetryAfterTest, HugeValuesAreBoundedNotInfinite) {
  auto wait = ParseRetryAfter("99999999999999999999999", kNow);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, absl::Hours(7 * 24));
  EXPECT_EQ(ParseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", kNow), absl::Hours(7 * 24));
}

TEST(RetryAfterTest, AnythingElseIsNoAnswer) {
  for (const char* bad : {"", "  ", "soon", "-5", "nan", "inf", "1e", "12abc", "Tue, 99 Foo 2026",
                          "1,5", "\x01", "infinite-future", "infinite-past"}) {
    EXPECT_EQ(ParseRetryAfter(bad, kNow), std::nullopt) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace stagecheck
