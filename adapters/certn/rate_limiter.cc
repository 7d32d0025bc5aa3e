#include "adapters/certn/rate_limiter.h"

#include <algorithm>
#include <cstdint>

#include <openssl/sha.h>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/services/call_budgets.h"
#include "core/strings.h"
#include "plugin/certn/ports/certn_gateway.h"

namespace stagecheck::certn {
namespace {
// The account's key in the budget: the first 8 bytes of SHA-256 of the API
// key. Stable across processes (absl::Hash is seeded per process, so replicas
// would never meet in a shared budget) and not reversible to the key.
int64_t AccountOf(std::string_view api_key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(api_key.data()), api_key.size(), digest);
  uint64_t account = 0;
  for (int i = 0; i < 8; ++i) account = (account << 8) | digest[i];
  return static_cast<int64_t>(account);
}
}  // namespace

RateLimiter::RateLimiter(RateLimitConfig config, NowFn now, SleepFn sleep, CallBudget* budget)
    : config_(config),
      now_(std::move(now)),
      sleep_(std::move(sleep)),
      own_budget_(budget == nullptr ? std::make_unique<InProcessCallBudget>() : nullptr),
      budget_(budget == nullptr ? own_budget_.get() : budget) {
  config_.burst = std::max(config_.burst, 1);
  if (config_.window <= absl::ZeroDuration()) config_.window = absl::Minutes(1);
  if (config_.margin < absl::ZeroDuration()) config_.margin = absl::ZeroDuration();
}

absl::StatusOr<CallSlot> RateLimiter::TryTake(int64_t account, absl::Time now,
                                              const AccountLimits& limits) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto paused = paused_until_.find(account);
    if (paused != paused_until_.end() && now < paused->second)
      return CallSlot{.wait = paused->second - now};
  }
  // A grant counts for window + margin: Certn counts a call when it arrives,
  // a little after we granted it (RateLimitConfig::margin).
  return budget_->TryTake(account, now,
                          CallLimits{.per_window = limits.per_minute,
                                     .window = config_.window + config_.margin,
                                     .per_day = limits.per_day});
}

absl::Status RateLimiter::Acquire(std::string_view api_key, absl::Time deadline,
                                  AccountLimits limits) {
  const int64_t account = AccountOf(api_key);
  if (limits.per_minute <= 0) limits.per_minute = config_.burst;
  if (limits.per_day <= 0) limits.per_day = config_.per_day;
  const absl::Time start = now_();
  const absl::Time give_up = std::min(deadline, start + config_.max_wait);
  for (;;) {
    const absl::Time now = now_();
    absl::StatusOr<CallSlot> slot = TryTake(account, now, limits);
    if (!slot.ok()) {
      return absl::UnavailableError(
          absl::StrCat("Certn call budget unreadable: ", slot.status().message()));
    }
    const absl::Duration wait = slot->wait;
    if (wait == absl::ZeroDuration()) return absl::OkStatus();
    if (slot->day_spent) {
      // Never waited for in a call: the work waits, durably, until the day turns.
      return WithRetryAfter(Error(absl::StatusCode::kResourceExhausted, kDailyLimitCode,
                                  "Certn's daily limit is reached; sending resumes at 00:00 UTC"),
                            wait);
    }
    if (now + wait > give_up) {
      return WithRetryAfter(absl::ResourceExhaustedError(absl::StrCat(
                                "Certn client rate limit exhausted (", limits.per_minute, " per ",
                                absl::FormatDuration(config_.window), "); next slot in ",
                                absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1))))),
                            wait);
    }
    sleep_(wait);
  }
}

void RateLimiter::PauseUntil(std::string_view api_key, absl::Time until) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Time& paused =
      paused_until_.try_emplace(AccountOf(api_key), absl::InfinitePast()).first->second;
  paused = std::max(paused, until);
}

}  // namespace stagecheck::certn
