// The Certn webhook's delivery log: what was received and how it was
// applied, the refused deliveries of the last hour, and replaying one.
#include "absl/time/time.h"
#include "adapters/http/api/certn/certn_routes.h"
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute GetRefusedSummary, ListDeliveries, ReplayDelivery;

// clang-format off
constexpr Route kRoutes[] = {
    {"GET",  "/api/v1/integrations/certn/deliveries/refused-summary",      Access::kAdmin, GetRefusedSummary},
    {"GET",  "/api/v1/integrations/certn/deliveries",                      Access::kAdmin, ListDeliveries},
    {"POST", "/api/v1/integrations/certn/deliveries/{delivery_id}/replay", Access::kAdmin, ReplayDelivery},
};
// clang-format on

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
  RETURN_IF_ERROR(text("event_type", f.event_type));
  RETURN_IF_ERROR(text("case_id", f.case_id));
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
  RETURN_IF_ERROR(time("since", f.since));
  RETURN_IF_ERROR(time("until", f.until));
  return f;
}

// Refused deliveries are not stored (docs/architecture.md, "Webhook"): this
// counts the team's in the last hour, in this replica's memory.
absl::StatusOr<Response> GetRefusedSummary(ApiContext& ctx, const Request&, const Principal& who) {
  return JsonOf(200, ctx.webhook.RefusedSummaryFor(who.team), WriteRefusedSummary);
}

absl::StatusOr<Response> ListDeliveries(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(PageRequest page, PageOf(r));
  ASSIGN_OR_RETURN(DeliveryFilter filter, DeliveryFilterOf(r));
  return PageResponse(ctx.checks.ListDeliveries(who, filter, page), WriteDelivery);
}

absl::StatusOr<Response> ReplayDelivery(ApiContext& ctx, const Request& r, const Principal& who) {
  RETURN_IF_ERROR(ctx.checks.ReplayDelivery(who, Param(r, "delivery_id")));
  JsonWriter w;
  w.StartObject().Field("replayed", Param(r, "delivery_id")).EndObject();
  return Response::Json(202, w.Take());
}

}  // namespace

std::span<const Route> CertnDeliveryRoutes() { return kRoutes; }

}  // namespace stagecheck::http
