// Recruiter routes: candidates, applications (the application tab), sending
// and reading background checks.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/domain/etag.h"
#include "core/errors.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

Response Created201(const std::string& location, bool replayed, Response resp) {
  resp.SetHeader("Location", location);
  if (replayed) resp.SetHeader("Idempotent-Replayed", "true");
  return resp;
}

// A second send's check_already_active names the check that is already
// active (`existing_check`, null if it cannot be read).
Response SendError(ApiContext& ctx, const Principal& who, const absl::Status& status,
                   const std::optional<ApplicationId>& application) {
  if (ErrorCode(status) != "check_already_active" || !application) return ProblemResponse(status);
  absl::StatusOr<ApplicationTab> tab = ctx.applications.ReadTab(who, *application);
  std::optional<BackgroundCheck> active;
  if (tab.ok()) {
    auto all = tab->other_checks;
    for (const StageView& sv : tab->stages) {
      for (const ActivityView& av : sv.activities)
        all.insert(all.end(), av.checks.begin(), av.checks.end());
    }
    for (const BackgroundCheck& c : all) {
      if (IsActive(c.status)) {
        active = c;
        break;
      }
    }
  }
  return ProblemResponse(status, "existing_check", [&active](JsonWriter& w) {
    if (active)
      WriteCheck(w, *active);
    else
      w.Null();
  });
}

Response CheckAccepted(ApiContext& ctx, const Principal& who,
                       const absl::StatusOr<Created<CheckId>>& created) {
  absl::StatusOr<BackgroundCheck> check = ctx.checks.Get(who, created->id);
  if (!check.ok()) return ProblemResponse(check.status());
  return Created201("/api/v1/background-checks/" + check->id.value(), created->replayed,
                    JsonOf(202, *check, WriteCheck));
}

absl::Status AddCandidateRoutes(Router& router, ApiContext& ctx) {
  return router.Add("POST", "/api/v1/candidates/{candidate_id}/background-checks",
                    Authed(ctx, [&ctx](const Request& r, const Principal& who) {
                      absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "AdHocCheck");
                      if (!body.ok()) return ProblemResponse(body.status());
                      auto key = IdempotencyKeyOf(r, ctx.crypto);
                      if (!key.ok()) return ProblemResponse(key.status());
                      auto created =
                          ctx.checks.SendAdHoc(who, CandidateId(Param(r, "candidate_id")),
                                               *body->String("package_id"), *key);
                      if (!created.ok()) return ProblemResponse(created.status());
                      return CheckAccepted(ctx, who, created);
                    }));
}

absl::Status AddApplicationRoutes(Router& router, ApiContext& ctx) {
  return router.Add("POST", "/api/v1/applications/{application_id}/background-checks",
                    Authed(ctx, [&ctx](const Request& r, const Principal& who) {
                      absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "SendCheck");
                      if (!body.ok()) return ProblemResponse(body.status());
                      auto key = IdempotencyKeyOf(r, ctx.crypto);
                      if (!key.ok()) return ProblemResponse(key.status());
                      certn_plugin::SendRequest request;
                      if (auto a = body->String("activity_id")) request.activity = ActivityId(*a);
                      request.package_id = body->String("package_id");
                      ApplicationId id(Param(r, "application_id"));
                      auto created = ctx.checks.Send(who, id, request, *key);
                      if (!created.ok()) return SendError(ctx, who, created.status(), id);
                      return CheckAccepted(ctx, who, created);
                    }));
}

absl::Status AddCheckRoutes(Router& router, ApiContext& ctx) {
  certn_plugin::Checks& checks = ctx.checks;
  absl::Status s = router.Add("GET", "/api/v1/background-checks/{check_id}",
                              Authed(ctx, [&checks](const Request& r, const Principal& who) {
                                auto check = checks.Get(who, CheckId(Param(r, "check_id")));
                                if (!check.ok()) return ProblemResponse(check.status());
                                return JsonOf(200, *check, WriteCheck);
                              }));
  if (!s.ok()) return s;
  s = router.Add("POST", "/api/v1/background-checks/{check_id}/cancel",
                 Authed(ctx, [&checks](const Request& r, const Principal& who) {
                   absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "CancelCheck");
                   if (!body.ok()) return ProblemResponse(body.status());
                   certn_plugin::CancelRequest request;
                   request.reason = body->String("reason").value_or("");
                   auto check = checks.Cancel(who, CheckId(Param(r, "check_id")), request);
                   if (!check.ok()) return ProblemResponse(check.status());
                   return JsonOf(202, *check, WriteCheck);
                 }));
  if (!s.ok()) return s;
  s = router.Add("POST", "/api/v1/background-checks/{check_id}/reorder",
                 Authed(ctx, [&ctx](const Request& r, const Principal& who) {
                   absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "ReorderCheck");
                   if (!body.ok()) return ProblemResponse(body.status());
                   auto key = IdempotencyKeyOf(r, ctx.crypto);
                   if (!key.ok()) return ProblemResponse(key.status());
                   certn_plugin::ReorderRequest request;
                   request.package_id = body->String("package_id");
                   auto created =
                       ctx.checks.Reorder(who, CheckId(Param(r, "check_id")), request, *key);
                   if (!created.ok()) return ProblemResponse(created.status());
                   return CheckAccepted(ctx, who, created);
                 }));
  if (!s.ok()) return s;
  s = router.Add("POST", "/api/v1/background-checks/{check_id}/refresh",
                 Authed(ctx, [&checks](const Request& r, const Principal& who) {
                   auto check = checks.Refresh(who, CheckId(Param(r, "check_id")));
                   if (!check.ok()) return ProblemResponse(check.status());
                   return JsonOf(200, *check, WriteCheck);
                 }));
  if (!s.ok()) return s;
  return router.Add("GET", "/api/v1/background-checks/{check_id}/report",
                    Authed(ctx, [&checks](const Request& r, const Principal& who) {
                      auto report = checks.Report(who, CheckId(Param(r, "check_id")));
                      if (!report.ok()) return ProblemResponse(report.status());
                      return JsonOf(200, *report, WriteReport);
                    }));
}

}  // namespace

absl::Status AddAdminRoutes(Router& router, ApiContext& ctx);

absl::Status AddApiRoutes(Router& router, ApiContext& ctx) {
  for (auto add : {AddAdminRoutes, AddCandidateRoutes, AddApplicationRoutes, AddCheckRoutes}) {
    if (absl::Status s = add(router, ctx); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace stagecheck::http
