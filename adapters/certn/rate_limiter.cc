#include "adapters/certn/rate_limiter.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck::certn {
namespace {
uint64_t KeyOf(std::string_view api_key) { return absl::HashOf(ToAbsl(api_key)); }
}  // namespace

RateLimiter::RateLimiter(RateLimitConfig config, NowFn now, SleepFn sleep)
    : config_(config), now_(std::move(now)), sleep_(std::move(sleep)) {
  config_.burst = std::max(config_.burst, 1);
  if (config_.window <= absl::ZeroDuration()) config_.window = absl::Minutes(1);
  if (config_.margin < absl::ZeroDuration()) config_.margin = absl::ZeroDuration();
}

absl::Duration RateLimiter::DailyWait(Bucket& b, absl::Time now, int per_day) {
  if (per_day <= 0) return absl::ZeroDuration();
  const int64_t today = absl::ToUnixSeconds(now) / 86400;
  if (b.day != today) {
    b.day = today;
    b.day_count = 0;
  }
  if (b.day_count < per_day) return absl::ZeroDuration();
  return absl::FromUnixSeconds((today + 1) * 86400) - now;
}

absl::Duration RateLimiter::TryTake(uint64_t key, absl::Time now, const AccountLimits& limits, bool& daily) {
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = buckets_[key];
  daily = false;
  if (absl::Duration until_tomorrow = DailyWait(b, now, limits.per_day); until_tomorrow > absl::ZeroDuration()) {
    daily = true;
    return until_tomorrow;
  }
  if (now < b.paused_until) return b.paused_until - now;
  const absl::Duration span = config_.window + config_.margin;
  while (!b.granted.empty() && now - b.granted.front() >= span) b.granted.pop_front();
  if (static_cast<int>(b.granted.size()) < limits.per_minute) {
    b.granted.push_back(now);
    ++b.day_count;
    return absl::ZeroDuration();
  }
  return b.granted.front() + span - now;
}

absl::Status RateLimiter::Acquire(std::string_view api_key, absl::Time deadline, AccountLimits limits) {
  const uint64_t key = KeyOf(api_key);
  if (limits.per_minute <= 0) limits.per_minute = config_.burst;
  if (limits.per_day <= 0) limits.per_day = config_.per_day;
  const absl::Time start = now_();
  const absl::Time give_up = std::min(deadline, start + config_.max_wait);
  for (;;) {
    const absl::Time now = now_();
    bool daily = false;
    absl::Duration wait = TryTake(key, now, limits, daily);
    if (wait == absl::ZeroDuration()) return absl::OkStatus();
    if (daily) {
      // Never waited for in a call: the work waits, durably, until the day turns.
      return WithRetryAfter(Error(absl::StatusCode::kResourceExhausted, "certn_daily_limit",
                                  "Certn's daily limit is reached; sending resumes at 00:00 UTC"),
                            wait);
    }
    if (now + wait > give_up) {
      return WithRetryAfter(
          absl::ResourceExhaustedError(
              absl::StrCat("Certn client rate limit exhausted (", limits.per_minute, " per ",
                           absl::FormatDuration(config_.window), "); next slot in ",
                           absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1))))),
          wait);
    }
    sleep_(wait);
  }
}

void RateLimiter::PauseUntil(std::string_view api_key, absl::Time until) {
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = buckets_[KeyOf(api_key)];
  b.paused_until = std::max(b.paused_until, until);
}

}  // namespace stagecheck::certn
