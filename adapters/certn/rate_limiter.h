// A client-side token bucket per API key: `burst` tokens, refilled evenly over
// `window` (Certn: 120 requests per rolling minute). Keys are held only as a
// 64-bit hash so the limiter never stores a clear key.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/certn/config.h"

namespace stagecheck::certn {

class RateLimiter {
 public:
  using NowFn = std::function<absl::Time()>;
  using SleepFn = std::function<void(absl::Duration)>;

  explicit RateLimiter(RateLimitConfig config, NowFn now = absl::Now, SleepFn sleep = absl::SleepFor);

  // Takes one token for `api_key`, waiting up to config.max_wait (and never
  // past `deadline`). ResourceExhausted when no token comes in time; the wait
  // that would have been needed is in the message.
  absl::Status Acquire(std::string_view api_key, absl::Time deadline = absl::InfiniteFuture());

  // Empties the bucket until `until` (a 429 told us the server is saturated).
  void PauseUntil(std::string_view api_key, absl::Time until);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
    absl::Time paused_until = absl::InfinitePast();
  };
  // Tokens now, or the time until the next token when empty.
  absl::Duration TryTake(uint64_t key, absl::Time now);

  RateLimitConfig config_;
  NowFn now_;
  SleepFn sleep_;
  std::mutex mu_;
  std::map<uint64_t, Bucket> buckets_;
};

}  // namespace stagecheck::certn
