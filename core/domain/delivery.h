#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "core/ids.h"

namespace stagecheck {

// What the webhook handler decided about one delivery.
enum class DeliveryVerdict {
  kApplied,     // changed (or scheduled a change to) a check
  kDuplicate,   // same delivery id seen before
  kNoChange,    // verified, but carried nothing new
  kIgnored,     // unknown event or object type
  kOrphan,      // verified, case not known yet: adopted when it appears
  kUnverified,  // no team could be found to verify it: answered 503, never applied
};
inline constexpr size_t kVerdictCount = 6;  // the verdicts above, numbered from 0
std::string_view VerdictName(DeliveryVerdict verdict);
std::optional<DeliveryVerdict> ParseVerdict(std::string_view name);

// A webhook delivery as received, kept for audit and replay.
struct WebhookDelivery {
  std::optional<TeamId> team;  // empty only for kUnverified
  std::string delivery_id;     // the vendor's id for the event, unique per team
  absl::Time received_at;
  std::string scheme;  // which signature header verified it, in the plugin's words
  // The request headers that matter, as received ("Name: value" lines):
  // the vendor's team header and the signature header, so a delivery can be audited and
  // re-verified later. A signature is not a secret (it never leaves the store
  // through logs or the API).
  std::string headers;
  std::string event_type;
  std::string object_type;
  std::string object_id;  // the vendor's case id (a check's external_id)
  std::string body;
  DeliveryVerdict verdict = DeliveryVerdict::kApplied;
  std::optional<CheckId> check;
};

// Durable background work (outbox): a plugin's orders, case fetches, report
// downloads. Claimed with a lease so that one replica runs each item.
struct WorkItem {
  TeamId team;
  WorkItemId id;
  std::string kind;     // "<plugin>.<work>", e.g. "<vendor>.order", "<vendor>.fetch_case"
  std::string subject;  // usually a check id
  std::string payload;
  std::optional<std::string> dedupe_key;  // unique while pending
  absl::Time run_at;
  int attempts = 0;
  std::string last_error;
  std::string state = "pending";  // pending, done, failed
};

// A remembered response to a POST carrying an Idempotency-Key.
struct IdempotencyRecord {
  TeamId team;
  std::string key;
  std::string request_fingerprint;  // method + path + body hash
  int status_code = 0;
  std::string response_body;
  absl::Time created_at;
};

}  // namespace stagecheck
