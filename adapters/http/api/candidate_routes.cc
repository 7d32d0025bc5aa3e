// Candidates: the people applying, their files and their activity feed.
#include <map>

#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "adapters/http/api/visibility.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute CreateCandidate, ListCandidates, GetCandidate, UpdateCandidate, ListFiles, GetFile,
    GetFeed, ListAdHocChecks;

// clang-format off
constexpr Route kRoutes[] = {
    {"POST",  "/api/v1/candidates",                                  Access::kRecruit, CreateCandidate},
    {"GET",   "/api/v1/candidates",                                  Access::kTeamMember, ListCandidates},
    {"GET",   "/api/v1/candidates/{candidate_id}",                   Access::kTeamMember, GetCandidate},
    {"PATCH", "/api/v1/candidates/{candidate_id}",                   Access::kRecruit, UpdateCandidate},
    {"GET",   "/api/v1/candidates/{candidate_id}/files",             Access::kReport, ListFiles},
    {"GET",   "/api/v1/candidates/{candidate_id}/files/{file_id}",   Access::kReport, GetFile},
    {"GET",   "/api/v1/candidates/{candidate_id}/activity",          Access::kTeamMember, GetFeed},
    {"GET",   "/api/v1/candidates/{candidate_id}/background-checks", Access::kTeamMember, ListAdHocChecks},
};
// clang-format on

CandidateId CandidateOf(const Request& r) { return CandidateId(Param(r, "candidate_id")); }

absl::StatusOr<Response> CreateCandidate(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "CreateCandidate"));
  ASSIGN_OR_RETURN(std::optional<IdempotencyKey> key, IdempotencyKeyOf(r, ctx.crypto));
  NewCandidate c{*body.String("first_name"), *body.String("last_name"), body.String("email"),
                 body.String("phone"), body.Strings("tags").value_or(std::vector<std::string>{})};
  ASSIGN_OR_RETURN(Created<CandidateId> created, ctx.applications.CreateCandidate(who, c, key));
  return CreatedRow(
      "/api/v1/candidates", created,
      [&](const CandidateId& id) { return ctx.applications.GetCandidate(who, id); },
      WriteCandidate);
}

absl::StatusOr<Response> ListCandidates(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(PageRequest page, PageOf(r));
  return PageResponse(ctx.applications.ListCandidates(who, page), WriteCandidate);
}

absl::StatusOr<Response> GetCandidate(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(Candidate c, ctx.applications.GetCandidate(who, CandidateOf(r)));
  return TaggedJsonOf(200, c, WriteCandidate);
}

absl::StatusOr<Response> UpdateCandidate(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "UpdateCandidate"));
  CandidateChanges changes;
  changes.first_name = body.String("first_name");
  changes.last_name = body.String("last_name");
  if (body.Has("email")) changes.email = body.String("email");
  if (body.Has("phone")) changes.phone = body.String("phone");
  changes.tags = body.Strings("tags");
  changes.if_match = IfMatchOf(r);
  ASSIGN_OR_RETURN(Candidate c, ctx.applications.UpdateCandidate(who, CandidateOf(r), changes));
  return TaggedJsonOf(200, c, WriteCandidate);
}

absl::StatusOr<Response> ListFiles(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(std::vector<CandidateFile> files,
                   ctx.applications.ListFiles(who, CandidateOf(r)));
  return ItemsOf(files, WriteFile);
}

absl::StatusOr<Response> GetFile(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(auto file,
                   ctx.applications.GetFile(who, CandidateOf(r), FileId(Param(r, "file_id"))));
  RETURN_IF_ERROR(ctx.applications.RecordReportView(
      who, {CandidateOf(r), std::nullopt, std::nullopt, "Downloaded " + file.first.name}));
  Response resp{200, {}, std::move(file.second)};
  resp.SetHeader("Content-Type", file.first.content_type);
  resp.SetHeader("Content-Disposition", "attachment; filename=\"" + file.first.name + "\"");
  resp.SetHeader("X-Content-Type-Options", "nosniff");
  return resp;
}

// The feed names people (each entry's actor_name: the user's display name),
// and shows the audit trail of report views to admins only.
absl::StatusOr<Response> GetFeed(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(PageRequest page, PageOf(r));
  absl::StatusOr<Page<FeedEvent>> feed =
      ctx.applications.Feed(who, CandidateOf(r), page, Allows(who.role, Access::kAdmin));
  std::map<std::string, std::string, std::less<>> names;
  if (feed.ok()) {
    ASSIGN_OR_RETURN(std::vector<User> users, ctx.accounts.ListUsers(who));
    for (const User& u : users) names["user:" + u.id.value()] = u.name;
  }
  return PageResponse(feed, [&names](JsonWriter& w, const FeedEvent& e) {
    auto it = names.find(e.actor);
    WriteFeedEvent(w, e, it == names.end() ? nullptr : &it->second);
  });
}

absl::StatusOr<Response> ListAdHocChecks(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(std::vector<BackgroundCheck> checks,
                   ctx.applications.AdHocChecks(who, CandidateOf(r)));
  ShowTo(who.role, checks);
  return ItemsOf(checks, WriteCheck);
}

}  // namespace

std::span<const Route> CandidateRoutes() { return kRoutes; }

}  // namespace stagecheck::http
