#include "adapters/store/open_store.h"

#include <string>

#include "adapters/store/postgres/postgres_store.h"
#include "adapters/store/sqlite/sqlite_store.h"

namespace stagecheck {
namespace {

int Millis(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

store::SqliteOptions ForSqlite(const StoreOptions& o) {
  return store::SqliteOptions{.pool_size = o.pool_size,
                              .busy_timeout_ms = Millis(o.busy_timeout),
                              .max_attempts = o.max_attempts,
                              .migrate = o.migrate,
                              .at_rest = o.at_rest,
                              .metrics = o.metrics};
}

store::PostgresOptions ForPostgres(const StoreOptions& o) {
  return store::PostgresOptions{
      .pool_size = o.pool_size,
      .statement_timeout_ms = Millis(o.statement_timeout),
      .connect_timeout_s = static_cast<int>(absl::ToInt64Seconds(o.connect_timeout)),
      .max_attempts = o.max_attempts,
      .migrate = o.migrate,
      .at_rest = o.at_rest};
}

}  // namespace

bool IsPostgresUrl(std::string_view db) {
  return db.starts_with("postgres://") || db.starts_with("postgresql://");
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view db, const StoreOptions& options) {
  if (IsPostgresUrl(db)) return store::OpenPostgresStore(std::string(db), ForPostgres(options));
  return store::OpenSqliteStore(std::string(db), ForSqlite(options));
}

absl::StatusOr<MigrateResult> Migrate(std::string_view db, const StoreOptions& options) {
  const bool pg = IsPostgresUrl(db);
  absl::StatusOr<store::MigrationResult> r =
      pg ? store::MigratePostgres(std::string(db), ForPostgres(options))
         : store::MigrateSqlite(std::string(db), ForSqlite(options));
  if (!r.ok()) return r.status();
  return MigrateResult{pg ? "postgres" : "sqlite", r->from_version, r->to_version};
}

}  // namespace stagecheck
