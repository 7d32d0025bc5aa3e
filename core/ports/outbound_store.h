// The rows of outbound webhooks (issue 20): endpoints, the outbox of events
// and the delivery log. The store adapter implements this port on the same
// object as the UnitOfWork (as it does for a plugin's rows), so an event is
// written in the transaction of the change that causes it. Every method is
// keyed by team first.
//
// Errors follow core/ports/store.h: NotFound, AlreadyExists, Unavailable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/domain/webhook_endpoint.h"
#include "core/ports/store.h"

namespace stagecheck {

class OutboundUnitOfWork {
 public:
  virtual ~OutboundUnitOfWork() = default;

  virtual absl::Status InsertEndpoint(const WebhookEndpoint& endpoint) = 0;
  virtual absl::StatusOr<WebhookEndpoint> GetEndpoint(const TeamId& team,
                                                      const WebhookEndpointId& id) = 0;
  // Everything but team, id and created_at.
  virtual absl::Status UpdateEndpoint(const WebhookEndpoint& endpoint) = 0;
  // Removes the endpoint and its delivery log.
  virtual absl::Status DeleteEndpoint(const TeamId& team, const WebhookEndpointId& id) = 0;
  // The team's endpoints, oldest first.
  virtual absl::StatusOr<std::vector<WebhookEndpoint>> ListEndpoints(const TeamId& team) = 0;

  // The highest sequence of the subject's events so far (0 when none).
  virtual absl::StatusOr<int64_t> LastEventSequence(const TeamId& team,
                                                    const std::string& subject) = 0;
  // AlreadyExists when (team, subject, sequence) is taken.
  virtual absl::Status InsertOutboundEvent(const OutboundEvent& event) = 0;
  virtual absl::StatusOr<OutboundEvent> GetOutboundEvent(const TeamId& team,
                                                         const OutboundEventId& id) = 0;

  virtual absl::Status InsertOutboundDelivery(const OutboundDelivery& delivery) = 0;
  // Without its attempt log.
  virtual absl::StatusOr<OutboundDelivery> GetOutboundDelivery(const TeamId& team,
                                                               const OutboundDeliveryId& id) = 0;
  // state, attempts, next_attempt_at, last_error, updated_at.
  virtual absl::Status UpdateOutboundDelivery(const OutboundDelivery& delivery) = 0;
  virtual absl::Status InsertDeliveryAttempt(const TeamId& team, const OutboundDeliveryId& id,
                                             const DeliveryAttempt& attempt) = 0;
  // An endpoint's deliveries, newest first, each with its attempt log.
  virtual absl::StatusOr<Page<OutboundDelivery>> ListOutboundDeliveries(
      const TeamId& team, const WebhookEndpointId& endpoint, const PageRequest& page) = 0;
};

// The outbound rows of the transaction `uow` belongs to. A store whose unit of
// work lacks them is a wiring error: the cast throws std::bad_cast.
inline OutboundUnitOfWork& OutboundRows(UnitOfWork& uow) {
  return dynamic_cast<OutboundUnitOfWork&>(uow);
}

}  // namespace stagecheck
