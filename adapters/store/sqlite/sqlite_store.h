// The SQLite back-end: the embedded default (one file, WAL, zero set-up).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "adapters/store/sql/migrate.h"
#include "adapters/store/sqlite/wal_checkpointer.h"
#include "core/ports/cipher.h"
#include "core/ports/store.h"
#include "core/ports/telemetry.h"

namespace stagecheck::store {

struct SqliteOptions {
  int pool_size = 4;
  int busy_timeout_ms = 5000;  // waits for other processes holding the write lock
  int max_attempts = 3;
  bool migrate = true;        // false: refuse a database that is not migrated yet
  Cipher* at_rest = nullptr;  // report data at rest (StoreOptions::at_rest)
  // Tests only: runs on the WAL flusher's thread between a batch's commit
  // and its fdatasync (sqlite/wal_flusher.h), e.g. to kill the process there.
  std::function<void()> before_flush = nullptr;
  // Receives the WAL flusher's fdatasync times (WalFlusher::kFsyncMetric).
  Metrics* metrics = nullptr;
  // When the WAL is copied into the database, on a thread of its own
  // (sqlite/wal_checkpointer.h); tests shorten it and watch its passes.
  CheckpointOptions checkpoints{};
};

// Opens (creating when needed) the database at `path`. Every transaction is
// BEGIN IMMEDIATE and the store's threads queue on one writer lock, so a
// Transact must not call Transact (it would wait for itself). A missing or
// unwritable directory is InvalidArgument and leaves no file behind.
// Commits do not fsync (WAL, synchronous=NORMAL); a thread of the store
// fdatasyncs the WAL, and Transact (and WhenDurable) wait for an fsync that
// began after the commit, so what they acknowledge is on disk as with FULL.
// Another thread checkpoints the WAL, so that no commit waits for that.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                       const SqliteOptions& options);
absl::StatusOr<MigrationResult> MigrateSqlite(const std::string& path,
                                              const SqliteOptions& options);

// The compiled-in schema history (exposed so tests can compare back-ends).
std::span<const Migration> SqliteMigrations();

}  // namespace stagecheck::store
