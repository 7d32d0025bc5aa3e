// The team's Certn integration: connect, read, verify the API key, rotate
// the webhook secret, and the packages the account offers.
#include "adapters/http/api/certn/certn_routes.h"
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "core/errors.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute ConnectCertn, GetIntegration, VerifyIntegration, RotateWebhookSecret, ListPackages;

// clang-format off
constexpr Route kRoutes[] = {
    {"PUT",  "/api/v1/integrations/certn",                       Access::kAdmin,      ConnectCertn},
    {"GET",  "/api/v1/integrations/certn",                       Access::kAdmin,      GetIntegration},
    {"POST", "/api/v1/integrations/certn/verify",                Access::kAdmin,      VerifyIntegration},
    {"POST", "/api/v1/integrations/certn/webhook-secret/rotate", Access::kAdmin,      RotateWebhookSecret},
    {"GET",  "/api/v1/integrations/certn/packages",              Access::kRecruit, ListPackages},
};
// clang-format on

absl::StatusOr<Response> IntegrationResponse(
    const absl::StatusOr<certn_plugin::IntegrationView>& view) {
  RETURN_IF_ERROR(view.status());
  return JsonOf(200, *view, WriteIntegration);
}

absl::StatusOr<certn_plugin::ConnectRequest> ConnectRequestOf(const JsonBody& body) {
  certn_plugin::ConnectRequest request;
  request.api_key = body.String("api_key");
  request.webhook_secret = body.String("webhook_secret");
  if (std::optional<std::string> region = body.String("region"))
    request.region = ParseRegion(*region);
  if (std::optional<int64_t> n = body.Int("requests_per_minute"))
    request.requests_per_minute = static_cast<int>(*n);
  if (std::optional<int64_t> n = body.Int("requests_per_day"))
    request.requests_per_day = static_cast<int>(*n);
  if (body.String("environment") == "sandbox") {
    if (request.region && *request.region != CertnRegion::kSandbox) {
      return Error(absl::StatusCode::kInvalidArgument, "invalid_body",
                   "environment 'sandbox' goes with region 'sandbox' (or no region)");
    }
    request.region = CertnRegion::kSandbox;
  }
  return request;
}

absl::StatusOr<Response> ConnectCertn(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "ConnectCertn"));
  ASSIGN_OR_RETURN(certn_plugin::ConnectRequest request, ConnectRequestOf(body));
  return IntegrationResponse(ctx.integrations.Connect(who, request));
}

absl::StatusOr<Response> GetIntegration(ApiContext& ctx, const Request&, const Principal& who) {
  return IntegrationResponse(ctx.integrations.Get(who));
}

absl::StatusOr<Response> VerifyIntegration(ApiContext& ctx, const Request&, const Principal& who) {
  return IntegrationResponse(ctx.integrations.Verify(who));
}

absl::StatusOr<Response> RotateWebhookSecret(ApiContext& ctx, const Request& r,
                                             const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "RotateWebhookSecret"));
  return IntegrationResponse(
      ctx.integrations.RotateWebhookSecret(who, *body.String("webhook_secret")));
}

absl::StatusOr<Response> ListPackages(ApiContext& ctx, const Request&, const Principal& who) {
  ASSIGN_OR_RETURN(std::vector<CertnPackage> packages, ctx.integrations.Packages(who.team));
  return ItemsOf(packages, WritePackage);
}

}  // namespace

std::span<const Route> CertnIntegrationRoutes() { return kRoutes; }

}  // namespace stagecheck::http
