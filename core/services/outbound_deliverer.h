// Delivers the outbox of outbound webhooks (issue 20): the `webhook.deliver`
// work handler. One run is one attempt of one delivery: sign the event's body
// with the endpoint's secret (and the previous one during a rotation's grace
// period), post it, log the attempt, and decide. Only 2xx is delivered; 410
// disables the endpoint; anything else is tried again after
// NextDeliveryDelay (Retry-After honoured) as a planned deferral of the same
// work item, so the schedule is the Standard Webhooks one and not the work
// runner's; after kMaxDeliveryAttempts the delivery has failed. An endpoint
// whose every attempt has failed for kDisableAfterFailingFor is disabled,
// and every active admin of its team notified in the same transaction.
// A run that dies after posting runs again when its lease ends: the receiver
// may see an event twice, with the same webhook-id.
#pragma once

#include <mutex>
#include <random>

#include "absl/status/status.h"
#include "core/domain/endpoint_url.h"
#include "core/domain/webhook_endpoint.h"
#include "core/ports/cipher.h"
#include "core/ports/webhook_poster.h"
#include "core/services/deps.h"
#include "core/services/work_runner.h"

namespace stagecheck {

struct DeliveryOptions {
  absl::Duration timeout = absl::Seconds(15);  // connect, send and answer
  // Tests only: every retry after this delay instead of the schedule (the
  // number of attempts stays kMaxDeliveryAttempts).
  std::optional<absl::Duration> fixed_retry_delay;
};

class OutboundDeliverer {
 public:
  OutboundDeliverer(const Deps& deps, Cipher& cipher, WebhookPoster& poster, EndpointPolicy policy,
                    DeliveryOptions options = {})
      : deps_(deps), cipher_(cipher), poster_(poster), policy_(policy), options_(options) {}

  // Registers `webhook.deliver` with the runner (before it starts).
  absl::Status RegisterWork(WorkRunner& runner);
  // The handler: OK when the delivery is done (delivered or given up), a
  // status with a Retry-After (core/errors.h) for the next attempt.
  absl::Status Deliver(const WorkItem& item);

 private:
  struct Loaded {
    OutboundDelivery delivery;
    OutboundEvent event;
    WebhookEndpoint endpoint;
  };
  absl::StatusOr<std::optional<Loaded>> Load(const WorkItem& item);
  DeliveryAttempt Attempt(const Loaded& loaded, std::optional<absl::Duration>& retry_after);
  absl::StatusOr<WebhookPost> Signed(const Loaded& loaded, absl::Time now);
  absl::StatusOr<std::optional<absl::Duration>> Record(const Loaded& loaded,
                                                       DeliveryAttempt attempt,
                                                       std::optional<absl::Duration> retry_after);
  bool JudgeEndpoint(WebhookEndpoint& endpoint, bool delivered, bool gone, absl::Time now);
  double Jitter();

  Deps deps_;
  Cipher& cipher_;
  WebhookPoster& poster_;
  EndpointPolicy policy_;
  DeliveryOptions options_;
  std::mutex mu_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace stagecheck
