// Background checks: sending one from an application (or ad hoc for a
// candidate), reading, refreshing, cancelling and re-ordering it, and its
// inline report.
#include "adapters/http/api/certn/certn_routes.h"
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/visibility.h"
#include "core/errors.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute SendCheck, SendAdHocCheck, GetCheck, RefreshCheck, CancelCheck, ReorderCheck, GetReport,
    GetResults;

// clang-format off
constexpr Route kRoutes[] = {
    {"POST", "/api/v1/applications/{application_id}/background-checks", Access::kRecruit,    SendCheck},
    {"POST", "/api/v1/candidates/{candidate_id}/background-checks",     Access::kRecruit,    SendAdHocCheck},
    {"GET",  "/api/v1/background-checks/{check_id}",                    Access::kTeamMember, GetCheck},
    {"POST", "/api/v1/background-checks/{check_id}/refresh",            Access::kRecruit,    RefreshCheck},
    {"POST", "/api/v1/background-checks/{check_id}/cancel",             Access::kRecruit,    CancelCheck},
    {"POST", "/api/v1/background-checks/{check_id}/reorder",            Access::kRecruit,    ReorderCheck},
    {"GET",  "/api/v1/background-checks/{check_id}/report",             Access::kReport,     GetReport},
    {"GET",  "/api/v1/background-checks/{check_id}/results",            Access::kResults,    GetResults},
};
// clang-format on

CheckId CheckOf(const Request& r) { return CheckId(Param(r, "check_id")); }

ReportView ReportViewOf(const BackgroundCheck& check, std::string what) {
  return ReportView{check.candidate, check.application, check.id, std::move(what)};
}

// The active check of an application, if its tab can be read and shows one.
std::optional<BackgroundCheck> ActiveCheck(ApiContext& ctx, const Principal& who,
                                           const ApplicationId& application) {
  absl::StatusOr<ApplicationTab> tab = ctx.applications.ReadTab(who, application);
  if (!tab.ok()) return std::nullopt;
  std::vector<BackgroundCheck> all = tab->other_checks;
  for (const StageView& sv : tab->stages) {
    for (const ActivityView& av : sv.activities)
      all.insert(all.end(), av.checks.begin(), av.checks.end());
  }
  for (const BackgroundCheck& c : all) {
    if (IsActive(c.status)) return c;
  }
  return std::nullopt;
}

// A second send's check_already_active names the check that is already
// active (`existing_check`, null if it cannot be read).
Response SendError(ApiContext& ctx, const Principal& who, const absl::Status& status,
                   const ApplicationId& application) {
  if (ErrorCode(status) != "check_already_active") return ProblemResponse(status);
  std::optional<BackgroundCheck> active = ActiveCheck(ctx, who, application);
  return ProblemResponse(status, "existing_check", [&active](JsonWriter& w) {
    if (active)
      WriteCheck(w, *active);
    else
      w.Null();
  });
}

// 202 with the check just created (or replayed) and its Location.
absl::StatusOr<Response> CheckAccepted(ApiContext& ctx, const Principal& who,
                                       const Created<CheckId>& created) {
  ASSIGN_OR_RETURN(BackgroundCheck check, ctx.checks.Get(who, created.id));
  ShowTo(who.role, check);
  return CreatedAt("/api/v1/background-checks/" + check.id.value(), created.replayed,
                   JsonOf(202, check, WriteCheck));
}

absl::StatusOr<Response> SendCheck(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "SendCheck"));
  ASSIGN_OR_RETURN(std::optional<IdempotencyKey> key, IdempotencyKeyOf(r, ctx.crypto));
  certn_plugin::SendRequest request;
  if (auto a = body.String("activity_id")) request.activity = ActivityId(*a);
  request.package_id = body.String("package_id");
  ApplicationId id(Param(r, "application_id"));
  absl::StatusOr<Created<CheckId>> created = ctx.checks.Send(who, id, request, key);
  if (!created.ok()) return SendError(ctx, who, created.status(), id);
  return CheckAccepted(ctx, who, *created);
}

absl::StatusOr<Response> SendAdHocCheck(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "AdHocCheck"));
  ASSIGN_OR_RETURN(std::optional<IdempotencyKey> key, IdempotencyKeyOf(r, ctx.crypto));
  ASSIGN_OR_RETURN(Created<CheckId> created,
                   ctx.checks.SendAdHoc(who, CandidateId(Param(r, "candidate_id")),
                                        *body.String("package_id"), key));
  return CheckAccepted(ctx, who, created);
}

absl::StatusOr<Response> GetCheck(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(BackgroundCheck check, ctx.checks.Get(who, CheckOf(r)));
  ShowTo(who.role, check);
  return JsonOf(200, check, WriteCheck);
}

absl::StatusOr<Response> RefreshCheck(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(BackgroundCheck check, ctx.checks.Refresh(who, CheckOf(r)));
  ShowTo(who.role, check);
  return JsonOf(200, check, WriteCheck);
}

absl::StatusOr<Response> CancelCheck(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "CancelCheck"));
  certn_plugin::CancelRequest request;
  request.reason = body.String("reason").value_or("");
  ASSIGN_OR_RETURN(BackgroundCheck check, ctx.checks.Cancel(who, CheckOf(r), request));
  ShowTo(who.role, check);
  return JsonOf(202, check, WriteCheck);
}

absl::StatusOr<Response> ReorderCheck(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "ReorderCheck"));
  ASSIGN_OR_RETURN(std::optional<IdempotencyKey> key, IdempotencyKeyOf(r, ctx.crypto));
  certn_plugin::ReorderRequest request;
  request.package_id = body.String("package_id");
  ASSIGN_OR_RETURN(Created<CheckId> created, ctx.checks.Reorder(who, CheckOf(r), request, key));
  return CheckAccepted(ctx, who, created);
}

absl::StatusOr<Response> GetReport(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(certn_plugin::InlineReport report, ctx.checks.Report(who, CheckOf(r)));
  RETURN_IF_ERROR(
      ctx.applications.RecordReportView(who, ReportViewOf(report.check, "Opened the report")));
  return JsonOf(200, report, WriteReport);
}

// The check's results page (its results_url, once a page load): the check
// with its per-check results; the look is recorded like a report's.
absl::StatusOr<Response> GetResults(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(BackgroundCheck check, ctx.checks.Get(who, CheckOf(r)));
  RETURN_IF_ERROR(
      ctx.applications.RecordReportView(who, ReportViewOf(check, "Opened the results page")));
  ShowTo(who.role, check);
  return JsonOf(200, check, WriteCheck);
}

}  // namespace

std::span<const Route> CertnCheckRoutes() { return kRoutes; }

}  // namespace stagecheck::http
