#include "adapters/certn/rate_limiter.h"

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
}

TEST(RateLimiterTest, BucketsArePerKey) {
  ManualClock clock;
  RateLimiter limiter(Config(2, absl::ZeroDuration()), clock.NowFn(), clock.SleepFn());
  EXPECT_TRUE(limiter.Acquire("key-a").ok());
  EXPECT_TRUE(limiter.Acquire("key-a").ok());
  EXPECT_FALSE(limiter.Acquire("key-a").ok());
  EXPECT_TRUE(limiter.Acquire("key-b").ok());
}

TEST(RateLimiterTest, RefillsEvenlyOverTheWindow) {
  ManualClock clock;
  RateLimiter limiter(Config(120, absl::ZeroDuration()), clock.NowFn(), clock.SleepFn());
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(limiter.Acquire("k").ok());
  EXPECT_FALSE(limiter.Acquire("k").ok());
  clock.now += absl::Milliseconds(500);  // 120/min = one token every 500 ms
  EXPECT_TRUE(limiter.Acquire("k").ok());
  EXPECT_FALSE(limiter.Acquire("k").ok());
  clock.now += absl::Minutes(5);  // never more than a full bucket
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(limiter.Acquire("k").ok());
  EXPECT_FALSE(limiter.Acquire("k").ok());
}

TEST(RateLimiterTest, WaitsForATokenWithinMaxWait) {
  ManualClock clock;
  RateLimiter limiter(Config(60, absl::Seconds(2)), clock.NowFn(), clock.SleepFn());
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(limiter.Acquire("k").ok());
  EXPECT_TRUE(limiter.Acquire("k").ok());
  EXPECT_EQ(clock.slept, absl::Seconds(1));
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

}  // namespace
}  // namespace stagecheck::certn
