// Versioned, forward-only schema migrations. Each back-end compiles its own
// list (same version numbers and tables on every back-end); this runner is
// shared and records what it applied in `schema_migrations`.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "adapters/store/sql/dialect.h"
#include "adapters/store/sql/driver.h"

namespace stagecheck::store {

struct Migration {
  int64_t version;
  std::string_view name;
  std::string_view sql;  // several statements, no parameters
};

struct MigrationResult {
  int64_t from_version = 0;
  int64_t to_version = 0;
};

// Applies the pending migrations in one transaction. FailedPrecondition when
// the database is newer than this binary (forward-only: we never downgrade).
absl::StatusOr<MigrationResult> ApplyMigrations(Connection& conn, const Dialect& dialect,
                                                std::span<const Migration> migrations);

// The version recorded in the database (0 when it was never migrated).
absl::StatusOr<int64_t> SchemaVersion(Connection& conn, const Dialect& dialect);

}  // namespace stagecheck::store
