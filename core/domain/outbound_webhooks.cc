#include "core/domain/outbound_webhooks.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

struct EventTypeRow {
  OutboundEventType type;
  std::string_view name;
};

constexpr std::array<EventTypeRow, 7> kEventTypes = {{
    {OutboundEventType::kCheckCreated, "check.created"},
    {OutboundEventType::kCheckStatusChanged, "check.status_changed"},
    {OutboundEventType::kCheckCompleted, "check.completed"},
    {OutboundEventType::kCheckReportReady, "check.report_ready"},
    {OutboundEventType::kCheckError, "check.error"},
    {OutboundEventType::kCheckCancelled, "check.cancelled"},
    {OutboundEventType::kApplicationMoved, "application.moved"},
}};

// The Standard Webhooks reference schedule, after the first attempt.
constexpr std::array<absl::Duration, kMaxDeliveryAttempts - 1> kRetrySchedule = {
    absl::Seconds(5), absl::Minutes(5), absl::Minutes(30), absl::Hours(2),
    absl::Hours(5),   absl::Hours(10),  absl::Hours(10),
};
constexpr absl::Duration kLongestRetryAfter = absl::Hours(24);

absl::Status InvalidEventTypes(std::string_view code, std::string_view message) {
  return WithField(Error(absl::StatusCode::kInvalidArgument, code, message), "event_types");
}

}  // namespace

std::string_view EventTypeName(OutboundEventType type) {
  for (const EventTypeRow& row : kEventTypes) {
    if (row.type == type) return row.name;
  }
  return "unknown";
}

std::optional<OutboundEventType> ParseEventType(std::string_view name) {
  for (const EventTypeRow& row : kEventTypes) {
    if (row.name == name) return row.type;
  }
  return std::nullopt;
}

const std::vector<OutboundEventType>& AllEventTypes() {
  static const std::vector<OutboundEventType> all = [] {
    std::vector<OutboundEventType> types;
    for (const EventTypeRow& row : kEventTypes) types.push_back(row.type);
    return types;
  }();
  return all;
}

absl::StatusOr<std::set<OutboundEventType>> ParseEventTypeList(
    const std::vector<std::string>& names) {
  if (names.empty()) {
    return InvalidEventTypes("no_event_types", "Choose at least one event type.");
  }
  std::set<OutboundEventType> types;
  for (const std::string& name : names) {
    std::optional<OutboundEventType> type = ParseEventType(name);
    if (!type) {
      std::string known;
      for (const EventTypeRow& row : kEventTypes) {
        absl::StrAppend(&known, known.empty() ? "" : ", ", ToAbsl(row.name));
      }
      return InvalidEventTypes("unknown_event_type",
                               absl::StrCat("Unknown event type; the known ones are ", known, "."));
    }
    types.insert(*type);
  }
  return types;
}

std::optional<absl::Duration> NextDeliveryDelay(int attempts_made, double jitter,
                                                std::optional<absl::Duration> retry_after) {
  if (attempts_made < 1 || attempts_made >= kMaxDeliveryAttempts) return std::nullopt;
  absl::Duration scheduled = kRetrySchedule[attempts_made - 1];
  jitter = std::clamp(jitter, -1.0, 1.0);
  absl::Duration delay = scheduled + scheduled * (0.2 * jitter);
  if (retry_after) delay = std::max(delay, std::min(*retry_after, kLongestRetryAfter));
  return delay;
}

ReplyVerdict JudgeReply(int http_status) {
  if (http_status >= 200 && http_status < 300) return ReplyVerdict::kDelivered;
  if (http_status == 410) return ReplyVerdict::kDisableEndpoint;
  return ReplyVerdict::kRetry;
}

}  // namespace stagecheck
