// The bounded, in-memory log of webhook deliveries that could not be
// authenticated (docs/architecture.md, "Webhook"): metadata only — when,
// how big, the body's SHA-256, who sent it, the headers that matter and
// why it was refused. A body never reaches the disk, and the log holds at
// most `capacity` entries (the oldest are dropped first), whatever a sender
// posts.
//
// A refusal whose team is known (by Certn-Team-ID or by the case) is also
// counted for that team, per minute over the last hour, and apart those whose
// signature did not verify, so an admin can be told that Certn signs with
// another secret
// (GET /api/v1/integrations/certn/deliveries/refused-summary). Those counts
// are kept apart from the capped log, so a flood of unattributable deliveries
// cannot push a team's failures out; they are bounded by the number of teams.
//
// The log and the counts live in this process only: with several replicas
// each counts what it answered itself (docs/operations.md, "Webhook
// deliveries that fail verification").
//
//   RefusedDeliveries log(1000);
//   log.Record({.at = now, .size = body.size(), .body_sha256_hex = ..., .reason =
//   "case_not_known_yet"}); for (const RefusedDelivery& d : log.Snapshot()) ... RefusedSummary s =
//   log.SummaryFor(team, now);  // s.failed_signature in the last hour
//
// Thread-safe: every member takes mu_.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "core/ids.h"

namespace stagecheck::certn_plugin {

struct RefusedDelivery {
  absl::Time at = {};
  int64_t size = 0;
  std::string body_sha256_hex = {};
  std::string remote_address = {};
  // "Name: value" lines of Certn-Team-ID and the signature headers, each
  // value cut to 128 characters.
  std::string headers = {};
  std::string reason = {};  // the answer's code: "case_not_known_yet", "bad_signature", ...
  int http_status = 0;
  // The team the delivery named (Certn-Team-ID) or whose case it names, when
  // known; absent when no team could be found.
  std::optional<TeamId> team = {};
};

// Whether a refusal `reason` means the signature did not verify with the
// team's secret(s): bad_signature, malformed_signature, stale_signature.
bool IsSignatureFailure(std::string_view reason);

// A team's refused deliveries over the last hour, in whole minutes: the
// current minute and the 59 before it.
struct RefusedSummary {
  absl::Duration window = absl::Hours(1);
  int64_t failed_signature = 0;  // the signature did not verify with the team's secret(s)
  int64_t refused = 0;           // every refused delivery known to be the team's
  std::optional<absl::Time> last_failed_at = {};
};

class RefusedDeliveries {
 public:
  explicit RefusedDeliveries(size_t capacity) : capacity_(capacity) {}

  void Record(RefusedDelivery delivery);
  // Oldest first.
  std::vector<RefusedDelivery> Snapshot() const;
  // Every delivery ever recorded, including those the cap has dropped.
  uint64_t total() const;
  // The team's refusals in the hour up to `now`.
  RefusedSummary SummaryFor(const TeamId& team, absl::Time now) const;
  // Drops the entries recorded before `cutoff(entry.team)` (each team's
  // retention of refused deliveries' details); returns how many.
  size_t Forget(const std::function<absl::Time(const std::optional<TeamId>&)>& cutoff);

 private:
  static constexpr int kMinutes = 60;
  struct Minute {
    int64_t minute = -1;  // unix minutes; -1: unused
    int64_t failed_signature = 0;
    int64_t refused = 0;
  };
  struct TeamCounts {
    std::array<Minute, kMinutes> minutes;  // by unix minute % kMinutes
    std::optional<absl::Time> last_failed_at;
  };

  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<RefusedDelivery> entries_;   // guarded by mu_
  uint64_t total_ = 0;                    // guarded by mu_
  std::map<TeamId, TeamCounts> by_team_;  // guarded by mu_
};

}  // namespace stagecheck::certn_plugin
