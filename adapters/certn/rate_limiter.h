// A client-side rolling-window limit per API key: at most `burst` calls in any
// `window` (Certn: 60 requests per rolling minute), and at most `per_day` in
// one UTC day (7,220; CERTN.md section 5). In-process: each replica keeps its
// own count. A token bucket refilling
// evenly would allow up to twice that in a minute after a burst and earn 429s
// from Certn's own rolling window, so the limiter keeps the times of the last
// `burst` calls instead. Keys are held only as a 64-bit hash so the limiter
// never stores a clear key.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/certn/config.h"

namespace stagecheck::certn {

// An account's own limits (a team's integration setting); 0 keeps the config's.
struct AccountLimits {
  int per_minute = 0;  // calls in any rolling window
  int per_day = 0;     // calls in one UTC day
};

class RateLimiter {
 public:
  using NowFn = std::function<absl::Time()>;
  using SleepFn = std::function<void(absl::Duration)>;

  explicit RateLimiter(RateLimitConfig config, NowFn now = absl::Now, SleepFn sleep = absl::SleepFor);

  // Takes one slot for `api_key`, waiting up to config.max_wait (and never
  // past `deadline`). ResourceExhausted when no slot frees in time; the wait
  // that would have been needed is in the message.
  absl::Status Acquire(std::string_view api_key, absl::Time deadline = absl::InfiniteFuture(),
                       AccountLimits limits = {});

  // Holds every call of the key until `until` (a 429 told us the server is saturated).
  void PauseUntil(std::string_view api_key, absl::Time until);

 private:
  struct Bucket {
    std::deque<absl::Time> granted;  // the last `burst` grants, oldest first
    absl::Time paused_until = absl::InfinitePast();
    int64_t day = 0;        // the UTC day (days since the epoch) `day_count` counts
    int day_count = 0;
  };
  // Zero when the day's budget has room, else the time until 00:00 UTC.
  static absl::Duration DailyWait(Bucket& b, absl::Time now, int per_day);
  // Zero when a slot was taken now, else the time until the next one frees;
  // `daily` says the day's budget is what is spent.
  absl::Duration TryTake(uint64_t key, absl::Time now, const AccountLimits& limits, bool& daily);

  RateLimitConfig config_;
  NowFn now_;
  SleepFn sleep_;
  std::mutex mu_;
  std::map<uint64_t, Bucket> buckets_;
};

}  // namespace stagecheck::certn
