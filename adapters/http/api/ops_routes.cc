// The Certn webhook and the operational endpoints (/healthz, /readyz, /metrics).
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/errors.h"
#include "core/services/work_health.h"
#include "core/strings.h"

namespace stagecheck::http {

absl::Status AddWebhookRoutes(Router& router, ApiContext& ctx) {
  const std::string path(certn_plugin::kWebhookPath);
  absl::Status s = router.Add("POST", path, [&ctx](Request r, Respond respond) {
    certn_plugin::WebhookRequest request;
    auto header = [&](const char* name) -> std::optional<std::string> {
      if (auto v = r.Header(name)) return std::string(*v);
      return std::nullopt;
    };
    request.certn_team_id = header("certn-team-id");
    request.certn_signature = header("certn-signature");
    request.x_signature = header("x-signature");
    request.remote_address = r.remote_address;
    request.body = std::move(r.body);
    ctx.webhook.Receive(std::move(request), [respond](certn_plugin::WebhookAnswer answer) {
      if (answer.http_status >= 400) {
        respond(ProblemResponse(answer.http_status, answer.code, answer.detail));
        return;
      }
      JsonWriter w;
      w.StartObject().Field("status", "ok").Field("verdict", answer.code).EndObject();
      respond(Response::Json(answer.http_status, w.Take()));
    });
  });
  if (!s.ok()) return s;
  // The cases API verifies the endpoint with GET ?challenge=<value>.
  return router.Add("GET", path, [](Request r, Respond respond) {
    std::optional<std::string> challenge = r.QueryParam("challenge");
    if (!challenge || challenge->empty() || challenge->size() > 1024) {
      respond(ProblemResponse(Error(absl::StatusCode::kInvalidArgument, "missing_challenge",
                                    "GET expects ?challenge=<value>")));
      return;
    }
    Response resp = Response::Text(200, *challenge);
    resp.SetHeader("Content-Type", "text/plain; charset=utf-8");
    resp.SetHeader("X-Content-Type-Options", "nosniff");
    respond(std::move(resp));
  });
}

namespace {

absl::StatusOr<WorkHealth> WorkHealthNow(ApiContext& ctx) {
  return CheckWorkHealth(ctx.store, ctx.checks.deps().clock.Now());
}

}  // namespace

absl::Status AddOpsRoutes(Router& router, ApiContext& ctx) {
  absl::Status s = router.Add("GET", "/healthz", [](Request, Respond respond) {
    respond(Response::Json(200, R"({"status":"ok"})"));
  });
  if (!s.ok()) return s;
  s = router.Add("GET", "/readyz", [&ctx](Request, Respond respond) {
    if (ctx.ready && !ctx.ready()) {
      respond(ProblemResponse(Error(absl::StatusCode::kUnavailable, "not_ready",
                                    "the service is starting or stopping")));
      return;
    }
    absl::Status db = ctx.store.Ping();
    if (!db.ok()) {
      respond(ProblemResponse(Error(absl::StatusCode::kUnavailable, "store_unavailable",
                                    "the database cannot be reached")));
      return;
    }
    // Serving requests is not enough: work that stopped moving is not ready.
    absl::StatusOr<WorkHealth> work = WorkHealthNow(ctx);
    if (work.ok() && work->stalled) {
      respond(ProblemResponse(Error(
          absl::StatusCode::kUnavailable, "work_stalled",
          absl::StrCat("durable work has been due for ", absl::ToInt64Seconds(work->oldest_due_age),
                       " s without being run (more than ", absl::ToInt64Seconds(kWorkStallsAfter),
                       " s)"))));
      return;
    }
    JsonWriter w;
    w.StartObject().Field("status", "ready").Field("store", ctx.store.backend()).EndObject();
    respond(Response::Json(200, w.Take()));
  });
  if (!s.ok()) return s;
  return router.Add("GET", "/metrics", [&ctx](Request, Respond respond) {
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
  });
}

}  // namespace stagecheck::http
