#include "adapters/certn/rate_limiter.h"
#include "core/errors.h"

#include <vector>

#include "gtest/gtest.h"

namespace stagecheck::certn {
namespace {

// A clock that only moves when the limiter sleeps (or the test advances it).
struct ManualClock {
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  absl::Duration slept;
  RateLimiter::NowFn NowFn() {
    return [this] { return now; };
  }
  RateLimiter::SleepFn SleepFn() {
    return [this](absl::Duration d) {
      now += d;
      slept += d;
    };
  }
};

RateLimitConfig Config(int burst, absl::Duration max_wait) {
  RateLimitConfig c;
  c.burst = burst;
  c.window = absl::Minutes(1);
  c.max_wait = max_wait;
  return c;
}

TEST(RateLimiterTest, LetsABurstThroughThenRefuses) {
  ManualClock clock;
  RateLimiter limiter(Config(5, absl::ZeroDuration()), clock.NowFn(), clock.SleepFn());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Acquire("key-a").ok()) << i;
  absl::Status sixth = limiter.Acquire("key-a");
  EXPECT_EQ(sixth.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(clock.slept, absl::ZeroDuration());
  // The refusal says when the oldest of the five leaves the rolling minute
  // (plus the margin for Certn seeing the call a little later than we do).
  EXPECT_EQ(RetryAfterOf(sixth), absl::Minutes(1) + absl::Seconds(1));
}

TEST(RateLimiterTest, BucketsArePerKey) {
  ManualClock clock;
  RateLimiter limiter(Config(2, absl::ZeroDuration()), clock.NowFn(), clock.SleepFn());
  EXPECT_TRUE(limiter.Acquire("key-a").ok());
  EXPECT_TRUE(limiter.Acquire("key-a").ok());
  EXPECT_FALSE(limiter.Acquire("key-a").ok());
  EXPECT_TRUE(limiter.Acquire("key-b").ok());
}

TEST(RateLimiterTest, SlotsFreeWhenTheirCallLeavesTheRollingWindow) {
  ManualClock clock;
  RateLimiter limiter(Config(120, absl::ZeroDuration()), clock.NowFn(), clock.SleepFn());
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(limiter.Acquire("k").ok());
  EXPECT_FALSE(limiter.Acquire("k").ok());
  // A token bucket would allow one every 500 ms now; Certn's rolling window does not.
  clock.now += absl::Seconds(59);
  EXPECT_FALSE(limiter.Acquire("k").ok());
  // At exactly a minute Certn may still count the oldest call: the margin.
  clock.now += absl::Seconds(1);
  EXPECT_FALSE(limiter.Acquire("k").ok());
  clock.now += absl::Seconds(1);
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(limiter.Acquire("k").ok());
  EXPECT_FALSE(limiter.Acquire("k").ok());
}

TEST(RateLimiterTest, NeverMoreThanTheBurstInAnyWindow) {
  ManualClock clock;
  RateLimiter limiter(Config(120, absl::ZeroDuration()), clock.NowFn(), clock.SleepFn());
  std::vector<absl::Time> granted;
  for (int step = 0; step < 3000; ++step) {
    clock.now += absl::Milliseconds(37 * (step % 7));
    if (limiter.Acquire("k").ok()) granted.push_back(clock.now);
  }
  ASSERT_GT(granted.size(), 240u);
  for (size_t i = 120; i < granted.size(); ++i) {
    EXPECT_GE(granted[i] - granted[i - 120], absl::Minutes(1)) << i;
  }
}

TEST(RateLimiterTest, WaitsForASlotWithinMaxWait) {
  ManualClock clock;
  RateLimiter limiter(Config(60, absl::Seconds(2)), clock.NowFn(), clock.SleepFn());
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(limiter.Acquire("k").ok());
  clock.now += absl::Seconds(59);
  EXPECT_TRUE(limiter.Acquire("k").ok());
  EXPECT_EQ(clock.slept, absl::Seconds(2));  // to a minute, plus the one-second margin
}

TEST(RateLimiterTest, NeverWaitsPastTheDeadline) {
  ManualClock clock;
  RateLimiter limiter(Config(1, absl::Minutes(5)), clock.NowFn(), clock.SleepFn());
  ASSERT_TRUE(limiter.Acquire("k").ok());
  EXPECT_EQ(limiter.Acquire("k", clock.now + absl::Seconds(10)).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(clock.slept, absl::ZeroDuration());
}

TEST(RateLimiterTest, PauseHoldsEveryCallOfThatKey) {
  ManualClock clock;
  RateLimiter limiter(Config(10, absl::Seconds(5)), clock.NowFn(), clock.SleepFn());
  limiter.PauseUntil("k", clock.now + absl::Seconds(3));
  EXPECT_TRUE(limiter.Acquire("k").ok());
  EXPECT_EQ(clock.slept, absl::Seconds(3));
  EXPECT_TRUE(limiter.Acquire("other").ok());
  EXPECT_EQ(clock.slept, absl::Seconds(3));
}

TEST(RateLimiterTest, DefaultsAreCertnsPerAccountLimits) {
  RateLimitConfig defaults;  // docs/certn-api.md
  EXPECT_EQ(defaults.burst, 60);
  EXPECT_EQ(defaults.window, absl::Minutes(1));
  EXPECT_EQ(defaults.per_day, 7220);
}

TEST(RateLimiterTest, AnAccountsOwnLimitsWinOverTheConfig) {
  ManualClock clock;
  RateLimiter limiter(Config(5, absl::ZeroDuration()), clock.NowFn(), clock.SleepFn());
  const AccountLimits two_a_minute{.per_minute = 2, .per_day = 0};
  EXPECT_TRUE(limiter.Acquire("k", absl::InfiniteFuture(), two_a_minute).ok());
  EXPECT_TRUE(limiter.Acquire("k", absl::InfiniteFuture(), two_a_minute).ok());
  EXPECT_EQ(limiter.Acquire("k", absl::InfiniteFuture(), two_a_minute).code(),
            absl::StatusCode::kResourceExhausted);
  const AccountLimits one_a_day{.per_minute = 0, .per_day = 1};
  EXPECT_TRUE(limiter.Acquire("d", absl::InfiniteFuture(), one_a_day).ok());
  EXPECT_EQ(ErrorCode(limiter.Acquire("d", absl::InfiniteFuture(), one_a_day)),
            "certn_daily_limit");
}

TEST(RateLimiterTest, TheDailyBudgetRefusesAtOnceUntilMidnightUtc) {
  ManualClock clock;
  clock.now = absl::FromCivil(absl::CivilSecond(2026, 11, 30, 22, 0, 0), absl::UTCTimeZone());
  RateLimitConfig config = Config(5, absl::Seconds(5));
  config.per_day = 3;
  RateLimiter limiter(config, clock.NowFn(), clock.SleepFn());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.Acquire("k").ok()) << i;
  absl::Status spent = limiter.Acquire("k");
  EXPECT_EQ(spent.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorCode(spent), "certn_daily_limit");
  EXPECT_EQ(spent.message(), "Certn's daily limit is reached; sending resumes at 00:00 UTC");
  EXPECT_EQ(RetryAfterOf(spent), absl::Hours(2));  // waited for by the worker, not here
  EXPECT_EQ(clock.slept, absl::ZeroDuration());
  EXPECT_TRUE(limiter.Acquire("other-key").ok());  // per key
  clock.now += absl::Hours(2);                     // 00:00 UTC
  EXPECT_TRUE(limiter.Acquire("k").ok());
}

}  // namespace
}  // namespace stagecheck::certn
