#include "adapters/store/sql/migrate.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace stagecheck::store {
namespace {

constexpr std::string_view kCreateLedger =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT NOT NULL PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";

absl::StatusOr<int64_t> MaxVersion(Connection& conn) {
  absl::StatusOr<std::vector<Row>> rows =
      conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  if (!rows.ok()) return rows.status();
  if (rows->empty() || !std::holds_alternative<int64_t>((*rows)[0][0])) {
    return absl::InternalError("schema_migrations: unexpected MAX(version)");
  }
  return std::get<int64_t>((*rows)[0][0]);
}

absl::StatusOr<MigrationResult> ApplyPending(Connection& conn, const Dialect& dialect,
                                             std::span<const Migration> migrations) {
  if (!dialect.migration_lock.empty()) {
    if (absl::Status s = conn.Query(dialect.migration_lock, {}).status(); !s.ok()) return s;
  }
  if (absl::Status s = conn.ExecScript(kCreateLedger); !s.ok()) return s;
  absl::StatusOr<int64_t> current = MaxVersion(conn);
  if (!current.ok()) return current.status();
  MigrationResult result{.from_version = *current, .to_version = *current};
  const int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  if (*current > latest) {
    return absl::FailedPreconditionError(absl::StrCat("database schema version ", *current,
                                                      " is newer than this binary's (", latest,
                                                      "); refusing to run"));
  }
  for (const Migration& m : migrations) {
    if (m.version <= *current) continue;
    if (absl::Status s = conn.ExecScript(m.sql); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("migration ", m.version, " (", std::string(m.name),
                                                 "): ", s.message()));
    }
    const Value params[] = {m.version, std::string(m.name), absl::ToUnixMicros(absl::Now())};
    absl::StatusOr<int64_t> n = conn.Exec(
        dialect.Sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
        params);
    if (!n.ok()) return n.status();
    result.to_version = m.version;
  }
  return result;
}

}  // namespace

absl::StatusOr<MigrationResult> ApplyMigrations(Connection& conn, const Dialect& dialect,
                                                std::span<const Migration> migrations) {
  if (absl::Status s = conn.Begin(); !s.ok()) return s;
  absl::StatusOr<MigrationResult> result = ApplyPending(conn, dialect, migrations);
  if (!result.ok()) {
    conn.Rollback().IgnoreError();
    return result.status();
  }
  if (absl::Status s = conn.Commit(); !s.ok()) return s;
  return result;
}

absl::StatusOr<int64_t> SchemaVersion(Connection& conn, const Dialect& dialect) {
  absl::StatusOr<std::vector<Row>> rows = conn.Query(dialect.ledger_exists, {});
  if (!rows.ok()) return rows.status();
  // No ledger at all: a database that was never migrated.
  if (rows->empty() || (*rows)[0][0] == Value(int64_t{0})) return 0;
  return MaxVersion(conn);
}

}  // namespace stagecheck::store
