// The operational endpoints: liveness, readiness and Prometheus metrics.
#include "absl/strings/str_cat.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/errors.h"
#include "core/services/work_health.h"

namespace stagecheck::http {
namespace {

PublicRoute Healthz, Readyz, ScrapeMetrics;

// clang-format off
constexpr Route kRoutes[] = {
    {"GET", "/healthz", Access::kPublic, Healthz},
    {"GET", "/readyz",  Access::kPublic, Readyz},
    {"GET", "/metrics", Access::kPublic, ScrapeMetrics},
};
// clang-format on

absl::StatusOr<WorkHealth> WorkHealthNow(ApiContext& ctx) {
  return CheckWorkHealth(ctx.store, ctx.checks.deps().clock.Now());
}

void Healthz(ApiContext&, Request, Respond respond) {
  respond(Response::Json(200, R"({"status":"ok"})"));
}

// Not ready while starting or stopping, without the store, or while durable
// work that is due stays unrun: serving requests is not enough.
absl::Status ReadyStatus(ApiContext& ctx) {
  if (ctx.ready && !ctx.ready()) {
    return Error(absl::StatusCode::kUnavailable, "not_ready",
                 "the service is starting or stopping");
  }
  if (!ctx.store.Ping().ok()) {
    return Error(absl::StatusCode::kUnavailable, "store_unavailable",
                 "the database cannot be reached");
  }
  absl::StatusOr<WorkHealth> work = WorkHealthNow(ctx);
  if (work.ok() && work->stalled) {
    return Error(
        absl::StatusCode::kUnavailable, "work_stalled",
        absl::StrCat("durable work has been due for ", absl::ToInt64Seconds(work->oldest_due_age),
                     " s without being run (more than ", absl::ToInt64Seconds(kWorkStallsAfter),
                     " s)"));
  }
  return absl::OkStatus();
}

void Readyz(ApiContext& ctx, Request, Respond respond) {
  if (absl::Status ready = ReadyStatus(ctx); !ready.ok()) {
    respond(ProblemResponse(ready));
    return;
  }
  JsonWriter w;
  w.StartObject().Field("status", "ready").Field("store", ctx.store.backend()).EndObject();
  respond(Response::Json(200, w.Take()));
}

void ScrapeMetrics(ApiContext& ctx, Request, Respond respond) {
  // Read at scrape time, so an alert sees a stall even if the worker is the
  // part that is stuck.
  if (absl::StatusOr<WorkHealth> work = WorkHealthNow(ctx); work.ok()) {
    ctx.metrics.Set("stagecheck_work_oldest_due_seconds", "",
                    absl::ToDoubleSeconds(work->oldest_due_age));
  }
  // Also at scrape time, not only once the worker has first reported them.
  for (const char* state : {"pending", "failed"}) {
    absl::StatusOr<int64_t> n = InReadTransaction<int64_t>(
        ctx.store, [&](UnitOfWork& uow) { return uow.CountWork(state); });
    if (n.ok())
      ctx.metrics.Set("stagecheck_work_items", absl::StrCat("state=\"", state, "\""),
                      static_cast<double>(*n));
  }
  Response resp = Response::Text(200, ctx.render_metrics ? ctx.render_metrics() : std::string());
  resp.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  respond(std::move(resp));
}

}  // namespace

std::span<const Route> OpsRoutes() { return kRoutes; }

}  // namespace stagecheck::http
