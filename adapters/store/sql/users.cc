// A team's users and their API tokens: the `users` and `api_tokens` tables.
// FindTokenByHash is one of the few global look-ups (the token hash is unique
// across teams); it runs on every authenticated request, so it is one
// indexed lookup joined to the user by primary key.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/rows.h"
#include "adapters/store/sql/unit_of_work.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using rows::Cells;
using rows::Corrupt;
using rows::MapRows;
using rows::P;
using rows::Single;

absl::StatusOr<Role> RoleOf(Cells& c) {
  std::string name = c.Text();
  std::optional<Role> role = ParseRole(name);
  if (!role) return Corrupt("role", name);
  return *role;
}

constexpr std::string_view kUserCols =
    "team_id, user_id, name, role, created_at, email, deactivated_at";
absl::StatusOr<User> ReadUser(const Row& row) {
  Cells c(row);
  User u;
  u.team = c.IdOf<TeamId>();
  u.id = c.IdOf<UserId>();
  u.name = c.Text();
  absl::StatusOr<Role> role = RoleOf(c);
  if (!role.ok()) return role.status();
  u.role = *role;
  u.created_at = c.Time();
  u.email = c.OptText();
  u.deactivated_at = c.OptTime();
  return u;
}

constexpr std::string_view kTokenCols =
    "team_id, user_id, role, token_hash, created_at, token_id, name, expires_at, revoked_at, "
    "last_used_at";
absl::StatusOr<ApiToken> ReadToken(const Row& row) {
  Cells c(row);
  ApiToken t;
  t.team = c.IdOf<TeamId>();
  t.user = c.IdOf<UserId>();
  absl::StatusOr<Role> role = RoleOf(c);
  if (!role.ok()) return role.status();
  t.role = *role;
  t.token_hash = c.Text();
  t.created_at = c.Time();
  t.id = c.IdOf<TokenId>();
  t.name = c.Text();
  t.expires_at = c.OptTime();
  t.revoked_at = c.OptTime();
  t.last_used_at = c.OptTime();
  return t;
}

}  // namespace

absl::Status SqlUnitOfWork::InsertUser(const User& user) {
  return Insert(
      absl::StrCat("INSERT INTO users (", ToAbsl(kUserCols), ") VALUES (?, ?, ?, ?, ?, ?, ?)"),
      {P(user.team), P(user.id), P(user.name), P(RoleName(user.role)), P(user.created_at),
       P(user.email), P(user.deactivated_at)},
      "user");
}

absl::StatusOr<std::vector<User>> SqlUnitOfWork::ListUsers(const TeamId& team) {
  absl::StatusOr<std::vector<Row>> rows =
      Query(absl::StrCat("SELECT ", ToAbsl(kUserCols),
                         " FROM users WHERE team_id = ? ORDER BY name, user_id"),
            {P(team)});
  if (!rows.ok()) return rows.status();
  return MapRows<User>(*rows, ReadUser);
}

absl::StatusOr<User> SqlUnitOfWork::GetUser(const TeamId& team, const UserId& user) {
  absl::StatusOr<Row> row =
      Single(Query(absl::StrCat("SELECT ", ToAbsl(kUserCols),
                                " FROM users WHERE team_id = ? AND user_id = ?"),
                   {P(team), P(user)}),
             "user");
  if (!row.ok()) return row.status();
  return ReadUser(*row);
}

absl::Status SqlUnitOfWork::DeactivateUser(const TeamId& team, const UserId& user, absl::Time at) {
  return UpdateOne(
      "UPDATE users SET deactivated_at = COALESCE(deactivated_at, ?) "
      "WHERE team_id = ? AND user_id = ?",
      {P(at), P(team), P(user)}, "user");
}

absl::Status SqlUnitOfWork::InsertToken(const ApiToken& token) {
  return Insert(absl::StrCat("INSERT INTO api_tokens (", ToAbsl(kTokenCols),
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {P(token.team), P(token.user), P(RoleName(token.role)), P(token.token_hash),
                 P(token.created_at), P(token.id), P(token.name), P(token.expires_at),
                 P(token.revoked_at), P(token.last_used_at)},
                "token");
}

absl::StatusOr<std::vector<ApiToken>> SqlUnitOfWork::ListTokens(const TeamId& team,
                                                                const UserId& user) {
  absl::StatusOr<std::vector<Row>> rows =
      Query(absl::StrCat("SELECT ", ToAbsl(kTokenCols),
                         " FROM api_tokens WHERE team_id = ? AND user_id = ? "
                         "ORDER BY created_at DESC, token_id"),
            {P(team), P(user)});
  if (!rows.ok()) return rows.status();
  return MapRows<ApiToken>(*rows, ReadToken);
}

absl::Status SqlUnitOfWork::RevokeToken(const TeamId& team, const UserId& user,
                                        const TokenId& token, absl::Time at) {
  return UpdateOne(
      "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) "
      "WHERE team_id = ? AND user_id = ? AND token_id = ?",
      {P(at), P(team), P(user), P(token)}, "token");
}

absl::Status SqlUnitOfWork::TouchToken(const TeamId& team, const TokenId& token, absl::Time at,
                                       absl::Time unless_since) {
  absl::StatusOr<int64_t> n = Exec(
      "UPDATE api_tokens SET last_used_at = ? WHERE team_id = ? AND token_id = ? "
      "AND (last_used_at IS NULL OR last_used_at < ?)",
      {P(at), P(team), P(token), P(unless_since)});
  return n.status();
}

absl::StatusOr<TokenLookup> SqlUnitOfWork::FindTokenByHash(const std::string& token_hash) {
  absl::StatusOr<Row> row = Single(
      Query("SELECT t.team_id, t.user_id, u.role, t.token_id, t.expires_at, t.last_used_at "
            "FROM api_tokens t JOIN users u ON u.team_id = t.team_id AND u.user_id = t.user_id "
            "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.deactivated_at IS NULL",
            {P(token_hash)}),
      "token");
  if (!row.ok()) return row.status();
  Cells c(*row);
  TokenLookup found;
  found.who.team = c.IdOf<TeamId>();
  found.who.user = c.IdOf<UserId>();
  absl::StatusOr<Role> role = RoleOf(c);
  if (!role.ok()) return role.status();
  found.who.role = *role;
  found.token = c.IdOf<TokenId>();
  found.expires_at = c.OptTime();
  found.last_used_at = c.OptTime();
  return found;
}

}  // namespace stagecheck::store
