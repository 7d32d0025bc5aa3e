// Outbound webhooks to the host ATS (issue 20): the events a team can
// subscribe to, when a failed delivery is tried again, and what an answer
// means. Signing is core/services/standard_webhooks.h; where an endpoint may
// point is core/domain/endpoint_url.h; the wire format is documented in
// docs/outbound-webhooks.md.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace stagecheck {

enum class OutboundEventType {
  kCheckCreated,
  kCheckStatusChanged,
  kCheckCompleted,
  kCheckReportReady,
  kCheckError,
  kCheckCancelled,
  kApplicationMoved,
};

// "check.created", "check.status_changed", ... "application.moved".
std::string_view EventTypeName(OutboundEventType type);
std::optional<OutboundEventType> ParseEventType(std::string_view name);
const std::vector<OutboundEventType>& AllEventTypes();

// The event types an endpoint asks for, as given by an admin: known names,
// no duplicates, at least one. InvalidArgument with code "unknown_event_type"
// or "no_event_types" (field "event_types").
absl::StatusOr<std::set<OutboundEventType>> ParseEventTypeList(
    const std::vector<std::string>& names);

// After `attempts_made` failed attempts of one delivery, how long to wait
// before the next, or nullopt when it has failed for good. The schedule is
// the Standard Webhooks reference one (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
// 10 h: about a day in all), each delay moved by up to ±20% (`jitter` in
// [-1, 1]) so that endpoints recovering from an outage are not hit at once.
// A Retry-After longer than the scheduled delay wins (capped at 24 h).
std::optional<absl::Duration> NextDeliveryDelay(int attempts_made, double jitter,
                                                std::optional<absl::Duration> retry_after);
inline constexpr int kMaxDeliveryAttempts = 8;

// What an answer means (an inbound delivery's verdict is DeliveryVerdict, core/domain/delivery.h).
enum class ReplyVerdict {
  kDelivered,        // 2xx
  kRetry,            // anything else, timeouts and connection errors too
  kDisableEndpoint,  // 410 Gone: the receiver asks never to be called again
};
ReplyVerdict JudgeReply(int http_status);

// An endpoint whose every delivery has failed since `failing_since` for this
// long is disabled, and admins are told.
inline constexpr absl::Duration kDisableAfterFailingFor = absl::Hours(72);

// While a rotated secret's grace period lasts, both secrets sign.
inline constexpr absl::Duration kSecretRotationGrace = absl::Hours(24);

}  // namespace stagecheck
