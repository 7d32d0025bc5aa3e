// The one global webhook, /certn/certnWebhookHandler: find the team, verify
// the signature with that team's secret(s), record the delivery and the
// follow-up work in one (group-committed) transaction, answer after commit.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/services/bundled_commit.h"
#include "core/services/group_commit.h"
#include "plugin/certn/addressees.h"
#include "plugin/certn/checks.h"
#include "plugin/certn/pending_fetches.h"
#include "plugin/certn/refused_deliveries.h"
#include "plugin/certn/signature.h"
#include "plugin/certn/webhook_event.h"

namespace stagecheck::certn_plugin {

struct WebhookRequest {
  std::string body;
  std::optional<std::string> certn_team_id;    // Certn-Team-ID
  std::optional<std::string> certn_signature;  // Certn-Signature
  std::optional<std::string> x_signature;      // X-Signature
  std::string remote_address;                  // for the refused-delivery log only
};
// The headers of `request` that are stored with the delivery ("Name: value"
// lines), each value cut to `max_value` characters.
std::string StoredHeaders(const WebhookRequest& request, size_t max_value = std::string::npos);

struct WebhookAnswer {
  int http_status = 200;
  std::string code;    // stable problem code, or the verdict on success
  std::string detail;  // safe to show and log: never a secret or a signature
};

bool IsKnownEvent(const WebhookEvent& event);

class WebhookReceiver {
 public:
  // Histogram: deliveries per bundle (one transaction's piece; bundled_commit.h).
  static constexpr std::string_view kBundleDeliveriesMetric =
      "stagecheck_webhook_bundle_deliveries";
  // Counter: case fetches queued with a longer wait than fetch_coalesce,
  // as their case's deliveries kept coming (pending_fetches.h).
  static constexpr std::string_view kBusyCaseFetchesMetric =
      "stagecheck_certn_busy_case_fetches_total";

  WebhookReceiver(Checks& checks, GroupCommitter& committer);
  ~WebhookReceiver();

  // `done` is called exactly once, possibly on another thread. A delivery
  // that cannot be authenticated is answered (401, or 503 while its case may
  // be racing our own order) and counted; only its metadata is kept, in
  // refused() — never its body, never on disk.
  void Receive(WebhookRequest request, std::function<void(WebhookAnswer)> done);
  // The same without ever waiting on the store, for an io thread: when the
  // delivery's team, case and integration are remembered (addressees.h), or
  // it is refused before any look-up, it is taken and answered as Receive
  // would (true). Otherwise returns false and leaves `request` and `done`
  // untouched: call Receive on a thread that may block.
  bool ReceiveWithoutBlocking(WebhookRequest& request, std::function<void(WebhookAnswer)>& done);

  const RefusedDeliveries& refused() const { return refused_; }
  // Drops refused deliveries' details older than their team's retention
  // (RefusedDeliveries::Forget); returns how many.
  size_t ForgetRefused(const std::function<absl::Time(const std::optional<TeamId>&)>& cutoff) {
    return refused_.Forget(cutoff);
  }
  // The team's refused deliveries in the last hour, as this process saw them
  // (refused_deliveries.h). The caller checks that `team` may be shown them.
  RefusedSummary RefusedSummaryFor(const TeamId& team) const;

 private:
  struct Verified {
    TeamId team;
    CertnIntegration integration;
    std::optional<BackgroundCheck> check;  // the check of the event's case, when known
  };
  bool Admit(WebhookRequest& request, std::function<void(WebhookAnswer)>& done, bool may_block);
  // `stamp`: when the delivery's addressee was found (for what the
  // transaction finds about its case, remembered in addressees_).
  void Commit(WebhookDelivery&& delivery, bool touch_integration, AddresseeCache::Stamp stamp,
              std::function<void(WebhookAnswer)>&& done);

 public:
  struct Queued;  // a delivery waiting in a bundle for its transaction (webhook.cc)

 private:
  // Answers a bundled delivery once its transaction is durable or failed.
  void AnswerQueued(Queued& queued, const absl::Status& status);
  void Count(std::string_view verdict);
  void Count(DeliveryVerdict verdict);
  // `team`: the team the delivery is known to be for, if any.
  void Refuse(const WebhookRequest& request, const std::optional<TeamId>& team, absl::Time now,
              int status, std::string code, std::string detail,
              const std::function<void(WebhookAnswer)>& done);
  // At most one log line per refusal code a second, so that a flood of
  // refused deliveries cannot fill the log's disk either; `suppressed` is
  // how many were not logged since the last line.
  bool ClaimRefusalLog(const std::string& code, absl::Time now, int64_t& suppressed);
  // Whether this delivery should refresh the team's last_delivery_at: the
  // stored time is over a minute old and no delivery of this process has
  // claimed the refresh within the minute. Without the second rule every
  // delivery of a burst read the old time before the first commit landed,
  // and each rewrote the integration row.
  bool ClaimTouch(const TeamId& team, const std::optional<absl::Time>& stored, absl::Time now);

  Checks& checks_;
  // Each delivery counts its verdict and its time to apply: series found once.
  std::array<std::unique_ptr<MetricSeries>, kVerdictCount> verdict_counts_;
  std::unique_ptr<MetricSeries> apply_seconds_;
  std::unique_ptr<MetricSeries> busy_case_fetches_;
  PendingFetches pending_fetches_;
  AddresseeCache addressees_{kAddresseesFreshFor, kCasesFreshFor};
  std::mutex touch_mu_;
  std::map<TeamId, absl::Time> touched_;  // team → when this process last claimed a refresh

  // How long a delivery's team, case and integration, once read, serve the
  // deliveries after it (addressees.h): an admin's change reaches every
  // replica's webhook within this.
  static constexpr absl::Duration kAddresseesFreshFor = absl::Seconds(1);
  // How long a case's check, once read, serves: it never changes once
  // recorded, so this bounds memory only (addressees.h).
  static constexpr absl::Duration kCasesFreshFor = absl::Minutes(1);
  static constexpr size_t kRefusedCapacity = 1000;
  RefusedDeliveries refused_{kRefusedCapacity};
  struct RefusalLogState {
    absl::Time last_logged = absl::InfinitePast();
    int64_t suppressed = 0;
  };
  std::mutex refusal_log_mu_;
  std::map<std::string, RefusalLogState> refusal_log_;  // guarded by refusal_log_mu_
  // Last: its pieces use the members above. Deliveries queued on one lane
  // of the group commit are written together (bundled_commit.h).
  std::unique_ptr<BundledCommitter<Queued>> bundles_;
};

}  // namespace stagecheck::certn_plugin
