// The thin event at the top of a Certn webhook body: which delivery it is,
// what happened, and to which case. Read by two parsers (webhook_event.cc):
// simdjson for the bodies Certn sends, rapidjson for whatever simdjson
// refuses, so that a body rapidjson reads is never refused (CERTN.md: read
// vendor answers tolerantly).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace stagecheck::certn_plugin {

struct WebhookEvent {
  std::string id;  // the delivery's id, unique per Certn team
  std::string event_type;
  std::string object_id;
  std::string object_type;
};

// "invalid_json" when the body is not a JSON object, "invalid_event" when a
// field is missing, not a string, empty or longer than 200 bytes.
absl::StatusOr<WebhookEvent> ParseWebhookEvent(std::string_view body);

// ParseWebhookEvent with one parser only, for the differential fuzz target:
// whatever the fast one reads, the tolerant one must read the same.
enum class EventParser { kFast, kTolerant };
absl::StatusOr<WebhookEvent> ParseWebhookEventWith(EventParser parser, std::string_view body);

}  // namespace stagecheck::certn_plugin
