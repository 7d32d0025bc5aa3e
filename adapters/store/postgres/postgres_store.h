// The PostgreSQL back-end: many stateless replicas share one database.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "adapters/store/sql/driver.h"
#include "adapters/store/sql/migrate.h"
#include "core/ports/cipher.h"
#include "core/ports/store.h"

namespace stagecheck::store {

struct PostgresOptions {
  int pool_size = 4;
  int statement_timeout_ms = 10000;
  int connect_timeout_s = 5;
  int max_attempts = 5;       // runs of a transaction hitting serialization failures/deadlocks
  bool migrate = true;        // false: refuse a database that is not migrated yet
  Cipher* at_rest = nullptr;  // report data at rest (StoreOptions::at_rest)
};

// `url` is a libpq URL (postgres:// or postgresql://). InvalidArgument for a
// malformed URL, Unavailable when the server cannot be reached.
absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                         const PostgresOptions& options);
absl::StatusOr<MigrationResult> MigratePostgres(const std::string& url,
                                                const PostgresOptions& options);

std::span<const Migration> PostgresMigrations();

// One session as the store's pool makes them (SQL with $1.. placeholders):
// for tests and tools that look below the Store.
absl::StatusOr<std::unique_ptr<Connection>> ConnectPostgres(const std::string& url,
                                                            const PostgresOptions& options);

}  // namespace stagecheck::store
