#include "core/services/webhook_endpoints.h"

#include "core/errors.h"
#include "core/ports/outbound_store.h"
#include "core/services/check_events.h"
#include "core/services/standard_webhooks.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
absl::Status WebhookEndpoints::CheckUrl(const std::string& url) const {
  absl::StatusOr<EndpointUrl> parsed = ParseEndpointUrl(url, policy_);
  if (parsed.ok()) return absl::OkStatus();
  // A refused address is bad input too: the admin gave it.
  return WithField(Error(absl::StatusCode::kInvalidArgument, ErrorCode(parsed.status()),
                         ToStd(parsed.status().message())),
                   "url");
}

absl::StatusOr<std::string> WebhookEndpoints::NewSecret(std::string& sealed) {
  std::string secret = NewWebhookSecret(deps_.crypto);
  ASSIGN_OR_RETURN(sealed, cipher_.Encrypt(secret));
  return secret;
}

absl::StatusOr<EndpointWithSecret> WebhookEndpoints::Create(const Principal& who,
                                                            const NewEndpoint& request) {
  RETURN_IF_ERROR(CheckUrl(request.url));
  ASSIGN_OR_RETURN(std::set<OutboundEventType> types, ParseEventTypeList(request.event_types));
  EndpointWithSecret out;
  WebhookEndpoint& e = out.endpoint;
  e.team = who.team;
  e.id = WebhookEndpointId("we_" + deps_.ids.NewId());
  e.url = request.url;
  e.event_types = std::move(types);
  e.description = request.description;
  ASSIGN_OR_RETURN(out.secret, NewSecret(e.secret_encrypted));
  e.created_at = e.updated_at = deps_.clock.Now();
  RETURN_IF_ERROR(deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    OutboundUnitOfWork& rows = OutboundRows(uow);
    ASSIGN_OR_RETURN(std::vector<WebhookEndpoint> existing, rows.ListEndpoints(who.team));
    if (existing.size() >= kMaxEndpointsPerTeam) {
      return Error(absl::StatusCode::kFailedPrecondition, "too_many_endpoints",
                   "A team may register at most 20 webhook endpoints.");
    }
    return rows.InsertEndpoint(e);
  }));
  return out;
}

absl::StatusOr<std::vector<WebhookEndpoint>> WebhookEndpoints::List(const Principal& who) {
  return InReadTransaction<std::vector<WebhookEndpoint>>(
      deps_.store, [&](UnitOfWork& uow) { return OutboundRows(uow).ListEndpoints(who.team); });
}

absl::StatusOr<WebhookEndpoint> WebhookEndpoints::Get(const Principal& who,
                                                      const WebhookEndpointId& id) {
  return InReadTransaction<WebhookEndpoint>(
      deps_.store, [&](UnitOfWork& uow) { return OutboundRows(uow).GetEndpoint(who.team, id); });
}

absl::StatusOr<WebhookEndpoint> WebhookEndpoints::Update(const Principal& who,
                                                         const WebhookEndpointId& id,
                                                         const EndpointChanges& changes) {
  if (changes.url) RETURN_IF_ERROR(CheckUrl(*changes.url));
  std::optional<std::set<OutboundEventType>> types;
  if (changes.event_types) {
    ASSIGN_OR_RETURN(types, ParseEventTypeList(*changes.event_types));
  }
  const absl::Time now = deps_.clock.Now();
  return InTransaction<WebhookEndpoint>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<WebhookEndpoint> {
        OutboundUnitOfWork& rows = OutboundRows(uow);
        ASSIGN_OR_RETURN(WebhookEndpoint e, rows.GetEndpoint(who.team, id));
        if (changes.url) e.url = *changes.url;
        if (types) e.event_types = *types;
        if (changes.description) e.description = *changes.description;
        if (changes.enabled && *changes.enabled != e.enabled) {
          e.enabled = *changes.enabled;
          e.disabled_reason = e.enabled ? "" : std::string(kDisabledByAdmin);
          e.disabled_at = e.enabled ? std::nullopt : std::optional(now);
          e.failing_since = std::nullopt;
        }
        e.updated_at = now;
        RETURN_IF_ERROR(rows.UpdateEndpoint(e));
        return e;
      });
}

absl::Status WebhookEndpoints::Delete(const Principal& who, const WebhookEndpointId& id) {
  return deps_.store.Transact(
      [&](UnitOfWork& uow) { return OutboundRows(uow).DeleteEndpoint(who.team, id); });
}

absl::StatusOr<EndpointWithSecret> WebhookEndpoints::RotateSecret(const Principal& who,
                                                                  const WebhookEndpointId& id) {
  std::string sealed;
  ASSIGN_OR_RETURN(std::string secret, NewSecret(sealed));
  const absl::Time now = deps_.clock.Now();
  ASSIGN_OR_RETURN(WebhookEndpoint e,
                   InTransaction<WebhookEndpoint>(
                       deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<WebhookEndpoint> {
                         OutboundUnitOfWork& rows = OutboundRows(uow);
                         ASSIGN_OR_RETURN(WebhookEndpoint e, rows.GetEndpoint(who.team, id));
                         e.previous_secret_encrypted = e.secret_encrypted;
                         e.previous_valid_until = now + kSecretRotationGrace;
                         e.secret_encrypted = sealed;
                         e.updated_at = now;
                         RETURN_IF_ERROR(rows.UpdateEndpoint(e));
                         return e;
                       }));
  return EndpointWithSecret{std::move(e), std::move(secret)};
}

absl::StatusOr<Page<OutboundDelivery>> WebhookEndpoints::ListDeliveries(const Principal& who,
                                                                        const WebhookEndpointId& id,
                                                                        const PageRequest& page) {
  return InReadTransaction<Page<OutboundDelivery>>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Page<OutboundDelivery>> {
        OutboundUnitOfWork& rows = OutboundRows(uow);
        RETURN_IF_ERROR(rows.GetEndpoint(who.team, id).status());
        return rows.ListOutboundDeliveries(who.team, id, page);
      });
}

absl::StatusOr<OutboundDelivery> WebhookEndpoints::Replay(const Principal& who,
                                                          const WebhookEndpointId& endpoint,
                                                          const OutboundDeliveryId& delivery) {
  const absl::Time now = deps_.clock.Now();
  ASSIGN_OR_RETURN(
      OutboundDelivery d,
      InTransaction<OutboundDelivery>(
          deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<OutboundDelivery> {
            OutboundUnitOfWork& rows = OutboundRows(uow);
            ASSIGN_OR_RETURN(WebhookEndpoint e, rows.GetEndpoint(who.team, endpoint));
            ASSIGN_OR_RETURN(OutboundDelivery d, rows.GetOutboundDelivery(who.team, delivery));
            if (d.endpoint != e.id) return absl::NotFoundError("outbound delivery not found");
            if (!e.enabled) {
              return Error(absl::StatusCode::kFailedPrecondition, "endpoint_disabled",
                           "Enable the endpoint before replaying its deliveries.");
            }
            d.state = OutboundDeliveryState::kPending;
            d.next_attempt_at = now;
            d.updated_at = now;
            RETURN_IF_ERROR(rows.UpdateOutboundDelivery(d));
            // Its own work item: an earlier one may wait hours for its retry.
            RETURN_IF_ERROR(uow.EnqueueWork(DeliveryWork(deps_, who.team, d.id.value(), now)));
            return d;
          }));
  notify_();
  return d;
}

}  // namespace stagecheck
