// Admin routes: Certn integration, team defaults, jobs and interview plans.
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/domain/etag.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck::http {
namespace {

Response IntegrationResponse(const absl::StatusOr<certn_plugin::IntegrationView>& view) {
  if (!view.ok()) return ProblemResponse(view.status());
  return JsonOf(200, *view, WriteIntegration);
}

// ?verdict=&event_type=&case_id=&since=&until= of the delivery log; a bad
// value is 400 invalid_filter naming the parameter.
absl::StatusOr<DeliveryFilter> DeliveryFilterOf(const Request& r) {
  const auto bad = InvalidQueryParam;
  DeliveryFilter f;
  if (std::optional<std::string> v = r.QueryParam("verdict")) {
    f.verdict = ParseVerdict(*v);
    if (!f.verdict)
      return bad("verdict", "must be one of applied, duplicate, no_change, ignored, orphan.");
  }
  auto text = [&](const char* name, std::optional<std::string>& into) -> absl::Status {
    std::optional<std::string> v = r.QueryParam(name);
    if (!v) return absl::OkStatus();
    if (v->empty() || v->size() > 200) return bad(name, "must be 1 to 200 characters.");
    into = *v;
    return absl::OkStatus();
  };
  if (auto s = text("event_type", f.event_type); !s.ok()) return s;
  if (auto s = text("case_id", f.case_id); !s.ok()) return s;
  auto time = [&](const char* name, std::optional<absl::Time>& into) -> absl::Status {
    std::optional<std::string> v = r.QueryParam(name);
    if (!v) return absl::OkStatus();
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, *v, &t, &err)) {
      return bad(name, "must be an RFC 3339 time such as 2026-11-30T12:00:00Z.");
    }
    into = t;
    return absl::OkStatus();
  };
  if (auto s = time("since", f.since); !s.ok()) return s;
  if (auto s = time("until", f.until); !s.ok()) return s;
  return f;
}

absl::Status AddDeliveryRoutes(Router& router, ApiContext& ctx) {
  certn_plugin::Checks& checks = ctx.checks;
  certn_plugin::WebhookReceiver& webhook = ctx.webhook;
  // Refused deliveries are not stored (docs/architecture.md, "Webhook"); this
  // counts the team's in the last hour, in this replica's memory.
  absl::Status s =
      router.Add("GET", "/api/v1/integrations/certn/deliveries/refused-summary",
                 AdminOnly(ctx, [&webhook](const Request&, const Principal& who) {
                   return JsonOf(200, webhook.RefusedSummaryFor(who.team), WriteRefusedSummary);
                 }));
  if (!s.ok()) return s;
  s = router.Add("GET", "/api/v1/integrations/certn/deliveries",
                 AdminOnly(ctx, [&checks](const Request& r, const Principal& who) {
                   absl::StatusOr<PageRequest> page = PageOf(r);
                   if (!page.ok()) return ProblemResponse(page.status());
                   absl::StatusOr<DeliveryFilter> filter = DeliveryFilterOf(r);
                   if (!filter.ok()) return ProblemResponse(filter.status());
                   absl::StatusOr<Page<WebhookDelivery>> list =
                       checks.ListDeliveries(who, *filter, *page);
                   if (!list.ok()) return ListError(list.status());
                   return PageOf(*list, WriteDelivery);
                 }));
  if (!s.ok()) return s;
  return router.Add("POST", "/api/v1/integrations/certn/deliveries/{delivery_id}/replay",
                    AdminOnly(ctx, [&checks](const Request& r, const Principal& who) {
                      absl::Status replayed = checks.ReplayDelivery(who, Param(r, "delivery_id"));
                      if (!replayed.ok()) return ProblemResponse(replayed);
                      JsonWriter w;
                      w.StartObject().Field("replayed", Param(r, "delivery_id")).EndObject();
                      return Response::Json(202, w.Take());
                    }));
}

absl::Status AddIntegrationRoutes(Router& router, ApiContext& ctx) {
  auto& in = ctx.integrations;
  absl::Status s =
      router.Add("PUT", "/api/v1/integrations/certn",
                 AdminOnly(ctx, [&in](const Request& r, const Principal& who) {
                   absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "ConnectCertn");
                   if (!body.ok()) return ProblemResponse(body.status());
                   certn_plugin::ConnectRequest request;
                   request.api_key = body->String("api_key");
                   request.webhook_secret = body->String("webhook_secret");
                   if (std::optional<std::string> region = body->String("region"))
                     request.region = ParseRegion(*region);
                   if (std::optional<int64_t> n = body->Int("requests_per_minute"))
                     request.requests_per_minute = static_cast<int>(*n);
                   if (std::optional<int64_t> n = body->Int("requests_per_day"))
                     request.requests_per_day = static_cast<int>(*n);
                   if (body->String("environment") == "sandbox") {
                     if (request.region && *request.region != CertnRegion::kSandbox) {
                       return ProblemResponse(Error(
                           absl::StatusCode::kInvalidArgument, "invalid_body",
                           "environment 'sandbox' goes with region 'sandbox' (or no region)"));
                     }
                     request.region = CertnRegion::kSandbox;
                   }
                   return IntegrationResponse(in.Connect(who, request));
                 }));
  if (!s.ok()) return s;
  s = router.Add("GET", "/api/v1/integrations/certn",
                 AdminOnly(ctx, [&in](const Request&, const Principal& who) {
                   return IntegrationResponse(in.Get(who));
                 }));
  if (!s.ok()) return s;
  s = router.Add("POST", "/api/v1/integrations/certn/verify",
                 AdminOnly(ctx, [&in](const Request&, const Principal& who) {
                   return IntegrationResponse(in.Verify(who));
                 }));
  if (!s.ok()) return s;
  s = router.Add(
      "POST", "/api/v1/integrations/certn/webhook-secret/rotate",
      AdminOnly(ctx, [&in](const Request& r, const Principal& who) {
        absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "RotateWebhookSecret");
        if (!body.ok()) return ProblemResponse(body.status());
        return IntegrationResponse(in.RotateWebhookSecret(who, *body->String("webhook_secret")));
      }));
  if (!s.ok()) return s;
  return router.Add("GET", "/api/v1/integrations/certn/packages",
                    Authed(ctx, [&in](const Request&, const Principal& who) {
                      absl::StatusOr<std::vector<CertnPackage>> packages = in.Packages(who.team);
                      if (!packages.ok()) return ProblemResponse(packages.status());
                      JsonWriter w;
                      w.StartObject().Key("items").StartArray();
                      for (const CertnPackage& p : *packages) WritePackage(w, p);
                      w.EndArray().EndObject();
                      return Response::Json(200, w.Take());
                    }));
}

}  // namespace

absl::Status AddAdminRoutes(Router& router, ApiContext& ctx) {
  for (auto add : {AddIntegrationRoutes, AddDeliveryRoutes}) {
    if (absl::Status s = add(router, ctx); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace stagecheck::http
