// Outbound webhooks to the host ATS (issue 20, docs/outbound-webhooks.md):
// a team's endpoints, their secrets (answered once), and each endpoint's
// delivery log with replay. Admins only.
#include "adapters/http/api/outbound_render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute CreateEndpoint, ListEndpoints, GetEndpoint, UpdateEndpoint, DeleteEndpoint,
    RotateSecret, ListDeliveries, ReplayDelivery;

// clang-format off
constexpr Route kRoutes[] = {
    {"POST",   "/api/v1/webhook-endpoints",                           Access::kAdmin, CreateEndpoint},
    {"GET",    "/api/v1/webhook-endpoints",                           Access::kAdmin, ListEndpoints},
    {"GET",    "/api/v1/webhook-endpoints/{endpoint_id}",             Access::kAdmin, GetEndpoint},
    {"PATCH",  "/api/v1/webhook-endpoints/{endpoint_id}",             Access::kAdmin, UpdateEndpoint},
    {"DELETE", "/api/v1/webhook-endpoints/{endpoint_id}",             Access::kAdmin, DeleteEndpoint},
    {"POST",   "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret", Access::kAdmin, RotateSecret},
    {"GET",    "/api/v1/webhook-endpoints/{endpoint_id}/deliveries",  Access::kAdmin, ListDeliveries},
    {"POST",   "/api/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/replay",
                                                                       Access::kAdmin, ReplayDelivery},
};
// clang-format on

WebhookEndpointId EndpointOf(const Request& r) {
  return WebhookEndpointId(Param(r, "endpoint_id"));
}

absl::StatusOr<Response> CreateEndpoint(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "CreateWebhookEndpoint"));
  NewEndpoint request{*body.String("url"), *body.Strings("event_types"),
                      body.String("description").value_or("")};
  ASSIGN_OR_RETURN(EndpointWithSecret created, ctx.endpoints.Create(who, request));
  return CreatedAt("/api/v1/webhook-endpoints/" + created.endpoint.id.value(), false,
                   JsonOf(201, created, WriteEndpointWithSecret));
}

absl::StatusOr<Response> ListEndpoints(ApiContext& ctx, const Request&, const Principal& who) {
  ASSIGN_OR_RETURN(std::vector<WebhookEndpoint> endpoints, ctx.endpoints.List(who));
  return ItemsOf(endpoints, WriteEndpoint);
}

absl::StatusOr<Response> GetEndpoint(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(WebhookEndpoint e, ctx.endpoints.Get(who, EndpointOf(r)));
  return JsonOf(200, e, WriteEndpoint);
}

absl::StatusOr<Response> UpdateEndpoint(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "UpdateWebhookEndpoint"));
  EndpointChanges changes{body.String("url"), body.Strings("event_types"),
                          body.String("description"), body.Bool("enabled")};
  ASSIGN_OR_RETURN(WebhookEndpoint e, ctx.endpoints.Update(who, EndpointOf(r), changes));
  return JsonOf(200, e, WriteEndpoint);
}

absl::StatusOr<Response> DeleteEndpoint(ApiContext& ctx, const Request& r, const Principal& who) {
  RETURN_IF_ERROR(ctx.endpoints.Delete(who, EndpointOf(r)));
  return Response{204, {}, ""};
}

absl::StatusOr<Response> RotateSecret(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(EndpointWithSecret rotated, ctx.endpoints.RotateSecret(who, EndpointOf(r)));
  return JsonOf(200, rotated, WriteEndpointWithSecret);
}

absl::StatusOr<Response> ListDeliveries(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(PageRequest page, PageOf(r));
  return PageResponse(ctx.endpoints.ListDeliveries(who, EndpointOf(r), page),
                      WriteOutboundDelivery);
}

absl::StatusOr<Response> ReplayDelivery(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(
      OutboundDelivery d,
      ctx.endpoints.Replay(who, EndpointOf(r), OutboundDeliveryId(Param(r, "delivery_id"))));
  return JsonOf(202, d, WriteOutboundDelivery);
}

}  // namespace

std::span<const Route> OutboundRoutes() { return kRoutes; }

}  // namespace stagecheck::http
