// Recruiter routes: candidates, applications (the application tab), sending
// and reading background checks.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
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

// A 409 for a second send names the check that is already active.
Response SendError(ApiContext& ctx, const Principal& who, const absl::Status& status,
                   const std::optional<ApplicationId>& application) {
  if (ErrorCode(status) != "check_already_active" || !application) return ErrorResponse(status);
  absl::StatusOr<ApplicationTab> tab = ctx.applications.ReadTab(who, *application);
  JsonWriter w;
  w.StartObject().Field("type", std::string(kProblemTypeBase) + "check_already_active");
  w.Field("title", "Conflict").Field("status", 409).Field("code", "check_already_active");
  w.Field("detail", "This application already has an active background check.");
  w.Key("existing_check");
  bool written = false;
  if (tab.ok()) {
    auto all = tab->other_checks;
    for (const StageView& sv : tab->stages) {
      for (const ActivityView& av : sv.activities)
        all.insert(all.end(), av.checks.begin(), av.checks.end());
    }
    for (const BackgroundCheck& c : all) {
      if (IsActive(c.status)) {
        WriteCheck(w, c);
        written = true;
        break;
      }
    }
  }
  if (!written) w.Null();
  w.EndObject();
  Response resp = Response::Json(409, w.Take());
  resp.SetHeader("Content-Type", kProblemContentType);
  return resp;
}

Response CheckAccepted(ApiContext& ctx, const Principal& who,
                       const absl::StatusOr<Created<CheckId>>& created) {
  absl::StatusOr<BackgroundCheck> check = ctx.checks.Get(who, created->id);
  if (!check.ok()) return ErrorResponse(check.status());
  return Created201("/api/v1/background-checks/" + check->id.value(), created->replayed,
                    JsonOf(202, *check, WriteCheck));
}

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

absl::Status AddCandidateRoutes(Router& router, ApiContext& ctx) {
  Applications& apps = ctx.applications;
  absl::Status s = router.Add(
      "POST", "/api/v1/candidates",
      Authed(ctx, [&ctx, &apps](const Request& r, const Principal& who) {
        absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "CreateCandidate");
        if (!body.ok()) return ErrorResponse(body.status());
        auto key = IdempotencyKeyOf(r, ctx.crypto);
        if (!key.ok()) return ErrorResponse(key.status());
        NewCandidate c{*body->String("first_name"), *body->String("last_name"),
                       body->String("email"), body->String("phone"),
                       body->Strings("tags").value_or(std::vector<std::string>{})};
        absl::StatusOr<Created<CandidateId>> created = apps.CreateCandidate(who, c, *key);
        if (!created.ok()) return ErrorResponse(created.status());
        absl::StatusOr<Candidate> row = apps.GetCandidate(who, created->id);
        if (!row.ok()) return ErrorResponse(row.status());
        return Created201("/api/v1/candidates/" + row->id.value(), created->replayed,
                          WithEtag(JsonOf(201, *row, WriteCandidate), EtagOf(*row)));
      }));
  if (!s.ok()) return s;
  s = router.Add("GET", "/api/v1/candidates",
                 Authed(ctx, [&apps](const Request& r, const Principal& who) {
                   absl::StatusOr<PageRequest> page = PageOf(r);
                   if (!page.ok()) return ErrorResponse(page.status());
                   absl::StatusOr<Page<Candidate>> list = apps.ListCandidates(who, *page);
                   if (!list.ok()) return ListError(list.status());
                   return PageOf(*list, WriteCandidate);
                 }));
  if (!s.ok()) return s;
  s = router.Add("GET", "/api/v1/candidates/{candidate_id}",
                 Authed(ctx, [&apps](const Request& r, const Principal& who) {
                   absl::StatusOr<Candidate> c =
                       apps.GetCandidate(who, CandidateId(Param(r, "candidate_id")));
                   if (!c.ok()) return ErrorResponse(c.status());
                   return WithEtag(JsonOf(200, *c, WriteCandidate), EtagOf(*c));
                 }));
  if (!s.ok()) return s;
  s = router.Add("PATCH", "/api/v1/candidates/{candidate_id}",
                 Authed(ctx, [&apps](const Request& r, const Principal& who) {
                   absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "UpdateCandidate");
                   if (!body.ok()) return ErrorResponse(body.status());
                   CandidateChanges changes;
                   changes.first_name = body->String("first_name");
                   changes.last_name = body->String("last_name");
                   if (body->Has("email")) changes.email = body->String("email");
                   if (body->Has("phone")) changes.phone = body->String("phone");
                   changes.tags = body->Strings("tags");
                   changes.if_match = IfMatchOf(r);
                   absl::StatusOr<Candidate> c =
                       apps.UpdateCandidate(who, CandidateId(Param(r, "candidate_id")), changes);
                   if (!c.ok()) return ErrorResponse(c.status());
                   return WithEtag(JsonOf(200, *c, WriteCandidate), EtagOf(*c));
                 }));
  if (!s.ok()) return s;
  s = router.Add("GET", "/api/v1/candidates/{candidate_id}/files",
                 Authed(ctx, [&apps](const Request& r, const Principal& who) {
                   auto files = apps.ListFiles(who, CandidateId(Param(r, "candidate_id")));
                   if (!files.ok()) return ErrorResponse(files.status());
                   JsonWriter w;
                   w.StartObject().Key("items").StartArray();
                   for (const CandidateFile& f : *files) WriteFile(w, f);
                   w.EndArray().EndObject();
                   return Response::Json(200, w.Take());
                 }));
  if (!s.ok()) return s;
  s = router.Add(
      "GET", "/api/v1/candidates/{candidate_id}/files/{file_id}",
      Authed(ctx, [&apps](const Request& r, const Principal& who) {
        auto file =
            apps.GetFile(who, CandidateId(Param(r, "candidate_id")), FileId(Param(r, "file_id")));
        if (!file.ok()) return ErrorResponse(file.status());
        Response resp{200, {}, std::move(file->second)};
        resp.SetHeader("Content-Type", file->first.content_type);
        resp.SetHeader("Content-Disposition", "attachment; filename=\"" + file->first.name + "\"");
        resp.SetHeader("X-Content-Type-Options", "nosniff");
        return resp;
      }));
  if (!s.ok()) return s;
  s = router.Add("GET", "/api/v1/candidates/{candidate_id}/activity",
                 Authed(ctx, [&apps](const Request& r, const Principal& who) {
                   absl::StatusOr<PageRequest> page = PageOf(r);
                   if (!page.ok()) return ErrorResponse(page.status());
                   auto feed = apps.Feed(who, CandidateId(Param(r, "candidate_id")), *page);
                   if (!feed.ok()) return ListError(feed.status());
                   return PageOf(*feed, WriteFeedEvent);
                 }));
  if (!s.ok()) return s;
  s = router.Add("GET", "/api/v1/candidates/{candidate_id}/background-checks",
                 Authed(ctx, [&apps](const Request& r, const Principal& who) {
                   auto checks = apps.AdHocChecks(who, CandidateId(Param(r, "candidate_id")));
                   if (!checks.ok()) return ErrorResponse(checks.status());
                   JsonWriter w;
                   w.StartObject().Key("items").StartArray();
                   for (const BackgroundCheck& c : *checks) WriteCheck(w, c);
                   w.EndArray().EndObject();
                   return Response::Json(200, w.Take());
                 }));
  if (!s.ok()) return s;
  return router.Add("POST", "/api/v1/candidates/{candidate_id}/background-checks",
                    Authed(ctx, [&ctx](const Request& r, const Principal& who) {
                      absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "AdHocCheck");
                      if (!body.ok()) return ErrorResponse(body.status());
                      auto key = IdempotencyKeyOf(r, ctx.crypto);
                      if (!key.ok()) return ErrorResponse(key.status());
                      auto created =
                          ctx.checks.SendAdHoc(who, CandidateId(Param(r, "candidate_id")),
                                               *body->String("package_id"), *key);
                      if (!created.ok()) return ErrorResponse(created.status());
                      return CheckAccepted(ctx, who, created);
                    }));
}

absl::Status AddApplicationRoutes(Router& router, ApiContext& ctx) {
  Applications& apps = ctx.applications;
  absl::Status s = router.Add(
      "POST", "/api/v1/applications",
      Authed(ctx, [&ctx, &apps](const Request& r, const Principal& who) {
        absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "CreateApplication");
        if (!body.ok()) return ErrorResponse(body.status());
        auto key = IdempotencyKeyOf(r, ctx.crypto);
        if (!key.ok()) return ErrorResponse(key.status());
        auto created = apps.CreateApplication(who, CandidateId(*body->String("candidate_id")),
                                              JobId(*body->String("job_id")), *key);
        if (!created.ok()) return ErrorResponse(created.status());
        auto tab = apps.ReadTab(who, created->id);
        if (!tab.ok()) return ErrorResponse(tab.status());
        return Created201("/api/v1/applications/" + created->id.value(), created->replayed,
                          JsonOf(201, *tab, WriteApplicationTab));
      }));
  if (!s.ok()) return s;
  s = router.Add("GET", "/api/v1/applications",
                 Authed(ctx, [&apps](const Request& r, const Principal& who) {
                   absl::StatusOr<PageRequest> page = PageOf(r);
                   if (!page.ok()) return ErrorResponse(page.status());
                   absl::StatusOr<ApplicationFilter> filter = ApplicationFilterOf(r);
                   if (!filter.ok()) return ErrorResponse(filter.status());
                   auto list = apps.ListApplications(who, *filter, *page);
                   if (!list.ok()) return ListError(list.status());
                   return PageOf(*list, WriteApplicationSummary);
                 }));
  if (!s.ok()) return s;
  s = router.Add("GET", "/api/v1/applications/counts",
                 Authed(ctx, [&apps](const Request& r, const Principal& who) {
                   absl::StatusOr<ApplicationFilter> filter = ApplicationFilterOf(r);
                   if (!filter.ok()) return ErrorResponse(filter.status());
                   auto counts = apps.CountByCheckStatus(who, *filter);
                   if (!counts.ok()) return ErrorResponse(counts.status());
                   return CountsResponse(*counts);
                 }));
  if (!s.ok()) return s;
  s = router.Add("GET", "/api/v1/applications/{application_id}",
                 Authed(ctx, [&apps](const Request& r, const Principal& who) {
                   auto tab = apps.ReadTab(who, ApplicationId(Param(r, "application_id")));
                   if (!tab.ok()) return ErrorResponse(tab.status());
                   return JsonOf(200, *tab, WriteApplicationTab);
                 }));
  if (!s.ok()) return s;
  s = router.Add(
      "POST", "/api/v1/applications/{application_id}/move",
      Authed(ctx, [&apps](const Request& r, const Principal& who) {
        absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "MoveApplication");
        if (!body.ok()) return ErrorResponse(body.status());
        ApplicationId id(Param(r, "application_id"));
        auto moved = apps.Move(who, id, StageId(*body->String("stage_id")));
        if (!moved.ok()) return ErrorResponse(moved.status());
        auto tab = apps.ReadTab(who, id);
        if (!tab.ok()) return ErrorResponse(tab.status());
        JsonWriter w;
        w.StartObject().Key("application");
        WriteApplicationTab(w, *tab);
        w.Key("triggered").StartArray();
        for (const auto& [activity, status] : moved->hooks) {
          w.StartObject().Field("activity_id", activity.value()).Field("ok", status.ok());
          if (!status.ok())
            w.Field("code", ErrorCode(status)).Field("detail", std::string(status.message()));
          w.EndObject();
        }
        w.EndArray().EndObject();
        return Response::Json(200, w.Take());
      }));
  if (!s.ok()) return s;
  s = router.Add("POST", "/api/v1/applications/{application_id}/status",
                 Authed(ctx, [&apps](const Request& r, const Principal& who) {
                   absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "SetApplicationStatus");
                   if (!body.ok()) return ErrorResponse(body.status());
                   auto app = apps.SetStatus(who, ApplicationId(Param(r, "application_id")),
                                             *ParseApplicationStatus(*body->String("status")));
                   if (!app.ok()) return ErrorResponse(app.status());
                   return JsonOf(200, *app, WriteApplication);
                 }));
  if (!s.ok()) return s;
  return router.Add("POST", "/api/v1/applications/{application_id}/background-checks",
                    Authed(ctx, [&ctx](const Request& r, const Principal& who) {
                      absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "SendCheck");
                      if (!body.ok()) return ErrorResponse(body.status());
                      auto key = IdempotencyKeyOf(r, ctx.crypto);
                      if (!key.ok()) return ErrorResponse(key.status());
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
                                if (!check.ok()) return ErrorResponse(check.status());
                                return JsonOf(200, *check, WriteCheck);
                              }));
  if (!s.ok()) return s;
  s = router.Add("POST", "/api/v1/background-checks/{check_id}/cancel",
                 Authed(ctx, [&checks](const Request& r, const Principal& who) {
                   absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "CancelCheck");
                   if (!body.ok()) return ErrorResponse(body.status());
                   certn_plugin::CancelRequest request;
                   request.reason = body->String("reason").value_or("");
                   auto check = checks.Cancel(who, CheckId(Param(r, "check_id")), request);
                   if (!check.ok()) return ErrorResponse(check.status());
                   return JsonOf(202, *check, WriteCheck);
                 }));
  if (!s.ok()) return s;
  s = router.Add("POST", "/api/v1/background-checks/{check_id}/reorder",
                 Authed(ctx, [&ctx](const Request& r, const Principal& who) {
                   absl::StatusOr<JsonBody> body = JsonBody::Parse(r, "ReorderCheck");
                   if (!body.ok()) return ErrorResponse(body.status());
                   auto key = IdempotencyKeyOf(r, ctx.crypto);
                   if (!key.ok()) return ErrorResponse(key.status());
                   certn_plugin::ReorderRequest request;
                   request.package_id = body->String("package_id");
                   auto created =
                       ctx.checks.Reorder(who, CheckId(Param(r, "check_id")), request, *key);
                   if (!created.ok()) return ErrorResponse(created.status());
                   return CheckAccepted(ctx, who, created);
                 }));
  if (!s.ok()) return s;
  s = router.Add("POST", "/api/v1/background-checks/{check_id}/refresh",
                 Authed(ctx, [&checks](const Request& r, const Principal& who) {
                   auto check = checks.Refresh(who, CheckId(Param(r, "check_id")));
                   if (!check.ok()) return ErrorResponse(check.status());
                   return JsonOf(200, *check, WriteCheck);
                 }));
  if (!s.ok()) return s;
  return router.Add("GET", "/api/v1/background-checks/{check_id}/report",
                    Authed(ctx, [&checks](const Request& r, const Principal& who) {
                      auto report = checks.Report(who, CheckId(Param(r, "check_id")));
                      if (!report.ok()) {
                        if (ErrorCode(report.status()) == "report_not_ready") {
                          return ProblemResponse(409, "report_not_ready",
                                                 std::string(report.status().message()));
                        }
                        return ErrorResponse(report.status());
                      }
                      return JsonOf(200, *report, WriteReport);
                    }));
}

}  // namespace

absl::Status AddAdminRoutes(Router& router, ApiContext& ctx);

absl::Status AddApiRoutes(Router& router, ApiContext& ctx) {
  for (auto add : {AddAdminRoutes, AddCandidateRoutes, AddApplicationRoutes, AddCheckRoutes,
                   AddLifecycleRoutes}) {
    if (absl::Status s = add(router, ctx); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace stagecheck::http
