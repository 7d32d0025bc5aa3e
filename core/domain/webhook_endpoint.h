// A team's outbound webhook endpoints, the events waiting to be sent to them
// (the outbox) and the log of every attempt (issue 20; wire format in
// docs/outbound-webhooks.md). Secrets are kept encrypted with the
// deployment's Cipher; the plain "whsec_..." secret is shown once.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/domain/outbound_webhooks.h"
#include "core/ids.h"

namespace stagecheck {

using WebhookEndpointId = Id<struct WebhookEndpointTag>;
using OutboundEventId = Id<struct OutboundEventTag>;  // "msg_...": the webhook-id header
using OutboundDeliveryId = Id<struct OutboundDeliveryTag>;

// Why an endpoint stopped receiving events ("" while enabled).
inline constexpr std::string_view kDisabledByAdmin = "disabled_by_admin";
inline constexpr std::string_view kDisabledGone = "endpoint_gone";  // it answered 410
inline constexpr std::string_view kDisabledFailing = "failing_for_72_hours";

struct WebhookEndpoint {
  TeamId team;
  WebhookEndpointId id;
  std::string url;
  std::set<OutboundEventType> event_types;
  std::string description;
  std::string secret_encrypted;
  // The secret before the last rotation, signing too until `previous_valid_until`.
  std::optional<std::string> previous_secret_encrypted;
  std::optional<absl::Time> previous_valid_until;
  bool enabled = true;
  std::string disabled_reason;  // kDisabled*, "" while enabled
  std::optional<absl::Time> disabled_at;
  std::optional<absl::Time> failing_since;  // the first failure after the last success
  absl::Time created_at;
  absl::Time updated_at;
};

// One event in the outbox: its body is built once, so every endpoint and
// every retry gets the same bytes.
struct OutboundEvent {
  TeamId team;
  OutboundEventId id;
  OutboundEventType type = OutboundEventType::kCheckCreated;
  std::string subject;   // the check (or application) the event is about
  int64_t sequence = 0;  // per subject, from 1
  std::string body;      // the JSON payload
  absl::Time created_at;
};

enum class OutboundDeliveryState {
  kPending,    // waiting for its next attempt
  kDelivered,  // a 2xx answer
  kFailed,     // out of attempts, or its endpoint was disabled or deleted
};
std::string_view DeliveryStateName(OutboundDeliveryState state);
std::optional<OutboundDeliveryState> ParseDeliveryState(std::string_view name);

// One attempt to deliver an event to an endpoint.
struct DeliveryAttempt {
  int number = 0;  // 1 for the first attempt; a replay continues the count
  absl::Time at;
  int http_status = 0;  // 0: no answer (timeout, refused address, connection error)
  absl::Duration latency;
  std::string error;    // the reason when there was no answer
  std::string excerpt;  // the first bytes of the answer (at most kAttemptExcerptBytes)
};
inline constexpr size_t kAttemptExcerptBytes = 256;

// One event to one endpoint, with its attempts (newest last).
struct OutboundDelivery {
  TeamId team;
  OutboundDeliveryId id;
  WebhookEndpointId endpoint;
  OutboundEventId event;
  OutboundEventType event_type = OutboundEventType::kCheckCreated;
  OutboundDeliveryState state = OutboundDeliveryState::kPending;
  int attempts = 0;
  std::optional<absl::Time> next_attempt_at;
  std::string last_error;
  absl::Time created_at;
  absl::Time updated_at;
  std::vector<DeliveryAttempt> attempt_log;  // filled by the delivery log's reads
};

}  // namespace stagecheck
