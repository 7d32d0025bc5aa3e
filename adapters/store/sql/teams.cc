// Teams, their users and API tokens: the `teams`, `users` and `api_tokens`
// tables. FindPrincipalByTokenHash is one of the few global look-ups (the
// token hash is unique across teams).
#include "adapters/store/sql/unit_of_work.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/rows.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using rows::Cells;
using rows::Corrupt;
using rows::P;
using rows::Single;

constexpr std::string_view kTeamCols = "team_id, name, default_package_id, created_at";
Team ReadTeam(const Row& row) {
  Cells c(row);
  Team t;
  t.id = c.IdOf<TeamId>();
  t.name = c.Text();
  t.default_package_id = c.OptText();
  t.created_at = c.Time();
  return t;
}

}  // namespace

absl::Status SqlUnitOfWork::InsertTeam(const Team& team) {
  return Insert(
      "INSERT INTO teams (team_id, name, default_package_id, created_at) VALUES (?, ?, ?, ?)",
      {P(team.id), P(team.name), P(team.default_package_id), P(team.created_at)}, "team");
}

absl::StatusOr<Team> SqlUnitOfWork::GetTeam(const TeamId& team) {
  absl::StatusOr<Row> row = Single(
      Query(absl::StrCat("SELECT ", ToAbsl(kTeamCols), " FROM teams WHERE team_id = ?"), {P(team)}),
      "team");
  if (!row.ok()) return row.status();
  return ReadTeam(*row);
}

absl::Status SqlUnitOfWork::UpdateTeam(const Team& team) {
  return UpdateOne("UPDATE teams SET name = ?, default_package_id = ? WHERE team_id = ?",
                   {P(team.name), P(team.default_package_id), P(team.id)}, "team");
}

absl::Status SqlUnitOfWork::InsertUser(const User& user) {
  return Insert(
      "INSERT INTO users (team_id, user_id, name, role, created_at) VALUES (?, ?, ?, ?, ?)",
      {P(user.team), P(user.id), P(user.name), P(RoleName(user.role)), P(user.created_at)}, "user");
}

absl::Status SqlUnitOfWork::InsertToken(const ApiToken& token) {
  return Insert(
      "INSERT INTO api_tokens (team_id, token_hash, user_id, role, created_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {P(token.team), P(token.token_hash), P(token.user), P(RoleName(token.role)),
       P(token.created_at)},
      "token");
}

absl::StatusOr<Principal> SqlUnitOfWork::FindPrincipalByTokenHash(const std::string& token_hash) {
  absl::StatusOr<Row> row = Single(
      Query("SELECT team_id, user_id, role FROM api_tokens WHERE token_hash = ?", {P(token_hash)}),
      "token");
  if (!row.ok()) return row.status();
  Cells c(*row);
  Principal p;
  p.team = c.IdOf<TeamId>();
  p.user = c.IdOf<UserId>();
  std::string role = c.Text();
  std::optional<Role> parsed = ParseRole(role);
  if (!parsed) return Corrupt("role", role);
  p.role = *parsed;
  return p;
}

}  // namespace stagecheck::store
