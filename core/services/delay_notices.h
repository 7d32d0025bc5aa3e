// Notifications that an open check is past its expected date (issue 20,
// item 4; docs/operations.md, section 14). The durable `checks.delay_scan`
// work item (one per team at a time, queued every interval by every replica
// and leased like all work, so one replica runs it) walks the team's open
// checks in batches, judges each with CheckLifecycle::Expect (the rule the
// API's `expected_completion.delayed` uses), and tells the sender and the
// application's watchers of each newly delayed check. Each delay is
// remembered in the transaction that writes its notifications
// (RecordDelayNotice), so a re-run, a restart or a second replica tells
// nobody twice. A delay is the check's vendor estimate (a later estimate
// that passes too is a new delay) or, without one, its projection (once).
// A check whose cancellation was asked for is not reported.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/domain/check_lifecycle.h"
#include "core/services/check_lifecycle.h"
#include "core/services/deps.h"
#include "core/services/work_runner.h"

namespace stagecheck {

inline constexpr std::string_view kWorkDelayScan = "checks.delay_scan";

struct DelayScanOptions {
  absl::Duration interval = absl::Hours(1);  // how often each team's scan is queued
  int batch = 50;                            // open checks one transaction judges
};

// What identifies one delay of a check (core/services/delay_notices.cc).
std::string DelayKey(const ExpectedCompletion& expected);

class DelayNotices {
 public:
  DelayNotices(const Deps& deps, DelayScanOptions options)
      : deps_(deps), options_(options), lifecycle_(deps) {}

  // Registers the scan's handler and the periodic task that queues it.
  absl::Status RegisterWork(WorkRunner& runner);
  // Queues one scan per team (deduplicated: a pending one is kept).
  absl::Status Schedule();
  // The handler: walks every open check of the item's team.
  absl::Status RunScan(const WorkItem& item);
  // One batch of the team's open checks after `after`; how many people's
  // notifications it wrote in `told`. Returns the last check judged (nullopt: done).
  absl::StatusOr<std::optional<CheckId>> ScanBatch(const TeamId& team,
                                                   const std::optional<CheckId>& after,
                                                   int64_t& told);

 private:
  Deps deps_;
  DelayScanOptions options_;
  CheckLifecycle lifecycle_;
};

}  // namespace stagecheck
