// Runs durable work (WorkItem in core/ports/store.h) for every plugin: claims
// due items with a lease, runs the handler registered for each item's kind,
// and records the outcome — done; deferred (a rate limit said when: no
// attempt is used up); retried after a jittered exponential backoff (a
// transient fault, core/errors.h IsTransient); or failed (permanent, or out
// of attempts). Several replicas or threads may run on one database: each
// item runs once, and an item whose runner died runs again when its lease
// ends. Periodic tasks (a plugin's reconciliation) run on the same threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/services/deps.h"

namespace stagecheck {

class GroupCommitter;

// What a plugin does with one kind of work. Every handler must be idempotent:
// an item whose lease expired runs again.
struct WorkHandler {
  std::function<absl::Status(const WorkItem&)> run;
  // Optional: the item was put back until `until` by a rate limit.
  std::function<void(const WorkItem&, const absl::Status& why, absl::Time until)> on_deferred =
      nullptr;
  // Optional: the item gave up (permanent fault or attempts exhausted), so
  // the plugin can make the failure visible.
  std::function<void(const WorkItem&, const absl::Status& error)> on_failed = nullptr;
};

struct WorkRunnerOptions {
  std::string owner;  // this runner's lease owner (unique per process)
  int threads = 2;    // 0: no threads; RunDue is called by hand (tests, CLI)
  absl::Duration poll_interval = absl::Seconds(1);
  absl::Duration lease = absl::Minutes(2);
  int max_attempts = 20;
  absl::Duration initial_backoff = absl::Seconds(2);
  absl::Duration max_backoff = absl::Minutes(10);
  // When set, claims and outcomes are pieces of its batches (one commit, one
  // fsync, shared with the webhook deliveries written at the same time)
  // instead of transactions of their own. Must outlive the runner's threads.
  GroupCommitter* committer = nullptr;
  // Threads (besides `threads`) that run only items handed over by the
  // transaction that queued them (ClaimQueued, Hand: a send's order), so
  // that such an item neither waits for a claim of its own (a second
  // commit and fsync) nor behind a backlog of due work. 0: none.
  int express_threads = 1;
};

class WorkRunner {
 public:
  WorkRunner(const Deps& deps, WorkRunnerOptions options);
  ~WorkRunner();
  WorkRunner(const WorkRunner&) = delete;
  WorkRunner& operator=(const WorkRunner&) = delete;

  // Before Start only. AlreadyExists when the kind has a handler.
  absl::Status Register(std::string kind, WorkHandler handler);
  // Before Start only: `task` runs on a runner thread about every `every`.
  void AddPeriodic(absl::Duration every, std::function<void()> task);

  void Start();
  void Stop();
  // Wakes an idle thread now (new work was queued).
  void Wake();
  // In the transaction that queued `item` (after uow.EnqueueWork): when an
  // express thread is free, leases the item to this runner and returns it
  // as claimed; once that transaction is durable, the caller passes it to
  // Hand. nullopt: the item stays pending for the due-work claims (Wake).
  // If the transaction rolls back, so does the lease; if the process dies
  // before the item ran, it runs again when the lease ends, as any claimed
  // item does.
  absl::StatusOr<std::optional<WorkItem>> ClaimQueued(UnitOfWork& uow, const WorkItem& item);
  // Runs an item ClaimQueued returned on an express thread, now.
  void Hand(WorkItem claimed);
  // Claims and runs what is due; returns how many items ran. Used by the
  // threads, and directly by tests.
  int RunDue(int limit = 16);
  // Runs the periodic tasks that are due now.
  void RunPeriodic();
  // A handler's own writes: `work` runs as a piece of the group commit's
  // next batch (on the lane of `key`, when given), shared with the webhook
  // deliveries committed at the same time, or in a transaction of its own
  // without a committer. Returns once it committed and is durable. Never
  // from inside a piece: it would wait for its own batch.
  absl::Status Record(const std::function<absl::Status(UnitOfWork&)>& work,
                      std::string_view key = {});
  // A handler's last write, returned as the handler's own result: `work`
  // and the completion of `item` (the item the handler runs) commit in one
  // transaction, so a fetch costs the writer one piece and the worker one
  // wait for an fsync, not two; RunOne then records nothing more. An item
  // gone meanwhile (NotFound) leaves `work` to stand. When the calling
  // thread is not running `item` (a handler called directly), as Record.
  absl::Status RecordLast(const WorkItem& item,
                          const std::function<absl::Status(UnitOfWork&)>& work,
                          std::string_view key = {});

 private:
  struct Periodic {
    absl::Duration every;
    std::function<void()> task;
    absl::Time last = absl::InfinitePast();
  };
  void Loop();
  void ExpressLoop();
  void RunOne(const WorkItem& item);
  absl::Duration Backoff(int attempts);
  absl::Duration Jitter(absl::Duration up_to);
  void Count(const WorkItem& item, std::string_view outcome);

  Deps deps_;
  WorkRunnerOptions options_;
  std::map<std::string, WorkHandler, std::less<>> handlers_;
  std::vector<Periodic> periodic_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int wakeups_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
  std::vector<std::thread> threads_;
  std::condition_variable express_cv_;
  std::deque<WorkItem> handed_;  // claimed items waiting for an express thread
  int express_busy_ = 0;         // express threads running an item
  int express_started_ = 0;
};

}  // namespace stagecheck
