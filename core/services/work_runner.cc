#include "core/services/work_runner.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/services/group_commit.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "core/thread_name.h"

namespace stagecheck {
namespace {

// The item a thread's RunOne is running, and whether its handler's last
// write (RecordLast) already recorded it done.
struct Running {
  const void* runner;
  const WorkItem* item;
  bool completed = false;
};
thread_local Running* running = nullptr;

}  // namespace

WorkRunner::WorkRunner(const Deps& deps, WorkRunnerOptions options)
    : deps_(deps), options_(std::move(options)) {}

WorkRunner::~WorkRunner() { Stop(); }

absl::Status WorkRunner::Register(std::string kind, WorkHandler handler) {
  if (!handler.run)
    return absl::InvalidArgumentError(absl::StrCat("work kind ", kind, " has no handler"));
  if (!handlers_.emplace(kind, std::move(handler)).second) {
    return absl::AlreadyExistsError(absl::StrCat("work kind ", kind, " is registered twice"));
  }
  return absl::OkStatus();
}

void WorkRunner::AddPeriodic(absl::Duration every, std::function<void()> task) {
  periodic_.push_back(Periodic{every, std::move(task)});
}

void WorkRunner::Start() {
  for (int i = 0; i < options_.threads; ++i) {
    NameThread(threads_.emplace_back([this] { Loop(); }), "sc-worker");
  }
  if (options_.threads == 0) return;  // RunDue by hand: nothing runs on its own
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < options_.express_threads; ++i) {
    NameThread(threads_.emplace_back([this] { ExpressLoop(); }), "sc-express");
    ++express_started_;
  }
}

void WorkRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  express_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  express_started_ = 0;
  // Items handed over and not run keep their lease: due again when it ends.
  handed_.clear();
}

absl::StatusOr<std::optional<WorkItem>> WorkRunner::ClaimQueued(UnitOfWork& uow,
                                                                const WorkItem& item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Only when it would run at once: a queued hand-over would hold the
    // item's lease while due-work threads might be free.
    if (stopping_ || express_busy_ + static_cast<int>(handed_.size()) >= express_started_)
      return std::nullopt;
  }
  RETURN_IF_ERROR(
      uow.ClaimWorkItem(item.team, item.id, options_.owner, deps_.clock.Now() + options_.lease));
  WorkItem claimed = item;
  ++claimed.attempts;  // as ClaimWork counts a run
  claimed.dedupe_key.reset();
  return claimed;
}

void WorkRunner::Hand(WorkItem claimed) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || express_started_ == 0) return;  // the lease ends, then it is due again
    handed_.push_back(std::move(claimed));
  }
  express_cv_.notify_one();
}

void WorkRunner::ExpressLoop() {
  for (;;) {
    WorkItem item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      express_cv_.wait(lock, [&] { return stopping_ || !handed_.empty(); });
      if (stopping_) return;
      item = std::move(handed_.front());
      handed_.pop_front();
      ++express_busy_;
    }
    RunOne(item);
    std::lock_guard<std::mutex> lock(mu_);
    --express_busy_;
  }
}

void WorkRunner::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakeups_;
  }
  cv_.notify_one();
}

absl::Duration WorkRunner::Backoff(int attempts) {
  absl::Duration delay = options_.initial_backoff;
  for (int i = 1; i < attempts && delay < options_.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, options_.max_backoff);
  // Full jitter over the upper half keeps replicas from retrying in lockstep.
  return delay / 2 + Jitter(delay / 2);
}

absl::Duration WorkRunner::Jitter(absl::Duration up_to) {
  std::lock_guard<std::mutex> lock(mu_);
  std::uniform_real_distribution<double> fraction(0.0, 1.0);
  return up_to * fraction(rng_);
}

void WorkRunner::Count(const WorkItem& item, std::string_view outcome) {
  deps_.metrics.Increment(
      "stagecheck_work_total",
      absl::StrCat("kind=\"", item.kind, "\",outcome=\"", ToAbsl(outcome), "\""));
}

void WorkRunner::RunOne(const WorkItem& item) {
  auto handler = handlers_.find(item.kind);
  Running state{this, &item};
  running = &state;
  absl::Status result = handler == handlers_.end()
                            ? Error(absl::StatusCode::kInvalidArgument, "unknown_work",
                                    "unknown work kind " + item.kind)
                            : handler->second.run(item);
  running = nullptr;
  absl::Status recorded;
  if (result.ok()) {
    if (!state.completed) {
      recorded = Record([&](UnitOfWork& uow) { return uow.CompleteWork(item.team, item.id); });
    }
    Count(item, "done");
  } else if (std::optional<absl::Duration> after = RetryAfterOf(result)) {
    // A rate limit: wait for the slot without using up an attempt, and a
    // little longer than asked so waiting items spread.
    absl::Time next = deps_.clock.Now() + *after + Jitter(absl::Milliseconds(250));
    recorded = Record([&](UnitOfWork& uow) { return uow.DeferWork(item.team, item.id, next); });
    if (handler != handlers_.end() && handler->second.on_deferred)
      handler->second.on_deferred(item, result, next);
    Count(item, "deferred");
  } else if (IsTransient(result) && item.attempts < options_.max_attempts) {
    // item.attempts already counts this run (ClaimWork increments it).
    absl::Time next = deps_.clock.Now() + Backoff(item.attempts);
    recorded = Record([&](UnitOfWork& uow) {
      return uow.RetryWork(item.team, item.id, next, std::string(result.message()));
    });
    Count(item, "retry");
  } else {
    recorded = Record([&](UnitOfWork& uow) {
      return uow.FailWork(item.team, item.id, std::string(result.message()));
    });
    if (handler != handlers_.end() && handler->second.on_failed)
      handler->second.on_failed(item, result);
    Count(item, "failed");
  }
  // Planned waiting (a rate limit's slot, the next feed read) is not a warning.
  deps_.log.Log(result.ok() || RetryAfterOf(result) ? LogLevel::kInfo : LogLevel::kWarning,
                "work.ran",
                {{"kind", item.kind},
                 {"subject", item.subject},
                 {"code", ErrorCode(result)},
                 {"error", ToStd(result.message())}});
  if (!recorded.ok()) {
    // The lease expires and the item runs again: every handler is idempotent.
    deps_.log.Log(LogLevel::kWarning, "work.record_failed", {{"error", ToStd(recorded.message())}});
  }
}

absl::Status WorkRunner::Record(const std::function<absl::Status(UnitOfWork&)>& work,
                                std::string_view key) {
  if (options_.committer == nullptr) return deps_.store.Transact(work);
  std::promise<absl::Status> committed;
  std::future<absl::Status> result = committed.get_future();
  auto done = [&committed](absl::Status s) { committed.set_value(s); };
  if (key.empty()) {
    options_.committer->Submit(work, std::move(done));
  } else {
    options_.committer->Submit(key, work, std::move(done));
  }
  return result.get();
}

absl::Status WorkRunner::RecordLast(const WorkItem& item,
                                    const std::function<absl::Status(UnitOfWork&)>& work,
                                    std::string_view key) {
  Running* run = running;
  if (run == nullptr || run->runner != this || run->item->id != item.id ||
      run->item->team != item.team) {
    return Record(work, key);
  }
  absl::Status status = Record(
      [&](UnitOfWork& uow) -> absl::Status {
        RETURN_IF_ERROR(work(uow));
        absl::Status done = uow.CompleteWork(item.team, item.id);
        // Removed meanwhile (an operator, retention): the handler's writes stand.
        if (done.code() == absl::StatusCode::kNotFound) return absl::OkStatus();
        return done;
      },
      key);
  if (status.ok()) run->completed = true;
  return status;
}

int WorkRunner::RunDue(int limit) {
  absl::Time now = deps_.clock.Now();
  std::vector<WorkItem> claimed;
  absl::Status status = Record([&](UnitOfWork& uow) -> absl::Status {
    claimed.clear();  // a batch may run this piece again
    absl::StatusOr<std::vector<WorkItem>> got =
        uow.ClaimWork(now, options_.owner, now + options_.lease, limit);
    if (!got.ok()) return got.status();
    claimed = *std::move(got);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    deps_.log.Log(LogLevel::kWarning, "work.claim_failed", {{"error", ToStd(status.message())}});
    return 0;
  }
  for (const WorkItem& item : claimed) RunOne(item);
  return static_cast<int>(claimed.size());
}

void WorkRunner::RunPeriodic() {
  const absl::Time now = deps_.clock.Now();
  for (Periodic& p : periodic_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (now - p.last < p.every) continue;
      p.last = now;  // claimed by this thread
    }
    p.task();
  }
}

void WorkRunner::Loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    RunPeriodic();
    if (RunDue() > 0) continue;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.poll_interval),
                 [&] { return stopping_ || wakeups_ > 0; });
    if (wakeups_ > 0) --wakeups_;
  }
}

}  // namespace stagecheck
