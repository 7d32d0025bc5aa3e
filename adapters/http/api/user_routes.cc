// Users and their API tokens, managed by the team's admins: add a user with a
// role, deactivate one (their tokens stop working at once), issue tokens
// (the clear token is in the 201 answer only) and revoke them.
#include "adapters/http/api/render.h"
#include "adapters/http/api/route_support.h"
#include "adapters/http/api/routes.h"
#include "core/status_macros.h"

namespace stagecheck::http {
namespace {

MemberRoute ListUsers, CreateUser, DeactivateUser, ListTokens, IssueToken, RevokeToken;

// clang-format off
constexpr Route kRoutes[] = {
    {"GET",    "/api/v1/users",                                Access::kAdmin, ListUsers},
    {"POST",   "/api/v1/users",                                Access::kAdmin, CreateUser},
    {"POST",   "/api/v1/users/{user_id}/deactivate",           Access::kAdmin, DeactivateUser},
    {"GET",    "/api/v1/users/{user_id}/tokens",               Access::kAdmin, ListTokens},
    {"POST",   "/api/v1/users/{user_id}/tokens",               Access::kAdmin, IssueToken},
    {"DELETE", "/api/v1/users/{user_id}/tokens/{token_id}",    Access::kAdmin, RevokeToken},
};
// clang-format on

UserId UserOf(const Request& r) { return UserId(Param(r, "user_id")); }

absl::StatusOr<Response> ListUsers(ApiContext& ctx, const Request&, const Principal& who) {
  ASSIGN_OR_RETURN(std::vector<User> users, ctx.accounts.ListUsers(who));
  return ItemsOf(users, WriteUser);
}

absl::StatusOr<Response> CreateUser(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "CreateUser"));
  NewUser in{*body.String("name"), *body.String("email"), *body.String("role")};
  ASSIGN_OR_RETURN(User user, ctx.accounts.CreateUser(who, in));
  return CreatedAt("/api/v1/users/" + user.id.value(), false, JsonOf(201, user, WriteUser));
}

absl::StatusOr<Response> DeactivateUser(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(User user, ctx.accounts.DeactivateUser(who, UserOf(r)));
  return JsonOf(200, user, WriteUser);
}

absl::StatusOr<Response> ListTokens(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(std::vector<ApiToken> tokens, ctx.accounts.ListTokens(who, UserOf(r)));
  return ItemsOf(tokens, WriteToken);
}

absl::StatusOr<Response> IssueToken(ApiContext& ctx, const Request& r, const Principal& who) {
  ASSIGN_OR_RETURN(JsonBody body, JsonBody::Parse(r, "IssueToken"));
  TokenRequest in{*body.String("name"), std::nullopt};
  if (std::optional<int64_t> days = body.Int("expires_in_days")) {
    in.expires_at = absl::Now() + absl::Hours(24 * *days);
  }
  ASSIGN_OR_RETURN(IssuedApiToken issued, ctx.accounts.IssueToken(who, UserOf(r), in));
  JsonWriter w;
  WriteIssuedToken(w, issued.row, issued.token);  // the clear token: shown once, here
  Response resp = Response::Json(201, w.Take());
  resp.SetHeader("Cache-Control", "no-store");
  return resp;
}

absl::StatusOr<Response> RevokeToken(ApiContext& ctx, const Request& r, const Principal& who) {
  RETURN_IF_ERROR(ctx.accounts.RevokeToken(who, UserOf(r), TokenId(Param(r, "token_id"))));
  return Response{204, {}, ""};
}

}  // namespace

std::span<const Route> UserRoutes() { return kRoutes; }

}  // namespace stagecheck::http
