#include "adapters/store/sqlite/sqlite_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/dialect.h"
#include "adapters/store/sql/pool.h"
#include "adapters/store/sql/sql_store.h"
#include "adapters/store/sqlite/wal_append_vfs.h"
#include "adapters/store/sqlite/wal_flusher.h"

namespace stagecheck::store {
namespace {

namespace fs = std::filesystem;

absl::Status MapError(int rc, std::string_view what, const char* detail) {
  std::string msg = absl::StrCat("sqlite: ", absl::string_view(what.data(), what.size()), ": ",
                                 detail != nullptr ? detail : sqlite3_errstr(rc));
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return absl::AlreadyExistsError(msg);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return absl::FailedPreconditionError(msg);
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_CHECK:
      return absl::InvalidArgumentError(msg);
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      return absl::UnavailableError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// Every transaction is a write transaction (BEGIN IMMEDIATE). Threads of one
// process queue on this mutex instead of spinning in SQLite's busy handler;
// busy_timeout still covers other processes (e.g. `stagecheck migrate`).
struct Shared {
  std::timed_mutex writer;  // timed: the checkpointer waits for it (wal_checkpointer.h)
  // Set before the first writing connection opens; goes away after the last
  // one closed (each holds this struct).
  std::unique_ptr<WalCheckpointer> checkpointer;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::shared_ptr<Shared> shared)
      : db_(db), shared_(std::move(shared)) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    if (holds_writer_) shared_->writer.unlock();
    sqlite3_close_v2(db_);
  }

  absl::StatusOr<int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    absl::StatusOr<std::vector<Row>> rows = Run(sql, params);
    if (!rows.ok()) return rows.status();
    return sqlite3_changes64(db_);
  }

  absl::StatusOr<std::vector<Row>> Query(std::string_view sql,
                                         std::span<const Value> params) override {
    return Run(sql, params);
  }

  absl::Status ExecScript(std::string_view sql) override {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
    absl::Status s = rc == SQLITE_OK ? absl::OkStatus() : MapError(rc, "script", err);
    sqlite3_free(err);
    return s;
  }

  absl::Status Begin() override {
    shared_->writer.lock();
    holds_writer_ = true;
    absl::Status s = Simple("BEGIN IMMEDIATE");
    if (!s.ok()) ReleaseWriter();
    return s;
  }
  absl::Status BeginRead() override {
    // DEFERRED takes no lock until the first read, and a WAL reader never
    // blocks on (or blocks) the writer: reads skip the writer mutex.
    return Simple("BEGIN DEFERRED");
  }
  absl::Status Commit() override {
    absl::Status s = Simple("COMMIT");
    // A failed COMMIT (e.g. disk full) leaves the transaction open.
    if (!s.ok() && !sqlite3_get_autocommit(db_)) Simple("ROLLBACK").IgnoreError();
    ReleaseWriter();
    return s;
  }
  absl::Status Rollback() override {
    absl::Status s = sqlite3_get_autocommit(db_) ? absl::OkStatus() : Simple("ROLLBACK");
    ReleaseWriter();
    return s;
  }
  absl::Status Savepoint(std::string_view name) override {
    return Simple(absl::StrCat("SAVEPOINT ", Abs(name)));
  }
  absl::Status ReleaseSavepoint(std::string_view name) override {
    return Simple(absl::StrCat("RELEASE SAVEPOINT ", Abs(name)));
  }
  absl::Status RollbackToSavepoint(std::string_view name) override {
    return Simple(absl::StrCat("ROLLBACK TO SAVEPOINT ", Abs(name)));
  }
  bool broken() const override { return false; }

  sqlite3* handle() const { return db_; }

 private:
  static absl::string_view Abs(std::string_view s) { return absl::string_view(s.data(), s.size()); }

  void ReleaseWriter() {
    if (holds_writer_) {
      holds_writer_ = false;
      shared_->writer.unlock();
    }
  }

  absl::Status Simple(const std::string& sql) { return Run(sql, {}).status(); }

  absl::StatusOr<sqlite3_stmt*> Prepare(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return MapError(rc, "prepare", sqlite3_errmsg(db_));
    cache_.emplace(std::move(key), stmt);
    return stmt;
  }

  absl::Status Bind(sqlite3_stmt* stmt, std::span<const Value> params) {
    for (size_t i = 0; i < params.size(); ++i) {
      const int at = static_cast<int>(i + 1);
      const Value& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(stmt, at);
      } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, at, *n);
      } else if (const std::string* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, at, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else if (const TextRef* t = std::get_if<TextRef>(&v)) {
        rc = sqlite3_bind_text64(stmt, at, t->text.data(), t->text.size(), SQLITE_STATIC,
                                 SQLITE_UTF8);
      } else if (const Blob* b = std::get_if<Blob>(&v)) {
        rc = sqlite3_bind_blob64(stmt, at, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
      } else {
        const std::string_view r = std::get<BlobRef>(v).bytes;
        rc = sqlite3_bind_blob64(stmt, at, r.data(), r.size(), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) return MapError(rc, "bind", sqlite3_errmsg(db_));
    }
    return absl::OkStatus();
  }

  static Value Cell(sqlite3_stmt* stmt, int col) {
    switch (sqlite3_column_type(stmt, col)) {
      case SQLITE_INTEGER:
      case SQLITE_FLOAT:
        return static_cast<int64_t>(sqlite3_column_int64(stmt, col));
      case SQLITE_TEXT: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
        return std::string(p, sqlite3_column_bytes(stmt, col));
      }
      case SQLITE_BLOB: {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, col));
        int n = sqlite3_column_bytes(stmt, col);
        return Blob{n > 0 ? std::string(p, n) : std::string()};
      }
      default:
        return std::monostate{};
    }
  }

  absl::StatusOr<std::vector<Row>> Run(std::string_view sql, std::span<const Value> params) {
    absl::StatusOr<sqlite3_stmt*> prepared = Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    sqlite3_stmt* stmt = *prepared;
    // Reset on every exit so a cached statement never holds a read snapshot.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{stmt};
    if (absl::Status s = Bind(stmt, params); !s.ok()) return s;
    std::vector<Row> rows;
    const int cols = sqlite3_column_count(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return rows;
      if (rc != SQLITE_ROW)
        return MapError(sqlite3_extended_errcode(db_), "step", sqlite3_errmsg(db_));
      Row row;
      row.reserve(cols);
      for (int c = 0; c < cols; ++c) row.push_back(Cell(stmt, c));
      rows.push_back(std::move(row));
    }
  }

  sqlite3* db_;
  std::shared_ptr<Shared> shared_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  bool holds_writer_ = false;
};

bool InMemory(const std::string& path) { return path == ":memory:"; }

// Refuses paths SQLite could only half-create, before anything touches disk.
absl::Status CheckPath(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("sqlite: empty database path");
  if (InMemory(path)) return absl::OkStatus();
  std::error_code ec;
  fs::path file(path);
  fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("sqlite: directory '", dir.string(),
                                                   "' of database '", path,
                                                   "' does not exist or is not a directory"));
  }
  if (fs::exists(file, ec)) {
    if (fs::is_directory(file, ec)) {
      return absl::InvalidArgumentError(absl::StrCat("sqlite: '", path, "' is a directory"));
    }
    if (access(path.c_str(), R_OK | W_OK) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("sqlite: '", path, "' is not writable"));
    }
  }
  // WAL needs its -wal and -shm files beside the database.
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sqlite: directory '", dir.string(), "' is not writable"));
  }
  return absl::OkStatus();
}

// SQLite keeps memory statistics by default, taking a process-wide mutex on
// every allocation and free, a few per row written; nothing here reads them.
// They can only be turned off before SQLite initialises: if something in
// the process opened a database first, sqlite3_config refuses (harmlessly:
// the statistics stay on).
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

// 16 MiB (negative: KiB), where SQLite's default is 2 MiB.
constexpr const char* kWriterCacheSize = "PRAGMA cache_size=-16384";

absl::StatusOr<std::unique_ptr<SqliteConnection>> Connect(const std::string& path,
                                                          const SqliteOptions& options, bool create,
                                                          std::shared_ptr<Shared> shared) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  // The WAL's frames written once per commit (wal_append_vfs.h); the
  // default VFS where SQLite has none to wrap.
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, WalAppendVfsName());
  if (rc != SQLITE_OK) {
    absl::Status s = MapError(rc, absl::StrCat("open '", path, "'"),
                              db != nullptr ? sqlite3_errmsg(db) : nullptr);
    sqlite3_close_v2(db);
    return s;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  auto conn = std::make_unique<SqliteConnection>(db, std::move(shared));
  absl::StatusOr<std::vector<Row>> mode = conn->Query("PRAGMA journal_mode=WAL", {});
  if (!mode.ok()) return mode.status();
  const Value expected = std::string(InMemory(path) ? "memory" : "wal");
  if (mode->empty() || mode->front().front() != expected) {
    return absl::FailedPreconditionError(
        absl::StrCat("sqlite: could not switch '", path, "' to WAL journaling"));
  }
  // synchronous=NORMAL: a commit writes the WAL without an fsync; the
  // store's WalFlusher fdatasyncs it before anything is acknowledged, so a
  // committed transaction that was answered (and so a 2xx) is on disk.
  // temp_store=MEMORY: a multi-row INSERT keeps a statement journal, and
  // once a bundle's rows outgrow SQLite's 64 KiB spill threshold it became a
  // file created and unlinked in /var/tmp on every batch, on the writer's
  // critical path and in the ext4 journal its fdatasync waits on. Nothing
  // in a statement journal or a sort needs to survive the statement.
  for (const char* pragma :
       {"PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL", "PRAGMA temp_store=MEMORY"}) {
    if (absl::Status s = conn->ExecScript(pragma); !s.ok()) return s;
  }
  return conn;
}

// Opens the first connection (creating the file), migrates or checks the
// schema, and removes a file this call created when anything failed.
absl::StatusOr<MigrationResult> Prepare(const std::string& path, const SqliteOptions& options,
                                        std::shared_ptr<Shared> shared) {
  if (absl::Status s = CheckPath(path); !s.ok()) return s;
  std::error_code ec;
  const bool existed = InMemory(path) || fs::exists(path, ec);
  absl::StatusOr<MigrationResult> result = [&]() -> absl::StatusOr<MigrationResult> {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> conn = Connect(path, options, true, shared);
    if (!conn.ok()) return conn.status();
    if (options.migrate) return ApplyMigrations(**conn, SqliteDialect(), SqliteMigrations());
    absl::StatusOr<int64_t> version = SchemaVersion(**conn, SqliteDialect());
    if (!version.ok()) return version.status();
    if (*version != SqliteMigrations().back().version) {
      return absl::FailedPreconditionError(
          absl::StrCat("sqlite: '", path, "' is at schema version ", *version, ", expected ",
                       SqliteMigrations().back().version, "; run `stagecheck migrate`"));
    }
    return MigrationResult{*version, *version};
  }();
  if (!result.ok() && !existed) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ec);
  }
  return result;
}

}  // namespace

absl::StatusOr<MigrationResult> MigrateSqlite(const std::string& path,
                                              const SqliteOptions& options) {
  SqliteOptions migrate = options;
  migrate.migrate = true;
  return Prepare(path, migrate, std::make_shared<Shared>());
}

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                       const SqliteOptions& options) {
  if (InMemory(path)) {
    return absl::InvalidArgumentError(
        "sqlite: ':memory:' is private to one connection; use a file (tests: a temp dir)");
  }
  auto shared = std::make_shared<Shared>();
  if (absl::Status s = Prepare(path, options, shared).status(); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<WalCheckpointer>> checkpointer =
      WalCheckpointer::Open(path, shared->writer, options.checkpoints);
  if (!checkpointer.ok()) return checkpointer.status();
  shared->checkpointer = std::move(*checkpointer);
  auto pool = std::make_unique<ConnectionPool>(
      [path, options, shared]() -> absl::StatusOr<std::unique_ptr<Connection>> {
        return Connect(path, options, /*create=*/false, shared);
      },
      options.pool_size);
  // Every write on one connection: SQLite empties a connection's page cache
  // when another connection wrote since its last transaction, so writers
  // taking turns on pooled connections read their pages back from the file
  // on every transaction (a tenth of the webhook's CPU, perf, issue 21).
  // SQLite allows one writer at a time anyway. Its cache is larger: it holds
  // the hot index pages that every delivery's insert walks.
  auto writers = std::make_unique<ConnectionPool>(
      [path, options, shared]() -> absl::StatusOr<std::unique_ptr<Connection>> {
        absl::StatusOr<std::unique_ptr<SqliteConnection>> conn =
            Connect(path, options, false, shared);
        if (!conn.ok()) return conn.status();
        if (absl::Status s = (*conn)->ExecScript(kWriterCacheSize); !s.ok()) return s;
        shared->checkpointer->Watch((*conn)->handle());
        return std::unique_ptr<Connection>(std::move(*conn));
      },
      1);
  return std::make_unique<SqlStore>(
      std::move(pool), SqliteDialect(), options.max_attempts, options.at_rest,
      std::make_unique<WalFlusher>(path + "-wal", options.before_flush, options.metrics),
      std::move(writers));
}

}  // namespace stagecheck::store
