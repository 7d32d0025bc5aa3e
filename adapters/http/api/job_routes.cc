// Jobs: the postings an interview plan belongs to.
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute CreateJob, ListJobs, GetJob, UpdateJob;

// clang-format off
constexpr Route kRoutes[] = {
    {"POST",  "/api/v1/jobs",          Access::kAdmin,      CreateJob},
    {"GET",   "/api/v1/jobs",          Access::kTeamMember, ListJobs},
    {"GET",   "/api/v1/jobs/{job_id}", Access::kTeamMember, GetJob},
    {"PATCH", "/api/v1/jobs/{job_id}", Access::kAdmin,      UpdateJob},
};
// clang-format on

absl::StatusOr<Response> CreateJob(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "CreateJob"));
  ASSIGN_OR_RETURN(std::optional<IdempotencyKey> key, IdempotencyKeyOf(r, ctx.crypto));
  NewJob job{*body.String("title"), body.String("default_package_id"),
             body.Strings("tags").value_or(std::vector<std::string>{})};
  ASSIGN_OR_RETURN(Created<JobId> created, ctx.plans.CreateJob(who, job, key));
  return CreatedRow(
      "/api/v1/jobs", created, [&](const JobId& id) { return ctx.plans.GetJob(who, id); },
      WriteJob);
}

absl::StatusOr<Response> ListJobs(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(PageRequest page, PageOf(r));
  return PageResponse(ctx.plans.ListJobs(who, page), WriteJob);
}

absl::StatusOr<Response> GetJob(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(Job job, ctx.plans.GetJob(who, JobId(Param(r, "job_id"))));
  return TaggedJsonOf(200, job, WriteJob);
}

absl::StatusOr<Response> UpdateJob(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "UpdateJob"));
  JobChanges changes;
  changes.title = body.String("title");
  if (body.Has("default_package_id"))
    changes.default_package_id = body.String("default_package_id");
  changes.tags = body.Strings("tags");
  changes.if_match = IfMatchOf(r);
  ASSIGN_OR_RETURN(Job job, ctx.plans.UpdateJob(who, JobId(Param(r, "job_id")), changes));
  return TaggedJsonOf(200, job, WriteJob);
}

}  // namespace

std::span<const Route> JobRoutes() { return kRoutes; }

}  // namespace stagecheck::http
