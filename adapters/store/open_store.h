// Opens the Store named by a database string: a SQLite file path, or a
// `postgres://` / `postgresql://` URL. The one place that picks a back-end.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/ports/cipher.h"
#include "core/ports/store.h"
#include "core/ports/telemetry.h"

namespace stagecheck {

struct StoreOptions {
  // Connections per process (SQLite: readers share one writer lock).
  int pool_size = 4;
  // Apply pending migrations at open. When false, a database that is not at
  // this binary's schema version is refused (FailedPrecondition).
  bool migrate = true;
  // Runs of a transaction that hit a serialization failure or deadlock.
  int max_attempts = 5;
  // SQLite: how long to wait for another process's write lock.
  absl::Duration busy_timeout = absl::Seconds(5);
  // PostgreSQL: per-statement limit and connect limit.
  absl::Duration statement_timeout = absl::Seconds(10);
  absl::Duration connect_timeout = absl::Seconds(5);
  // Encrypts report data at rest (candidate files, per-check results) with
  // the deployment key; null: written in clear, and encrypted rows read
  // without their results (commands that run without the key).
  Cipher* at_rest = nullptr;
  // SQLite: the WAL flusher's fdatasync times (stagecheck_wal_fsync_seconds).
  Metrics* metrics = nullptr;
};

// InvalidArgument for an unusable path or URL; Unavailable when the database
// cannot be reached.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view db, const StoreOptions& options);

struct MigrateResult {
  std::string_view backend;  // "sqlite" or "postgres"
  int64_t from_version = 0;
  int64_t to_version = 0;
};
// `stagecheck migrate`: applies pending migrations and reports the versions.
absl::StatusOr<MigrateResult> Migrate(std::string_view db, const StoreOptions& options);

// True when `db` names a PostgreSQL database rather than a SQLite file.
bool IsPostgresUrl(std::string_view db);

}  // namespace stagecheck
