// Each team's vendor integration: the `integrations` table (credentials as
// ciphertext, connection status, rate limits, the event feed cursor).
// FindTeamByCertnTeamId is a global look-up: the vendor's team id is unique
// across teams.
#include "adapters/store/sql/unit_of_work.h"

#include <algorithm>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/rows.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using rows::Bytes;
using rows::Cells;
using rows::Corrupt;
using rows::P;
using rows::Single;

constexpr std::string_view kIntegrationCols =
    "team_id, region, api_key_encrypted, api_key_last4, webhook_secret_encrypted, "
    "previous_webhook_secret_encrypted, previous_secret_valid_until, status, status_reason, "
    "certn_team_id, verified_at, last_delivery_at, updated_at, requests_per_minute, "
    "requests_per_day, "
    "events_cursor";
absl::StatusOr<CertnIntegration> ReadIntegration(const Row& row) {
  Cells c(row);
  CertnIntegration i;
  i.team = c.IdOf<TeamId>();
  std::string region = c.Text();
  std::optional<CertnRegion> parsed_region = ParseRegion(region);
  if (!parsed_region) return Corrupt("region", region);
  i.region = *parsed_region;
  i.api_key_encrypted = c.Text();
  i.api_key_last4 = c.Text();
  i.webhook_secret_encrypted = c.Text();
  i.previous_webhook_secret_encrypted = c.OptText();
  i.previous_secret_valid_until = c.OptTime();
  std::string status = c.Text();
  std::optional<ConnectionStatus> parsed_status = ParseConnectionStatus(status);
  if (!parsed_status) return Corrupt("connection status", status);
  i.status = *parsed_status;
  i.status_reason = c.Text();
  i.certn_team_id = c.OptText();
  i.verified_at = c.OptTime();
  i.last_delivery_at = c.OptTime();
  i.updated_at = c.Time();
  i.requests_per_minute = static_cast<int>(c.Int());
  i.requests_per_day = static_cast<int>(c.Int());
  i.events_cursor = c.OptText();
  return i;
}

}  // namespace

absl::Status SqlUnitOfWork::UpsertIntegration(const CertnIntegration& i) {
  // certn_team_id is unique across teams: the upsert may still fail on it.
  absl::StatusOr<int64_t> n = ExecGuarded(
      absl::StrCat(
          "INSERT INTO integrations (", ToAbsl(kIntegrationCols),
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (team_id) DO "
          "UPDATE SET "
          "region = excluded.region, api_key_encrypted = excluded.api_key_encrypted, "
          "api_key_last4 = excluded.api_key_last4, "
          "webhook_secret_encrypted = excluded.webhook_secret_encrypted, "
          "previous_webhook_secret_encrypted = excluded.previous_webhook_secret_encrypted, "
          "previous_secret_valid_until = excluded.previous_secret_valid_until, "
          "status = excluded.status, status_reason = excluded.status_reason, "
          "certn_team_id = excluded.certn_team_id, verified_at = excluded.verified_at, "
          "last_delivery_at = excluded.last_delivery_at, updated_at = excluded.updated_at, "
          "requests_per_minute = excluded.requests_per_minute, requests_per_day = "
          "excluded.requests_per_day, "
          // The reconciler owns the cursor (AdvanceEventsCursor): an edit that
          // keeps the key and region keeps the stored one; new credentials
          // (a new ciphertext: every encryption has a fresh nonce) take the given one.
          "events_cursor = CASE WHEN integrations.api_key_encrypted = excluded.api_key_encrypted "
          "AND "
          "integrations.region = excluded.region THEN integrations.events_cursor "
          "ELSE excluded.events_cursor END"),
      {P(i.team), P(RegionName(i.region)), Bytes(i.api_key_encrypted), P(i.api_key_last4),
       Bytes(i.webhook_secret_encrypted), Bytes(i.previous_webhook_secret_encrypted),
       P(i.previous_secret_valid_until), P(ConnectionStatusName(i.status)), P(i.status_reason),
       P(i.certn_team_id), P(i.verified_at), P(i.last_delivery_at), P(i.updated_at),
       P(i.requests_per_minute), P(i.requests_per_day), P(i.events_cursor)});
  return n.status();
}

absl::StatusOr<CertnIntegration> SqlUnitOfWork::GetIntegration(const TeamId& team) {
  absl::StatusOr<Row> row = Single(Query(absl::StrCat("SELECT ", ToAbsl(kIntegrationCols),
                                                      " FROM integrations WHERE team_id = ?"),
                                         {P(team)}),
                                   "integration");
  if (!row.ok()) return row.status();
  return ReadIntegration(*row);
}

absl::StatusOr<TeamId> SqlUnitOfWork::FindTeamByCertnTeamId(const std::string& certn_team_id) {
  absl::StatusOr<Row> row =
      Single(Query("SELECT team_id FROM integrations WHERE certn_team_id = ?", {P(certn_team_id)}),
             "certn team");
  if (!row.ok()) return row.status();
  return Cells(*row).IdOf<TeamId>();
}

absl::StatusOr<CaseCheck> SqlUnitOfWork::FindCheckByCaseId(const std::string& case_id) {
  absl::StatusOr<Row> row =
      Single(Query("SELECT team_id, check_id FROM background_checks WHERE certn_case_id = ?",
                   {P(case_id)}),
             "check for this Certn case");
  if (!row.ok()) return row.status();
  Cells c(*row);
  TeamId team = c.IdOf<TeamId>();  // the columns in order
  return CaseCheck{std::move(team), c.IdOf<CheckId>()};
}

absl::StatusOr<std::map<std::string, CaseCheck>> SqlUnitOfWork::FindChecksByCaseIds(
    std::span<const std::string> case_ids) {
  static const std::vector<std::string> kByCount = rows::RunShapes([](size_t n) {
    std::string sql =
        "SELECT certn_case_id, team_id, check_id FROM background_checks WHERE certn_case_id IN (";
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&sql, i == 0 ? "?" : ", ?");
    return sql + ")";
  });
  const std::vector<std::string> distinct = rows::SortedDistinct(case_ids);
  std::map<std::string, CaseCheck> found;
  absl::Status read = QueryInRuns(
      kByCount, distinct.size(),
      [&](size_t i, std::vector<Value>& params) { params.push_back(P(distinct[i])); },
      [&](const Row& row) {
        Cells c(row);
        std::string case_id = c.Text();
        TeamId team = c.IdOf<TeamId>();  // the columns in order
        found.insert_or_assign(std::move(case_id), CaseCheck{std::move(team), c.IdOf<CheckId>()});
      });
  if (!read.ok()) return read;
  return found;
}

absl::StatusOr<std::vector<CertnIntegration>> SqlUnitOfWork::ListConnectedIntegrations(
    const std::optional<TeamId>& after, int limit) {
  std::vector<Value> params = {P(ConnectionStatusName(ConnectionStatus::kConnected))};
  if (after) params.push_back(P(*after));
  params.emplace_back(int64_t{PageLimit(limit)});
  absl::StatusOr<std::vector<Row>> rows =
      Query(absl::StrCat("SELECT ", ToAbsl(kIntegrationCols), " FROM integrations WHERE status = ?",
                         after ? " AND team_id > ?" : "", " ORDER BY team_id LIMIT ?"),
            params);
  if (!rows.ok()) return rows.status();
  std::vector<CertnIntegration> out;
  for (const Row& row : *rows) {
    absl::StatusOr<CertnIntegration> i = ReadIntegration(row);
    if (!i.ok()) return i.status();
    out.push_back(*std::move(i));
  }
  return out;
}

absl::Status SqlUnitOfWork::AdvanceEventsCursor(const TeamId& team,
                                                const std::optional<std::string>& expected,
                                                const std::string& cursor) {
  absl::StatusOr<int64_t> n = Exec(
      "UPDATE integrations SET events_cursor = ? WHERE team_id = ? AND events_cursor IS NOT "
      "DISTINCT FROM ?",
      {P(cursor), P(team), P(expected)});
  if (!n.ok()) return n.status();
  if (*n == 0) return absl::AbortedError("the integration's events cursor has moved");
  return absl::OkStatus();
}

}  // namespace stagecheck::store
