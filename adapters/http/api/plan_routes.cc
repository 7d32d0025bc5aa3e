// Interview plans: a job's stages and the activities in them, and the kinds
// of activity a team may add.
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute GetPlan, AddStage, UpdateStage, RemoveStage, AddActivity, UpdateActivity,
    RemoveActivity, ListActivityKinds;

// clang-format off
constexpr Route kRoutes[] = {
    {"GET",    "/api/v1/jobs/{job_id}/interview-plan",                     Access::kTeamMember, GetPlan},
    {"POST",   "/api/v1/jobs/{job_id}/interview-plan/stages",              Access::kAdmin,      AddStage},
    {"PATCH",  "/api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}",   Access::kAdmin,      UpdateStage},
    {"DELETE", "/api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}",   Access::kAdmin,      RemoveStage},
    {"POST",   "/api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}/activities",
                                                                           Access::kAdmin,      AddActivity},
    {"PATCH",  "/api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}/activities/{activity_id}",
                                                                           Access::kAdmin,      UpdateActivity},
    {"DELETE", "/api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}/activities/{activity_id}",
                                                                           Access::kAdmin,      RemoveActivity},
    {"GET",    "/api/v1/activity-kinds",                                   Access::kAdmin,      ListActivityKinds},
};
// clang-format on

JobId JobOf(const Request& r) { return JobId(Param(r, "job_id")); }
StageId StageOf(const Request& r) { return StageId(Param(r, "stage_id")); }

absl::StatusOr<Response> GetPlan(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(InterviewPlan plan, ctx.plans.GetPlan(who, JobOf(r)));
  return TaggedJsonOf(200, plan, WritePlan);
}

// A stage or an activity answers with its plan's ETag: they are edited
// through the plan (core/domain/etag.h).
absl::StatusOr<Response> AddStage(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "AddStage"));
  std::optional<size_t> position;
  if (std::optional<int64_t> p = body.Int("position")) position = static_cast<size_t>(*p);
  StageId created;
  ASSIGN_OR_RETURN(InterviewPlan plan,
                   ctx.plans.AddStage(who, JobOf(r), *body.String("name"), position, &created));
  return WithEtag(JsonOf(201, *plan.FindStage(created), WriteStage), EtagOf(plan));
}

absl::StatusOr<Response> UpdateStage(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "UpdateStage"));
  StageChanges changes;
  changes.name = body.String("name");
  if (std::optional<int64_t> p = body.Int("position")) changes.position = static_cast<size_t>(*p);
  changes.if_match = IfMatchOf(r);
  ASSIGN_OR_RETURN(InterviewPlan plan, ctx.plans.UpdateStage(who, JobOf(r), StageOf(r), changes));
  return TaggedJsonOf(200, plan, WritePlan);
}

absl::StatusOr<Response> RemoveStage(ApiContext& ctx, const Request& r, const Principal& who) {
  RETURN_IF_ERROR(ctx.plans.RemoveStage(who, JobOf(r), StageOf(r)).status());
  return Response{204, {}, ""};
}

absl::StatusOr<Response> AddActivity(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "AddActivity"));
  ASSIGN_OR_RETURN(ActivitySettings settings, body.Settings("settings"));
  ActivityId created;
  ASSIGN_OR_RETURN(
      InterviewPlan plan,
      ctx.plans.AddActivity(who, JobOf(r), StageOf(r), *body.String("kind"), settings, &created));
  return WithEtag(JsonOf(201, *plan.FindActivity(created), WriteActivity), EtagOf(plan));
}

absl::StatusOr<Response> UpdateActivity(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "UpdateActivity"));
  ASSIGN_OR_RETURN(ActivitySettings settings, body.Settings("settings"));
  ActivityId id(Param(r, "activity_id"));
  ASSIGN_OR_RETURN(InterviewPlan plan,
                   ctx.plans.UpdateActivity(who, JobOf(r), StageOf(r), id, settings, IfMatchOf(r)));
  return WithEtag(JsonOf(200, *plan.FindActivity(id), WriteActivity), EtagOf(plan));
}

absl::StatusOr<Response> RemoveActivity(ApiContext& ctx, const Request& r, const Principal& who) {
  RETURN_IF_ERROR(
      ctx.plans.RemoveActivity(who, JobOf(r), StageOf(r), ActivityId(Param(r, "activity_id")))
          .status());
  return Response{204, {}, ""};
}

absl::StatusOr<Response> ListActivityKinds(ApiContext& ctx, const Request&, const Principal& who) {
  ASSIGN_OR_RETURN(std::vector<OfferedKind> kinds, ctx.plans.OfferedKinds(who));
  return ItemsOf(kinds, [](JsonWriter& w, const OfferedKind& k) {
    w.StartObject().Field("name", k.name).Field("display_name", k.display_name).EndObject();
  });
}

}  // namespace

std::span<const Route> PlanRoutes() { return kRoutes; }

}  // namespace stagecheck::http
