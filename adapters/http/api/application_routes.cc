// Applications: a candidate in a job's pipeline, the application tab, and
// the pipeline overview with its filters.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "adapters/http/api/visibility.h"
#include "core/errors.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute CreateApplication, ListApplications, CountApplications, GetApplication, MoveApplication,
    SetApplicationStatus;

// clang-format off
constexpr Route kRoutes[] = {
    {"POST", "/api/v1/applications",                         Access::kRecruit, CreateApplication},
    {"GET",  "/api/v1/applications",                         Access::kTeamMember, ListApplications},
    {"GET",  "/api/v1/applications/counts",                  Access::kTeamMember, CountApplications},
    {"GET",  "/api/v1/applications/{application_id}",        Access::kTeamMember, GetApplication},
    {"POST", "/api/v1/applications/{application_id}/move",   Access::kRecruit, MoveApplication},
    {"POST", "/api/v1/applications/{application_id}/status", Access::kRecruit, SetApplicationStatus},
};
// clang-format on

ApplicationId ApplicationOf(const Request& r) { return ApplicationId(Param(r, "application_id")); }

// Certn's overall scores (adapters/certn/status_map.h, KnownOverallScores).
constexpr std::string_view kOverallScores[] = {"CLEAR", "REVIEW", "REJECT", "NOT_APPLICABLE",
                                               "RESTRICTED"};

// An id-like query parameter: 1 to 200 characters when present.
absl::StatusOr<std::optional<std::string>> TextParam(const Request& r, std::string_view name,
                                                     size_t max = 200) {
  std::optional<std::string> v = r.QueryParam(name);
  if (v && (v->empty() || v->size() > max)) {
    return InvalidQueryParam(name, absl::StrCat("must be 1 to ", max, " characters."));
  }
  return v;
}

absl::Status CheckStatusParam(const std::optional<std::string>& v) {
  if (!v || *v == kNoCheck || ParseStatus(*v)) return absl::OkStatus();
  return InvalidQueryParam("check_status",
                           "must be one of none, queued, invited, in_progress, partial, complete, "
                           "error, cancelled.");
}

absl::StatusOr<std::optional<std::string>> ResultParam(const Request& r) {
  std::optional<std::string> v = r.QueryParam("result");
  if (!v) return std::nullopt;
  std::string upper = absl::AsciiStrToUpper(*v);
  for (std::string_view score : kOverallScores) {
    if (upper == score) return upper;
  }
  return InvalidQueryParam("result",
                           "must be one of CLEAR, REVIEW, REJECT, NOT_APPLICABLE, RESTRICTED.");
}

absl::StatusOr<ApplicationSort> SortParam(const Request& r) {
  std::optional<std::string> v = r.QueryParam("sort");
  if (!v || *v == "updated") return ApplicationSort::kUpdated;
  if (*v == "name") return ApplicationSort::kName;
  if (*v == "status") return ApplicationSort::kStatus;
  return InvalidQueryParam("sort", "must be one of updated, name, status.");
}

// The pipeline overview's query (docs/openapi.yaml, GET /api/v1/applications):
// a bad value is 400 invalid_filter naming the parameter.
absl::StatusOr<ApplicationFilter> ApplicationFilterOf(const Request& r) {
  ApplicationFilter f;
  ASSIGN_OR_RETURN(std::optional<std::string> job, TextParam(r, "job_id"));
  if (job) f.job = JobId(*job);
  ASSIGN_OR_RETURN(std::optional<std::string> candidate, TextParam(r, "candidate_id"));
  if (candidate) f.candidate = CandidateId(*candidate);
  ASSIGN_OR_RETURN(std::optional<std::string> stage, TextParam(r, "stage_id"));
  if (stage) f.stage = StageId(*stage);
  if (std::optional<std::string> status = r.QueryParam("status")) {
    f.status = ParseApplicationStatus(*status);
    if (!f.status) return InvalidQueryParam("status", "must be one of active, rejected, hired.");
  }
  f.check_status = r.QueryParam("check_status");
  RETURN_IF_ERROR(CheckStatusParam(f.check_status));
  ASSIGN_OR_RETURN(f.result, ResultParam(r));
  ASSIGN_OR_RETURN(f.query, TextParam(r, "q", 100));
  ASSIGN_OR_RETURN(f.sort, SortParam(r));
  return f;
}

// {"total": n, "check_status": {"none": n, "queued": n, ...}}: every status,
// zeros included, in the order a check moves.
Response CountsResponse(const std::vector<std::pair<std::string, int64_t>>& counts) {
  static constexpr std::string_view kOrder[] = {kNoCheck,  "queued",   "invited", "in_progress",
                                                "partial", "complete", "error",   "cancelled"};
  int64_t total = 0;
  for (const auto& [status, n] : counts) total += n;
  JsonWriter w;
  w.StartObject().Field("total", total).Key("check_status").StartObject();
  for (std::string_view status : kOrder) {
    int64_t n = 0;
    for (const auto& [name, count] : counts) {
      if (name == status) n = count;
    }
    w.Field(status, n);
  }
  w.EndObject().EndObject();
  return Response::Json(200, w.Take());
}

absl::StatusOr<Response> CreateApplication(ApiContext& ctx, const Request& r,
                                           const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "CreateApplication"));
  ASSIGN_OR_RETURN(std::optional<IdempotencyKey> key, IdempotencyKeyOf(r, ctx.crypto));
  ASSIGN_OR_RETURN(
      Created<ApplicationId> created,
      ctx.applications.CreateApplication(who, CandidateId(*body.String("candidate_id")),
                                         JobId(*body.String("job_id")), key));
  ASSIGN_OR_RETURN(ApplicationTab tab, ctx.applications.ReadTab(who, created.id));
  ShowTo(who.role, tab);
  return CreatedAt("/api/v1/applications/" + created.id.value(), created.replayed,
                   JsonOf(201, tab, WriteApplicationTab));
}

absl::StatusOr<Response> ListApplications(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(PageRequest page, PageOf(r));
  ASSIGN_OR_RETURN(ApplicationFilter filter, ApplicationFilterOf(r));
  RETURN_IF_ERROR(MayFilterBy(who.role, filter));
  absl::StatusOr<Page<ApplicationSummary>> list =
      ctx.applications.ListApplications(who, filter, page);
  if (list.ok()) ShowTo(who.role, *list);
  return PageResponse(list, WriteApplicationSummary);
}

absl::StatusOr<Response> CountApplications(ApiContext& ctx, const Request& r,
                                           const Principal& who) {
  ASSIGN_OR_RETURN(ApplicationFilter filter, ApplicationFilterOf(r));
  RETURN_IF_ERROR(MayFilterBy(who.role, filter));
  ASSIGN_OR_RETURN(auto counts, ctx.applications.CountByCheckStatus(who, filter));
  return CountsResponse(counts);
}

absl::StatusOr<Response> GetApplication(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(ApplicationTab tab, ctx.applications.ReadTab(who, ApplicationOf(r)));
  ShowTo(who.role, tab);
  return JsonOf(200, tab, WriteApplicationTab);
}

// The application after the move, and what each activity the new stage
// triggered (an auto-sent check) answered.
absl::StatusOr<Response> MoveApplication(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "MoveApplication"));
  ApplicationId id = ApplicationOf(r);
  ASSIGN_OR_RETURN(auto moved, ctx.applications.Move(who, id, StageId(*body.String("stage_id"))));
  ASSIGN_OR_RETURN(ApplicationTab tab, ctx.applications.ReadTab(who, id));
  ShowTo(who.role, tab);
  JsonWriter w;
  w.StartObject().Key("application");
  WriteApplicationTab(w, tab);
  w.Key("triggered").StartArray();
  for (const auto& [activity, status] : moved.hooks) {
    w.StartObject().Field("activity_id", activity.value()).Field("ok", status.ok());
    if (!status.ok())
      w.Field("code", ErrorCode(status)).Field("detail", std::string(status.message()));
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Response::Json(200, w.Take());
}

absl::StatusOr<Response> SetApplicationStatus(ApiContext& ctx, const Request& r,
                                              const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "SetApplicationStatus"));
  ASSIGN_OR_RETURN(Application app,
                   ctx.applications.SetStatus(who, ApplicationOf(r),
                                              *ParseApplicationStatus(*body.String("status"))));
  return JsonOf(200, app, WriteApplication);
}

}  // namespace

std::span<const Route> ApplicationRoutes() { return kRoutes; }

}  // namespace stagecheck::http
