#include "adapters/http/api/outbound_render.h"

#include "adapters/http/api/render.h"

namespace stagecheck::http {
namespace {

// Why an endpoint is disabled, in words an admin can act on.
std::string_view DisabledText(std::string_view reason) {
  if (reason == kDisabledByAdmin) return "An admin disabled it.";
  if (reason == kDisabledGone)
    return "It answered 410 Gone, which asks us to stop sending. Check the URL, then enable it.";
  if (reason == kDisabledFailing)
    return "Every delivery failed for 72 hours. Fix the receiver, then enable it.";
  return "";
}

void TimeOrNull(JsonWriter& w, std::string_view key, std::optional<absl::Time> at) {
  w.Key(key);
  at ? w.String(Rfc3339(*at)) : w.Null();
}

void EndpointFields(JsonWriter& w, const WebhookEndpoint& e) {
  w.Field("id", e.id.value()).Field("url", e.url).Field("description", e.description);
  w.Key("event_types").StartArray();
  for (OutboundEventType t : e.event_types) w.String(EventTypeName(t));
  w.EndArray();
  w.Field("enabled", e.enabled);
  w.Key("disabled_reason");
  e.enabled ? w.Null() : w.String(e.disabled_reason);
  w.Key("disabled_reason_text");
  e.enabled ? w.Null() : w.String(DisabledText(e.disabled_reason));
  TimeOrNull(w, "disabled_at", e.enabled ? std::nullopt : e.disabled_at);
  TimeOrNull(w, "failing_since", e.failing_since);
  TimeOrNull(w, "previous_secret_valid_until",
             e.previous_secret_encrypted ? e.previous_valid_until : std::nullopt);
  w.Field("created_at", Rfc3339(e.created_at)).Field("updated_at", Rfc3339(e.updated_at));
}

void WriteAttempt(JsonWriter& w, const DeliveryAttempt& a) {
  w.StartObject().Field("attempt", a.number).Field("at", Rfc3339(a.at));
  w.Key("http_status");
  a.http_status == 0 ? w.Null() : w.Int(a.http_status);
  w.Field("latency_ms", absl::ToInt64Milliseconds(a.latency));
  w.Key("error");
  a.error.empty() ? w.Null() : w.String(a.error);
  w.Field("response_excerpt", a.excerpt).EndObject();
}

}  // namespace

void WriteEndpoint(JsonWriter& w, const WebhookEndpoint& e) {
  w.StartObject();
  EndpointFields(w, e);
  w.EndObject();
}

void WriteEndpointWithSecret(JsonWriter& w, const EndpointWithSecret& created) {
  w.StartObject();
  EndpointFields(w, created.endpoint);
  w.Field("secret", created.secret).EndObject();
}

void WriteOutboundDelivery(JsonWriter& w, const OutboundDelivery& d) {
  w.StartObject()
      .Field("id", d.id.value())
      .Field("endpoint_id", d.endpoint.value())
      .Field("webhook_id", d.event.value())
      .Field("event_type", EventTypeName(d.event_type))
      .Field("state", DeliveryStateName(d.state))
      .Field("attempts", d.attempts);
  TimeOrNull(w, "next_attempt_at", d.next_attempt_at);
  w.Key("last_error");
  d.last_error.empty() ? w.Null() : w.String(d.last_error);
  w.Field("created_at", Rfc3339(d.created_at)).Field("updated_at", Rfc3339(d.updated_at));
  w.Key("attempt_log").StartArray();
  for (const DeliveryAttempt& a : d.attempt_log) WriteAttempt(w, a);
  w.EndArray().EndObject();
}

}  // namespace stagecheck::http
