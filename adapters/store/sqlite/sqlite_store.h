// The SQLite back-end: the embedded default (one file, WAL, zero set-up).
#pragma once

#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "adapters/store/sql/migrate.h"
#include "core/ports/cipher.h"
#include "core/ports/store.h"

namespace stagecheck::store {

struct SqliteOptions {
  int pool_size = 4;
  int busy_timeout_ms = 5000;  // waits for other processes holding the write lock
  int max_attempts = 3;
  bool migrate = true;        // false: refuse a database that is not migrated yet
  Cipher* at_rest = nullptr;  // report data at rest (StoreOptions::at_rest)
};

// Opens (creating when needed) the database at `path`. Every transaction is
// BEGIN IMMEDIATE and the store's threads queue on one writer lock, so a
// Transact must not call Transact (it would wait for itself). A missing or
// unwritable directory is InvalidArgument and leaves no file behind.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                       const SqliteOptions& options);
absl::StatusOr<MigrationResult> MigrateSqlite(const std::string& path,
                                              const SqliteOptions& options);

// The compiled-in schema history (exposed so tests can compare back-ends).
std::span<const Migration> SqliteMigrations();

}  // namespace stagecheck::store
