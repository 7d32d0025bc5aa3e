#include "core/services/check_events.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/ports/outbound_store.h"
#include "core/services/notifications.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

// A JSON string literal (the payload is built here, where no JSON library is).
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string QuoteOrNull(const std::optional<std::string>& s) { return s ? Quote(*s) : "null"; }

// The JSON members every event of a check carries (after "sequence").
std::string CheckFields(const BackgroundCheck& c, std::optional<CheckStatus> previous) {
  return absl::StrCat(
      ",\"team_id\":", Quote(c.team.value()), ",\"check_id\":", Quote(c.id.value()),
      ",\"application_id\":",
      QuoteOrNull(c.application ? std::optional(c.application->value()) : std::nullopt),
      ",\"candidate_id\":", Quote(c.candidate.value()), ",\"status\":", Quote(StatusName(c.status)),
      ",\"previous_status\":", previous ? Quote(StatusName(*previous)) : "null",
      ",\"score\":", QuoteOrNull(c.overall_score),
      ",\"error_reason\":", c.error_reason.empty() ? "null" : Quote(c.error_reason));
}

// Stores one event and a delivery per subscribed, enabled endpoint; nothing
// when none subscribes. `fields` are the data members after "sequence".
absl::Status Enqueue(UnitOfWork& uow, const Deps& deps, const TeamId& team, OutboundEventType type,
                     const std::string& subject, const std::string& fields) {
  OutboundUnitOfWork& rows = OutboundRows(uow);
  ASSIGN_OR_RETURN(std::vector<WebhookEndpoint> endpoints, rows.ListEndpoints(team));
  std::erase_if(endpoints, [&](const WebhookEndpoint& e) {
    return !e.enabled || !e.event_types.contains(type);
  });
  if (endpoints.empty()) return absl::OkStatus();
  const absl::Time now = deps.clock.Now();
  ASSIGN_OR_RETURN(int64_t last, rows.LastEventSequence(team, subject));
  OutboundEvent event{team, OutboundEventId("msg_" + deps.ids.NewId()), type, subject, last + 1, "",
                      now};
  event.body = absl::StrCat(
      "{\"type\":", Quote(EventTypeName(type)),
      ",\"timestamp\":", Quote(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone())),
      ",\"data\":{\"sequence\":", event.sequence, fields, "}}");
  RETURN_IF_ERROR(rows.InsertOutboundEvent(event));
  for (const WebhookEndpoint& endpoint : endpoints) {
    OutboundDelivery d;
    d.team = team;
    d.id = OutboundDeliveryId(deps.ids.NewId());
    d.endpoint = endpoint.id;
    d.event = event.id;
    d.event_type = type;
    d.next_attempt_at = now;
    d.created_at = d.updated_at = now;
    RETURN_IF_ERROR(rows.InsertOutboundDelivery(d));
    RETURN_IF_ERROR(uow.EnqueueWork(DeliveryWork(deps, team, d.id.value(), now)));
  }
  return absl::OkStatus();
}

std::vector<OutboundEventType> StatusEvents(CheckStatus status) {
  std::vector<OutboundEventType> out = {OutboundEventType::kCheckStatusChanged};
  if (status == CheckStatus::kComplete) out.push_back(OutboundEventType::kCheckCompleted);
  if (status == CheckStatus::kError) out.push_back(OutboundEventType::kCheckError);
  if (status == CheckStatus::kCancelled) out.push_back(OutboundEventType::kCheckCancelled);
  return out;
}

}  // namespace

WorkItem DeliveryWork(const Deps& deps, const TeamId& team, const std::string& delivery,
                      absl::Time at) {
  WorkItem item;
  item.team = team;
  item.id = WorkItemId(deps.ids.NewId());
  item.kind = std::string(kWorkWebhookDeliver);
  item.subject = delivery;
  item.payload = delivery;
  item.run_at = at;
  return item;
}

StoredCheck StoredCheckOf(const BackgroundCheck& stored) {
  return StoredCheck{stored.status, stored.report_saved_as.has_value()};
}

absl::Status RecordCheckEvents(UnitOfWork& uow, const Deps& deps, const BackgroundCheck& check) {
  absl::StatusOr<BackgroundCheck> stored = uow.GetCheck(check.team, check.id);
  if (!stored.ok() && !absl::IsNotFound(stored.status())) return stored.status();
  return RecordCheckEvents(
      uow, deps, check,
      stored.ok() ? std::optional<StoredCheck>(StoredCheckOf(*stored)) : std::nullopt);
}

absl::Status RecordCheckEvents(UnitOfWork& uow, const Deps& deps, const BackgroundCheck& check,
                               const std::optional<StoredCheck>& stored) {
  RETURN_IF_ERROR(RecordCheckNotifications(
      uow, deps, stored ? std::optional<CheckStatus>(stored->status) : std::nullopt, check));
  const std::string subject = check.id.value();
  if (!stored) {
    RETURN_IF_ERROR(Enqueue(uow, deps, check.team, OutboundEventType::kCheckCreated, subject,
                            CheckFields(check, std::nullopt)));
    // A check can be born failed (no email to invite): say so too.
    if (check.status != CheckStatus::kError) return absl::OkStatus();
    return Enqueue(uow, deps, check.team, OutboundEventType::kCheckError, subject,
                   CheckFields(check, std::nullopt));
  }
  if (stored->status != check.status) {
    for (OutboundEventType type : StatusEvents(check.status)) {
      RETURN_IF_ERROR(
          Enqueue(uow, deps, check.team, type, subject, CheckFields(check, stored->status)));
    }
  }
  if (!stored->report_saved && check.report_saved_as) {
    RETURN_IF_ERROR(Enqueue(uow, deps, check.team, OutboundEventType::kCheckReportReady, subject,
                            absl::StrCat(CheckFields(check, std::nullopt),
                                         ",\"file_id\":", Quote(check.report_saved_as->value()))));
  }
  return absl::OkStatus();
}

absl::Status RecordApplicationEvents(UnitOfWork& uow, const Deps& deps,
                                     const Application& application) {
  ASSIGN_OR_RETURN(Application stored, uow.GetApplication(application.team, application.id));
  if (stored.stage == application.stage) return absl::OkStatus();
  auto stage = [](const std::optional<StageId>& s) {
    return QuoteOrNull(s ? std::optional(s->value()) : std::nullopt);
  };
  return Enqueue(uow, deps, application.team, OutboundEventType::kApplicationMoved,
                 application.id.value(),
                 absl::StrCat(",\"team_id\":", Quote(application.team.value()),
                              ",\"application_id\":", Quote(application.id.value()),
                              ",\"candidate_id\":", Quote(application.candidate.value()),
                              ",\"job_id\":", Quote(application.job.value()), ",\"from_stage_id\":",
                              stage(stored.stage), ",\"to_stage_id\":", stage(application.stage)));
}

absl::Status InsertCheckWithEvents(UnitOfWork& uow, const Deps& deps,
                                   const BackgroundCheck& check) {
  RETURN_IF_ERROR(RecordCheckEvents(uow, deps, check));
  return uow.InsertCheck(check);
}

absl::Status UpdateCheckWithEvents(UnitOfWork& uow, const Deps& deps,
                                   const BackgroundCheck& check) {
  RETURN_IF_ERROR(RecordCheckEvents(uow, deps, check));
  return uow.UpdateCheck(check);
}

absl::Status UpdateCheckWithEvents(UnitOfWork& uow, const Deps& deps, const BackgroundCheck& check,
                                   const StoredCheck& stored) {
  RETURN_IF_ERROR(RecordCheckEvents(uow, deps, check, stored));
  return uow.UpdateCheck(check);
}

absl::Status UpdateApplicationWithEvents(UnitOfWork& uow, const Deps& deps,
                                         const Application& application) {
  RETURN_IF_ERROR(RecordApplicationEvents(uow, deps, application));
  return uow.UpdateApplication(application);
}

}  // namespace stagecheck
