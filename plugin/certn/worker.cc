#include "plugin/certn/worker.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck::certn_plugin {

Worker::Worker(Checks& checks, std::string owner, int threads, absl::Duration poll_interval,
               absl::Duration reconcile_interval)
    : checks_(checks),
      owner_(std::move(owner)),
      thread_count_(threads),
      poll_interval_(poll_interval),
      reconcile_interval_(reconcile_interval) {}

Worker::~Worker() { Stop(); }

void Worker::Start() {
  for (int i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { Loop(); });
}

void Worker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Worker::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakeups_;
  }
  cv_.notify_one();
}

absl::Duration Worker::Backoff(int attempts) {
  const PluginConfig& config = checks_.integrations().config();
  absl::Duration delay = config.retry_initial_backoff;
  for (int i = 1; i < attempts && delay < config.retry_max_backoff; ++i) delay *= 2;
  delay = std::min(delay, config.retry_max_backoff);
  // Full jitter over the upper half keeps replicas from retrying in lockstep.
  return delay / 2 + Jitter(delay / 2);
}

absl::Duration Worker::Jitter(absl::Duration up_to) {
  std::lock_guard<std::mutex> lock(mu_);
  std::uniform_real_distribution<double> fraction(0.0, 1.0);
  return up_to * fraction(rng_);
}

int Worker::RunDue(int limit) {
  const Deps& deps = checks_.deps();
  const PluginConfig& config = checks_.integrations().config();
  absl::Time now = deps.clock.Now();
  absl::StatusOr<std::vector<WorkItem>> claimed = InTransaction<std::vector<WorkItem>>(
      deps.store, [&](UnitOfWork& uow) { return uow.ClaimWork(now, owner_, now + config.work_lease, limit); });
  if (!claimed.ok()) {
    deps.log.Log(LogLevel::kWarning, "work.claim_failed", {{"error", ToStd(claimed.status().message())}});
    return 0;
  }
  for (const WorkItem& item : *claimed) {
    absl::Status result = checks_.RunWork(item);
    absl::Status recorded;
    if (result.ok()) {
      recorded = deps.store.Transact([&](UnitOfWork& uow) { return uow.CompleteWork(item.team, item.id); });
      deps.metrics.Increment("stagecheck_work_total", absl::StrCat("kind=\"", item.kind, "\",outcome=\"done\""));
    } else if (std::optional<absl::Duration> after = RetryAfterOf(result)) {
      // A rate limit (ours or Certn's): wait for the slot, without using up
      // an attempt, and a little longer than asked so waiting items spread.
      absl::Time next = deps.clock.Now() + *after + Jitter(absl::Milliseconds(250));
      recorded = deps.store.Transact([&](UnitOfWork& uow) { return uow.DeferWork(item.team, item.id, next); });
      deps.metrics.Increment("stagecheck_work_total", absl::StrCat("kind=\"", item.kind, "\",outcome=\"deferred\""));
    } else if (IsTransient(result) && item.attempts < config.max_attempts) {
      // item.attempts already counts this run (ClaimWork increments it).
      absl::Time next = deps.clock.Now() + Backoff(item.attempts);
      recorded = deps.store.Transact([&](UnitOfWork& uow) {
        return uow.RetryWork(item.team, item.id, next, std::string(result.message()));
      });
      deps.metrics.Increment("stagecheck_work_total", absl::StrCat("kind=\"", item.kind, "\",outcome=\"retry\""));
    } else {
      recorded = deps.store.Transact([&](UnitOfWork& uow) {
        return uow.FailWork(item.team, item.id, std::string(result.message()));
      });
      checks_.WorkFailed(item, result);
      deps.metrics.Increment("stagecheck_work_total", absl::StrCat("kind=\"", item.kind, "\",outcome=\"failed\""));
    }
    // Planned waiting (a rate limit's slot, the next feed read) is not a warning.
    deps.log.Log(result.ok() || RetryAfterOf(result) ? LogLevel::kInfo : LogLevel::kWarning, "work.ran",
                 {{"kind", item.kind}, {"subject", item.subject}, {"code", ErrorCode(result)},
                  {"error", ToStd(result.message())}});
    if (!recorded.ok()) {
      // The lease expires and the item runs again: every handler is idempotent.
      deps.log.Log(LogLevel::kWarning, "work.record_failed", {{"error", ToStd(recorded.message())}});
    }
  }
  return static_cast<int>(claimed->size());
}

void Worker::Loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    absl::Time now = checks_.deps().clock.Now();
    bool reconcile = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (now - last_reconcile_ >= reconcile_interval_) {
        last_reconcile_ = now;
        reconcile = true;
      }
    }
    if (reconcile) (void)checks_.Reconcile();
    if (RunDue() > 0) continue;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(poll_interval_), [&] { return stopping_ || wakeups_ > 0; });
    if (wakeups_ > 0) --wakeups_;
  }
}

}  // namespace stagecheck::certn_plugin
