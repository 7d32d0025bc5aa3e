// A client-side rolling-window limit per Certn account (API key): at most
// `burst` calls in any `window` (Certn: 60 requests per rolling minute), and
// at most `per_day` in one UTC day (7,220; docs/architecture.md, "Rate
// limits"). The count itself lives in a CallBudget: in-process by default,
// shared through the store when replicas share a PostgreSQL database, because
// Certn counts the account's calls whoever makes them. Keys reach the budget
// only as a 64-bit hash, so no clear key is ever stored.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/certn/config.h"
#include "core/ports/call_budget.h"

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

  // `budget` (may be null: a budget of this process's own) must outlive the limiter.
  explicit RateLimiter(RateLimitConfig config, NowFn now = absl::Now,
                       SleepFn sleep = absl::SleepFor, CallBudget* budget = nullptr);

  // Takes one slot for `api_key`, waiting up to config.max_wait (and never
  // past `deadline`). ResourceExhausted when no slot frees in time; the wait
  // that would have been needed is in the message.
  absl::Status Acquire(std::string_view api_key, absl::Time deadline = absl::InfiniteFuture(),
                       AccountLimits limits = {});

  // Holds every call of the key until `until` (a 429 told us the server is saturated).
  void PauseUntil(std::string_view api_key, absl::Time until);

 private:
  // A slot now, or how long to wait; a pause (429) is honoured before the budget is asked.
  absl::StatusOr<CallSlot> TryTake(int64_t account, absl::Time now, const AccountLimits& limits);

  RateLimitConfig config_;
  NowFn now_;
  SleepFn sleep_;
  std::unique_ptr<CallBudget> own_budget_;
  CallBudget* budget_;
  std::mutex mu_;
  std::map<int64_t, absl::Time> paused_until_;  // per account: a 429 told us to wait
};

}  // namespace stagecheck::certn
