#include "core/services/outbound_deliverer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/domain/outbound_webhooks.h"
#include "core/errors.h"
#include "core/ports/outbound_store.h"
#include "core/services/check_events.h"
#include "core/services/notifications.h"
#include "core/services/standard_webhooks.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

// What the delivery log keeps of an answer: its first bytes, printable ASCII
// (anything else becomes '?', so the log is always valid text).
std::string Excerpt(std::string_view body) {
  std::string out(body.substr(0, kAttemptExcerptBytes));
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u >= 0x7f) c = '?';
  }
  return out;
}

std::string Describe(const DeliveryAttempt& a) {
  if (a.http_status == 0) return a.error;
  return absl::StrCat("The endpoint answered HTTP ", a.http_status, ".");
}

}  // namespace

absl::Status OutboundDeliverer::RegisterWork(WorkRunner& runner) {
  return runner.Register(
      std::string(kWorkWebhookDeliver),
      WorkHandler{.run = [this](const WorkItem& item) { return Deliver(item); }});
}

double OutboundDeliverer::Jitter() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::uniform_real_distribution<double>(-1.0, 1.0)(rng_);
}

absl::Status OutboundDeliverer::Deliver(const WorkItem& item) {
  ASSIGN_OR_RETURN(std::optional<Loaded> loaded, Load(item));
  if (!loaded) return absl::OkStatus();
  std::optional<absl::Duration> retry_after;
  DeliveryAttempt attempt = Attempt(*loaded, retry_after);
  ASSIGN_OR_RETURN(std::optional<absl::Duration> next, Record(*loaded, attempt, retry_after));
  if (!next) return absl::OkStatus();
  return WithRetryAfter(
      Error(absl::StatusCode::kUnavailable, "webhook_not_delivered", Describe(attempt)), *next);
}

// The delivery, its event and endpoint when it is still to be sent; a
// delivery whose endpoint was disabled meanwhile fails here, unsent.
absl::StatusOr<std::optional<OutboundDeliverer::Loaded>> OutboundDeliverer::Load(
    const WorkItem& item) {
  const TeamId& team = item.team;
  const OutboundDeliveryId id(item.payload);
  std::optional<Loaded> out;
  RETURN_IF_ERROR(deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    out.reset();
    OutboundUnitOfWork& rows = OutboundRows(uow);
    absl::StatusOr<OutboundDelivery> d = rows.GetOutboundDelivery(team, id);
    if (absl::IsNotFound(d.status())) return absl::OkStatus();  // its endpoint was deleted
    RETURN_IF_ERROR(d.status());
    if (d->state != OutboundDeliveryState::kPending) return absl::OkStatus();
    ASSIGN_OR_RETURN(WebhookEndpoint e, rows.GetEndpoint(team, d->endpoint));
    if (!e.enabled) {
      d->state = OutboundDeliveryState::kFailed;
      d->next_attempt_at = std::nullopt;
      d->last_error = "The endpoint is disabled.";
      d->updated_at = deps_.clock.Now();
      return rows.UpdateOutboundDelivery(*d);
    }
    ASSIGN_OR_RETURN(OutboundEvent event, rows.GetOutboundEvent(team, d->event));
    out = Loaded{*std::move(d), std::move(event), std::move(e)};
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<WebhookPost> OutboundDeliverer::Signed(const Loaded& loaded, absl::Time now) {
  const WebhookEndpoint& e = loaded.endpoint;
  WebhookPost post;
  ASSIGN_OR_RETURN(post.url, ParseEndpointUrl(e.url, policy_));
  std::vector<std::string> secrets;
  ASSIGN_OR_RETURN(secrets.emplace_back(), cipher_.Decrypt(e.secret_encrypted));
  if (e.previous_secret_encrypted && e.previous_valid_until && *e.previous_valid_until > now) {
    ASSIGN_OR_RETURN(secrets.emplace_back(), cipher_.Decrypt(*e.previous_secret_encrypted));
  }
  const int64_t timestamp = absl::ToUnixSeconds(now);
  const std::string& msg_id = loaded.event.id.value();
  ASSIGN_OR_RETURN(std::string signature, WebhookSignatureHeader(deps_.crypto, secrets, msg_id,
                                                                 timestamp, loaded.event.body));
  post.headers = {{"webhook-id", msg_id},
                  {"webhook-timestamp", std::to_string(timestamp)},
                  {"webhook-signature", std::move(signature)},
                  {"User-Agent", "Stagecheck-Webhooks/1"}};
  post.body = loaded.event.body;
  post.timeout = options_.timeout;
  return post;
}

DeliveryAttempt OutboundDeliverer::Attempt(const Loaded& loaded,
                                           std::optional<absl::Duration>& retry_after) {
  DeliveryAttempt attempt;
  attempt.at = deps_.clock.Now();
  absl::StatusOr<WebhookPost> post = Signed(loaded, attempt.at);
  absl::StatusOr<WebhookReply> reply =
      post.ok() ? poster_.Post(*post) : absl::StatusOr<WebhookReply>(post.status());
  if (!reply.ok()) {
    attempt.error = std::string(reply.status().message());
    attempt.latency = deps_.clock.Now() - attempt.at;
    return attempt;
  }
  attempt.http_status = reply->status;
  attempt.latency = reply->latency;
  attempt.excerpt = Excerpt(reply->excerpt);
  retry_after = reply->retry_after;
  return attempt;
}

// Logs the attempt and decides; the delay before the next attempt, or
// nullopt when the delivery is done (delivered, or given up).
absl::StatusOr<std::optional<absl::Duration>> OutboundDeliverer::Record(
    const Loaded& loaded, DeliveryAttempt attempt, std::optional<absl::Duration> retry_after) {
  const absl::Time now = deps_.clock.Now();
  const ReplyVerdict verdict =
      attempt.http_status == 0 ? ReplyVerdict::kRetry : JudgeReply(attempt.http_status);
  std::optional<absl::Duration> next;
  RETURN_IF_ERROR(deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    next.reset();
    OutboundUnitOfWork& rows = OutboundRows(uow);
    absl::StatusOr<OutboundDelivery> d =
        rows.GetOutboundDelivery(loaded.delivery.team, loaded.delivery.id);
    if (absl::IsNotFound(d.status())) return absl::OkStatus();  // deleted meanwhile
    RETURN_IF_ERROR(d.status());
    attempt.number = d->attempts + 1;
    RETURN_IF_ERROR(rows.InsertDeliveryAttempt(d->team, d->id, attempt));
    d->attempts = attempt.number;
    d->updated_at = now;
    d->last_error = verdict == ReplyVerdict::kDelivered ? "" : Describe(attempt);
    if (verdict == ReplyVerdict::kRetry)
      next = NextDeliveryDelay(attempt.number, Jitter(), retry_after);
    if (next && options_.fixed_retry_delay) next = options_.fixed_retry_delay;
    d->state = verdict == ReplyVerdict::kDelivered ? OutboundDeliveryState::kDelivered
               : next                              ? OutboundDeliveryState::kPending
                                                   : OutboundDeliveryState::kFailed;
    d->next_attempt_at = next ? std::optional(now + *next) : std::nullopt;
    RETURN_IF_ERROR(rows.UpdateOutboundDelivery(*d));
    ASSIGN_OR_RETURN(WebhookEndpoint e, rows.GetEndpoint(d->team, d->endpoint));
    const bool disabled = JudgeEndpoint(e, verdict == ReplyVerdict::kDelivered,
                                        verdict == ReplyVerdict::kDisableEndpoint, now);
    RETURN_IF_ERROR(rows.UpdateEndpoint(e));
    // The admins are told in the transaction that disables it.
    return disabled ? RecordEndpointDisabledNotifications(uow, deps_, e) : absl::OkStatus();
  }));
  deps_.metrics.Increment(
      "stagecheck_outbound_webhook_attempts_total",
      verdict == ReplyVerdict::kDelivered ? "outcome=\"delivered\"" : "outcome=\"failed\"");
  return next;
}

// A success ends the endpoint's failure streak; 410, or a streak of
// kDisableAfterFailingFor, disables it. Returns whether it disabled it now.
bool OutboundDeliverer::JudgeEndpoint(WebhookEndpoint& e, bool delivered, bool gone,
                                      absl::Time now) {
  if (delivered) {
    e.failing_since = std::nullopt;
    return false;
  }
  if (!e.failing_since) e.failing_since = now;
  const bool failing_too_long = now - *e.failing_since >= kDisableAfterFailingFor;
  if (!e.enabled || !(gone || failing_too_long)) return false;
  e.enabled = false;
  e.disabled_reason = std::string(gone ? kDisabledGone : kDisabledFailing);
  e.disabled_at = now;
  e.updated_at = now;
  deps_.log.Log(
      LogLevel::kWarning, "outbound.endpoint_disabled",
      {{"team", e.team.value()}, {"endpoint", e.id.value()}, {"reason", e.disabled_reason}});
  deps_.metrics.Increment("stagecheck_outbound_endpoints_disabled_total",
                          absl::StrCat("reason=\"", e.disabled_reason, "\""));
  return true;
}

}  // namespace stagecheck
