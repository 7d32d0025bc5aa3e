// The store's part in retention and erasure (core/services/retention.h): a
// team's retention settings, the purges the retention job runs in small
// batches, and the erasure of one candidate's personal data. Implemented on
// the same object as UnitOfWork (adapters/store/sql/retention.cc), so each
// purge or erasure commits with the feed lines that record it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/domain/retention.h"
#include "core/ids.h"
#include "core/ports/store.h"

namespace stagecheck {

// A completed check whose report data the job removed.
struct PurgedReport {
  CheckId check;
  CandidateId candidate;
  std::optional<ApplicationId> application;
  bool file_removed = false;
};

// What one batch of the outbox's purge removed.
struct OutboxPurge {
  int64_t deliveries = 0;  // finished deliveries, with their attempt logs
  int64_t events = 0;      // events deleted or emptied
};

// What an erasure removed, for its audit line.
struct ErasureCounts {
  int64_t files = 0;
  int64_t checks = 0;
  int64_t deliveries = 0;
};

class RetentionUnitOfWork {
 public:
  virtual ~RetentionUnitOfWork() = default;

  // The team's settings; the defaults (updated_at absent) when never set.
  virtual absl::StatusOr<RetentionSettings> GetRetention(const TeamId& team) = 0;
  virtual absl::Status PutRetention(const TeamId& team, const RetentionSettings& settings) = 0;
  // Global: every team whose settings were changed (the others keep the defaults).
  virtual absl::StatusOr<std::vector<std::pair<TeamId, RetentionSettings>>>
  ListChangedRetention() = 0;
  // Global: team ids after `after` in order, at most `limit` (the scheduler's walk).
  virtual absl::StatusOr<std::vector<TeamId>> ListTeamIds(const std::optional<TeamId>& after,
                                                          int limit) = 0;

  // Up to `limit` of the team's checks completed before `completed_before`
  // whose report data is still kept: their report file is deleted, their
  // results emptied, and they are marked purged at `now` (never again).
  virtual absl::StatusOr<std::vector<PurgedReport>> PurgeReports(const TeamId& team,
                                                                 absl::Time completed_before,
                                                                 absl::Time now, int limit) = 0;
  // Empties the bodies of up to `limit` deliveries received before
  // `received_before`; returns how many.
  virtual absl::StatusOr<int64_t> PurgeDeliveryBodies(const TeamId& team,
                                                      absl::Time received_before, int limit) = 0;
  // Deletes up to `limit` finished (delivered or failed) outbound deliveries
  // last changed before `finished_before`, with their attempt logs; then up
  // to `limit` events created before it that no delivery needs any more
  // (the newest event of each subject stays, its body emptied, so that its
  // sequence numbers go on). Pending deliveries and their events are kept.
  virtual absl::StatusOr<OutboxPurge> PurgeOutbox(const TeamId& team, absl::Time finished_before,
                                                  int limit) = 0;
  // Deletes up to `limit` notifications read and created before `created_before`.
  virtual absl::StatusOr<int64_t> PurgeReadNotifications(const TeamId& team,
                                                         absl::Time created_before, int limit) = 0;

  // When the candidate was erased; nullopt while not. NotFound when the
  // team has no such candidate.
  virtual absl::StatusOr<std::optional<absl::Time>> GetErasure(const TeamId& team,
                                                               const CandidateId& candidate) = 0;
  // Removes the candidate's personal data from every table (name, email,
  // phone, tags, files, report data and results, delivery bodies of its
  // checks' cases, pending work of its checks but a cancellation, its words
  // in feed messages) and marks it erased at `now`. The rows that tie the
  // history together (ids, statuses, times) stay.
  virtual absl::StatusOr<ErasureCounts> EraseCandidate(const TeamId& team,
                                                       const CandidateId& candidate,
                                                       absl::Time now) = 0;
};

// The retention rows of the transaction `uow` belongs to. A store whose unit
// of work lacks them is a wiring error: the cast throws std::bad_cast.
inline RetentionUnitOfWork& RetentionRows(UnitOfWork& uow) {
  return dynamic_cast<RetentionUnitOfWork&>(uow);
}

}  // namespace stagecheck
