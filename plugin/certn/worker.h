// Runs the durable work of the Certn plugin (orders, case fetches, reports)
// and the periodic reconciliation. Work is claimed with a lease, so several
// replicas (or threads) can run workers on one database: each item runs once,
// and an item whose worker died is picked up again when its lease expires.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "plugin/certn/checks.h"

namespace stagecheck::certn_plugin {

class Worker {
 public:
  Worker(Checks& checks, std::string owner, int threads = 2,
         absl::Duration poll_interval = absl::Seconds(1),
         absl::Duration reconcile_interval = absl::Minutes(1));
  ~Worker();

  void Start();
  void Stop();
  // Wakes an idle thread now (new work was queued).
  void Wake();
  // Claims and runs what is due; returns how many items ran. Used by the
  // threads, and directly by tests and `stagecheck work run-once`.
  int RunDue(int limit = 16);

 private:
  void Loop();
  absl::Duration Backoff(int attempts);
  absl::Duration Jitter(absl::Duration up_to);

  Checks& checks_;
  std::string owner_;
  int thread_count_;
  absl::Duration poll_interval_;
  absl::Duration reconcile_interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int wakeups_ = 0;
  absl::Time last_reconcile_ = absl::InfinitePast();
  std::mt19937_64 rng_{std::random_device{}()};
  std::vector<std::thread> threads_;
};

}  // namespace stagecheck::certn_plugin
