// Teams: the `teams` table (their users and API tokens are in users.cc).
#include "adapters/store/sql/unit_of_work.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/rows.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using rows::Cells;
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

}  // namespace stagecheck::store
