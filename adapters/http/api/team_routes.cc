// The team: who is signed in, and the team's settings.
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute GetMe, GetTeam, UpdateTeam;

// clang-format off
constexpr Route kRoutes[] = {
    {"GET",   "/api/v1/me",   Access::kTeamMember, GetMe},
    {"GET",   "/api/v1/team", Access::kTeamMember, GetTeam},
    {"PATCH", "/api/v1/team", Access::kAdmin,      UpdateTeam},
};
// clang-format on

void WriteTeam(JsonWriter& w, const Team& t) {
  w.StartObject().Field("id", t.id.value()).Field("name", t.name).Key("default_package_id");
  if (t.default_package_id)
    w.String(*t.default_package_id);
  else
    w.Null();
  w.EndObject();
}

absl::StatusOr<Response> GetMe(ApiContext& ctx, const Request&, const Principal& who) {
  ASSIGN_OR_RETURN(Team team, ctx.accounts.GetTeam(who.team));
  JsonWriter w;
  w.StartObject().Field("user_id", who.user.value()).Field("role", RoleName(who.role)).Key("team");
  WriteTeam(w, team);
  // What the role may do, from kGrants: the console hides the rest.
  w.Key("can").StartObject();
  w.Field("recruit", Allows(who.role, Access::kRecruit));
  w.Field("results", Allows(who.role, Access::kResults));
  w.Field("report", Allows(who.role, Access::kReport));
  w.Field("admin", Allows(who.role, Access::kAdmin));
  w.EndObject().EndObject();
  return Response::Json(200, w.Take());
}

absl::StatusOr<Response> GetTeam(ApiContext& ctx, const Request&, const Principal& who) {
  ASSIGN_OR_RETURN(Team team, ctx.accounts.GetTeam(who.team));
  return TaggedJsonOf(200, team, WriteTeam);
}

absl::StatusOr<Response> UpdateTeam(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "TeamSettings"));
  std::optional<std::optional<std::string>> default_package;
  if (body.Has("default_package_id")) default_package = body.String("default_package_id");
  ASSIGN_OR_RETURN(Team team,
                   ctx.accounts.UpdateTeamSettings(who.team, default_package, IfMatchOf(r)));
  return TaggedJsonOf(200, team, WriteTeam);
}

}  // namespace

std::span<const Route> TeamRoutes() { return kRoutes; }

}  // namespace stagecheck::http
