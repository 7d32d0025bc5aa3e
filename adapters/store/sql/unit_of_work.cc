// The plumbing every aggregate's statements share: read-only refusal, the
// dialect's placeholders, savepoint-guarded statements, and the Insert and
// UpdateOne that turn "no row" into AlreadyExists and NotFound. The
// statements themselves live one file per aggregate, each with its columns
// and row mapper: teams.cc (users, tokens), integrations.cc, plans.cc (jobs),
// candidates.cc (files), applications.cc (the pipeline overview), checks.cc,
// feed.cc, idempotency.cc, deliveries.cc, work_queue.cc (the outbox) and
// call_grants.cc; shared helpers are in rows.h and pages.h.
#include "adapters/store/sql/unit_of_work.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/rows.h"
#include "core/strings.h"

namespace stagecheck::store {

absl::Status SqlUnitOfWork::RefuseInReadOnly() const {
  if (!read_only_) return absl::OkStatus();
  return absl::FailedPreconditionError("store: a write inside a read-only transaction");
}

absl::StatusOr<int64_t> SqlUnitOfWork::Exec(std::string_view sql, Params params) {
  return Exec(sql, std::span<const Value>(params.begin(), params.size()));
}

absl::StatusOr<int64_t> SqlUnitOfWork::Exec(std::string_view sql, std::span<const Value> params) {
  if (absl::Status s = RefuseInReadOnly(); !s.ok()) return s;
  return conn_.Exec(dialect_.Sql(sql), params);
}

absl::StatusOr<std::vector<Row>> SqlUnitOfWork::Query(std::string_view sql, Params params) {
  return Query(sql, std::span<const Value>(params.begin(), params.size()));
}

absl::StatusOr<std::vector<Row>> SqlUnitOfWork::Query(std::string_view sql,
                                                      std::span<const Value> params) {
  return conn_.Query(dialect_.Sql(sql), params);
}

absl::Status SqlUnitOfWork::QueryInRuns(
    const std::vector<std::string>& by_count, size_t count,
    const std::function<void(size_t i, std::vector<Value>& params)>& bind,
    const std::function<void(const Row&)>& read) {
  std::vector<Value> params;
  return rows::ForEachRun(count, [&](size_t at, size_t n) -> absl::Status {
    params.clear();
    for (size_t i = at; i < at + n; ++i) bind(i, params);
    absl::StatusOr<std::vector<Row>> matched = Query(by_count[n], params);
    if (!matched.ok()) return matched.status();
    for (const Row& row : *matched) read(row);
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> SqlUnitOfWork::ExecGuarded(std::string_view sql, Params params) {
  if (!dialect_.error_aborts_transaction) return Exec(sql, params);
  constexpr std::string_view kSavepoint = "stagecheck_stmt";
  if (absl::Status s = conn_.Savepoint(kSavepoint); !s.ok()) return s;
  absl::StatusOr<int64_t> n = Exec(sql, params);
  absl::Status end =
      n.ok() ? conn_.ReleaseSavepoint(kSavepoint) : conn_.RollbackToSavepoint(kSavepoint);
  if (!n.ok()) {
    if (end.ok()) end = conn_.ReleaseSavepoint(kSavepoint);
    // A failed rollback means the session is gone; report that instead.
    return end.ok() ? n.status() : end;
  }
  if (!end.ok()) return end;
  return n;
}

absl::Status SqlUnitOfWork::Insert(std::string_view sql, Params params, std::string_view what) {
  absl::StatusOr<int64_t> n = Exec(absl::StrCat(ToAbsl(sql), " ON CONFLICT DO NOTHING"), params);
  if (!n.ok()) return n.status();
  if (*n == 0) return absl::AlreadyExistsError(absl::StrCat(ToAbsl(what), " already exists"));
  return absl::OkStatus();
}

absl::Status SqlUnitOfWork::UpdateOne(std::string_view sql, Params params, std::string_view what,
                                      bool guarded) {
  absl::StatusOr<int64_t> n = guarded ? ExecGuarded(sql, params) : Exec(sql, params);
  if (!n.ok()) return n.status();
  if (*n == 0) return absl::NotFoundError(absl::StrCat(ToAbsl(what), " not found"));
  return absl::OkStatus();
}

}  // namespace stagecheck::store
