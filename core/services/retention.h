// Retention and erasure (issue 19; docs/operations.md, "Retention and
// erasure"). A team's settings say how long report data and webhook bodies
// are kept; the durable `retention.purge` work item (one per team at a time,
// leased like all work, so replicas never purge twice) removes what is older
// in small batches (report data, recorded webhook bodies, finished outbound
// deliveries with their events and attempt logs, read notifications) and
// writes a feed line for every check whose report it purged. An
// admin's erasure removes a candidate's personal data in one transaction,
// after asking the check's vendor (durably, through the plugin) to cancel an
// active check.
#pragma once

#include <functional>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/domain/retention.h"
#include "core/ports/retention_store.h"
#include "core/services/deps.h"
#include "core/services/work_runner.h"

namespace stagecheck {

inline constexpr std::string_view kWorkRetentionPurge = "retention.purge";

struct RetentionOptions {
  absl::Duration interval = absl::Hours(1);  // how often each team's purge is queued
  int batch = 50;                            // rows of each kind one run removes at most
  int read_notification_days = 90;           // a read notification is kept this long
};

struct ErasureResult {
  CandidateId candidate;
  absl::Time erased_at;
};

// Asks a check's vendor to cancel it, durably (an outbox item in the
// vendor's plugin). OK when the check cannot be cancelled any more.
using CheckCanceller = std::function<absl::Status(const Principal&, const BackgroundCheck&)>;

// Drops this process's in-memory details of refused (unverified) webhook
// deliveries recorded before `cutoff(team)`; returns how many.
using RefusedForgetter =
    std::function<size_t(const std::function<absl::Time(const std::optional<TeamId>&)>& cutoff)>;

class Retention {
 public:
  Retention(const Deps& deps, RetentionOptions options) : deps_(deps), options_(options) {}

  void set_canceller(CheckCanceller cancel) { cancel_ = std::move(cancel); }
  void set_refused_forgetter(RefusedForgetter forget) { forget_refused_ = std::move(forget); }

  absl::StatusOr<RetentionSettings> Get(const TeamId& team);
  // InvalidArgument (invalid_retention) for a value out of range.
  absl::StatusOr<RetentionSettings> Update(const Principal& who, const RetentionPatch& patch);

  // Registers the purge's handler and the periodic task that queues it.
  absl::Status RegisterWork(WorkRunner& runner);
  // Queues one purge per team (deduplicated: a pending one is kept).
  absl::Status Schedule();
  absl::Status RunPurge(const WorkItem& item);
  // Every replica, each interval: its in-memory details of refused
  // deliveries older than their team's unverified_metadata_days go.
  absl::StatusOr<size_t> ForgetRefused();

  // Erases the candidate's personal data (NotFound candidate_not_found for
  // another team's or an unknown one). A second erasure answers the first's result.
  absl::StatusOr<ErasureResult> Erase(const Principal& who, const CandidateId& candidate);

 private:
  absl::Status CancelActiveChecks(const Principal& who, const CandidateId& candidate);
  // What one run removed, per kind (each at most options_.batch).
  struct PurgeCounts {
    int64_t reports = 0;
    int64_t bodies = 0;
    OutboxPurge outbox;
    int64_t notifications = 0;
  };
  absl::StatusOr<int64_t> PurgeReports(const TeamId& team, const RetentionSettings& settings);
  // Delivery bodies, the outbox and read notifications, in one transaction.
  absl::Status PurgeRest(const TeamId& team, const RetentionSettings& settings, PurgeCounts& n);

  Deps deps_;
  RetentionOptions options_;
  CheckCanceller cancel_;
  RefusedForgetter forget_refused_;
};

}  // namespace stagecheck
