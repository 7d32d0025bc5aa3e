// Idempotency keys: the `idempotency_keys` table, one stored response per
// (team, key), so that a retried request is answered as the first one was.
#include "adapters/store/sql/unit_of_work.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/rows.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using rows::Bytes;
using rows::Cells;
using rows::P;

constexpr std::string_view kIdempotencyCols =
    "team_id, idem_key, request_fingerprint, status_code, response_body, created_at";
IdempotencyRecord ReadIdempotency(const Row& row) {
  Cells c(row);
  IdempotencyRecord r;
  r.team = c.IdOf<TeamId>();
  r.key = c.Text();
  r.request_fingerprint = c.Text();
  r.status_code = static_cast<int>(c.Int());
  r.response_body = c.Text();
  r.created_at = c.Time();
  return r;
}

}  // namespace

absl::StatusOr<std::optional<IdempotencyRecord>> SqlUnitOfWork::GetIdempotency(
    const TeamId& team, const std::string& key) {
  absl::StatusOr<std::vector<Row>> rows =
      Query(absl::StrCat("SELECT ", ToAbsl(kIdempotencyCols),
                         " FROM idempotency_keys WHERE team_id = ? AND idem_key = ?"),
            {P(team), P(key)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<IdempotencyRecord>();
  return std::optional<IdempotencyRecord>(ReadIdempotency(rows->front()));
}

absl::Status SqlUnitOfWork::PutIdempotency(const IdempotencyRecord& r) {
  return Insert(absl::StrCat("INSERT INTO idempotency_keys (", ToAbsl(kIdempotencyCols),
                             ") VALUES (?, ?, ?, ?, ?, ?)"),
                {P(r.team), P(r.key), P(r.request_fingerprint), P(r.status_code),
                 Bytes(r.response_body), P(r.created_at)},
                "idempotency key");
}

}  // namespace stagecheck::store
