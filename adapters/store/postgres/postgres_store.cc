#include "adapters/store/postgres/postgres_store.h"

#include <libpq-fe.h>

#include <cstring>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/store/sql/dialect.h"
#include "adapters/store/sql/pool.h"
#include "adapters/store/sql/sql_store.h"

namespace stagecheck::store {
namespace {

// Type oids from PostgreSQL's pg_type.dat (stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;

constexpr int kBinary = 1;

absl::string_view Abs(std::string_view s) { return absl::string_view(s.data(), s.size()); }

uint64_t ReadBigEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// SQLSTATE classes, see the PostgreSQL manual's appendix "Error Codes".
absl::Status FromSqlState(std::string_view state, std::string msg) {
  if (state == "23505") return absl::AlreadyExistsError(msg);
  if (state == "23503") return absl::FailedPreconditionError(msg);
  if (state == "40001" || state == "40P01") return MarkRetryable(absl::AbortedError(msg));
  if (state == "57014") return absl::DeadlineExceededError(msg);  // statement_timeout
  if (state.starts_with("23") || state.starts_with("22")) return absl::InvalidArgumentError(msg);
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57P")) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

// Prepared statements one connection keeps: the SQL of a page or a search
// varies with its filters, so the set is bounded, least recently used out.
constexpr size_t kPreparedPerConnection = 256;

// Statement names by key (SQL and parameter types), least recently used
// first out.
class StatementCache {
 public:
  explicit StatementCache(size_t capacity) : capacity_(capacity) {}

  const std::string* Find(const std::string& key) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);  // now the most recent
    return &it->second->second;
  }
  // Adds `name` for `key` and returns it; `evicted` is the name that made
  // room, if the cache was full.
  const std::string* Add(std::string key, std::string name, std::optional<std::string>& evicted) {
    if (order_.size() >= capacity_) {
      evicted = std::move(order_.back().second);
      by_key_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(std::move(key), std::move(name));
    by_key_[order_.front().first] = order_.begin();
    return &order_.front().second;
  }
  void Forget(const std::string& name) {
    for (auto it = order_.begin(); it != order_.end(); ++it) {
      if (it->second != name) continue;
      by_key_.erase(it->first);
      order_.erase(it);
      return;
    }
  }

 private:
  using Entry = std::pair<std::string, std::string>;  // key, statement name
  size_t capacity_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
};

class PgConnection final : public Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }

  absl::StatusOr<int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    PGresult* res = Send(sql, params);
    absl::Status s = CheckPrepared(res, sql);
    int64_t n = 0;
    if (s.ok()) {
      const char* tuples = PQcmdTuples(res);
      if (tuples != nullptr && *tuples != '\0' && !absl::SimpleAtoi(tuples, &n)) n = 0;
    }
    PQclear(res);
    if (!s.ok()) return s;
    return n;
  }

  absl::StatusOr<std::vector<Row>> Query(std::string_view sql,
                                         std::span<const Value> params) override {
    PGresult* res = Send(sql, params);
    absl::Status s = CheckPrepared(res, sql);
    std::vector<Row> rows;
    if (s.ok()) rows = ReadRows(res);
    PQclear(res);
    if (!s.ok()) return s;
    return rows;
  }

  absl::Status ExecScript(std::string_view sql) override {
    PGresult* res = PQexec(conn_, std::string(sql).c_str());
    absl::Status s = Check(res, "script");
    PQclear(res);
    return s;
  }

  absl::Status Begin() override { return Simple("BEGIN ISOLATION LEVEL READ COMMITTED"); }
  // REPEATABLE READ: several SELECTs see one snapshot; a read-only
  // transaction at this level never fails with a serialization error.
  absl::Status BeginRead() override {
    return Simple("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }
  absl::Status Commit() override {
    PGresult* res = PQexec(conn_, "COMMIT");
    absl::Status s = Check(res, "COMMIT");
    // COMMIT of a transaction that already failed answers "ROLLBACK".
    if (s.ok() && std::strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
      s = absl::AbortedError("postgres: the transaction failed earlier and was rolled back");
    }
    PQclear(res);
    return s;
  }
  absl::Status Rollback() override { return Simple("ROLLBACK"); }
  absl::Status Savepoint(std::string_view name) override {
    return Simple(absl::StrCat("SAVEPOINT ", Abs(name)));
  }
  absl::Status ReleaseSavepoint(std::string_view name) override {
    return Simple(absl::StrCat("RELEASE SAVEPOINT ", Abs(name)));
  }
  absl::Status RollbackToSavepoint(std::string_view name) override {
    return Simple(absl::StrCat("ROLLBACK TO SAVEPOINT ", Abs(name)));
  }
  bool broken() const override { return broken_ || PQstatus(conn_) != CONNECTION_OK; }

 private:
  absl::Status Simple(const std::string& sql) {
    PGresult* res = PQexec(conn_, sql.c_str());
    absl::Status s = Check(res, sql);
    PQclear(res);
    return s;
  }

  // Every parameter travels in binary with an explicit type, so text keeps
  // embedded bytes exactly (or is refused) instead of being cut at a NUL.
  PGresult* Send(std::string_view sql, std::span<const Value> params) {
    const size_t n = params.size();
    std::vector<Oid> types(n, 0);
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0);
    std::vector<int> formats(n, kBinary);
    std::vector<std::array<char, 8>> ints(n);
    for (size_t i = 0; i < n; ++i) {
      const Value& v = params[i];
      if (const int64_t* x = std::get_if<int64_t>(&v)) {
        uint64_t u = static_cast<uint64_t>(*x);
        for (int b = 7; b >= 0; --b, u >>= 8) ints[i][b] = static_cast<char>(u & 0xff);
        types[i] = kInt8Oid;
        values[i] = ints[i].data();
        lengths[i] = 8;
      } else if (const std::string* s = std::get_if<std::string>(&v)) {
        types[i] = kTextOid;
        values[i] = s->data();
        lengths[i] = static_cast<int>(s->size());
      } else if (const Blob* b = std::get_if<Blob>(&v)) {
        types[i] = kByteaOid;
        values[i] = b->bytes.data();
        lengths[i] = static_cast<int>(b->bytes.size());
      }
    }
    PGresult* refused = nullptr;
    const std::string* name = PreparedName(sql, types, refused);
    if (refused != nullptr) return refused;
    if (name == nullptr) {
      return PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(n), types.data(),
                          values.data(), lengths.data(), formats.data(), kBinary);
    }
    last_prepared_ = *name;
    return PQexecPrepared(conn_, name->c_str(), static_cast<int>(n), values.data(), lengths.data(),
                          formats.data(), kBinary);
  }

  // The server-side statement for `sql` with these parameter types, prepared
  // on first use: the server then parses, analyses and (once it settles on a
  // generic plan) plans it once per connection instead of once per call, a
  // third of its time per webhook delivery. nullptr in a failed transaction
  // (the call then goes unprepared and reports that). When the server
  // refuses to prepare it, `refused` is its answer, which names the error.
  const std::string* PreparedName(std::string_view sql, const std::vector<Oid>& types,
                                  PGresult*& refused) {
    last_prepared_.clear();
    std::string key(sql);
    key.push_back('\0');
    key.append(reinterpret_cast<const char*>(types.data()), types.size() * sizeof(Oid));
    if (const std::string* name = statements_.Find(key)) return name;
    if (PQtransactionStatus(conn_) == PQTRANS_INERROR) return nullptr;
    std::string name = absl::StrCat("sc_", ++statements_made_);
    PGresult* res = PQprepare(conn_, name.c_str(), std::string(sql).c_str(),
                              static_cast<int>(types.size()), types.data());
    if (res == nullptr || PQresultStatus(res) != PGRES_COMMAND_OK) {
      refused = res;
      return nullptr;
    }
    PQclear(res);
    std::optional<std::string> evicted;
    const std::string* added = statements_.Add(std::move(key), std::move(name), evicted);
    if (evicted) PQclear(PQexec(conn_, absl::StrCat("DEALLOCATE ", *evicted).c_str()));
    return added;
  }

  // Check, and a prepared statement whose result columns changed under it
  // (a table altered by a migration on another replica: SQLSTATE 0A000) is
  // dropped and the transaction marked for another run, which prepares it
  // again.
  absl::Status CheckPrepared(PGresult* res, std::string_view sql) {
    absl::Status s = Check(res, sql);
    if (s.ok() || last_prepared_.empty() || res == nullptr) return s;
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state == nullptr || std::string_view(state) != "0A000") return s;
    statements_.Forget(last_prepared_);
    return MarkRetryable(absl::AbortedError(s.message()));
  }

  absl::Status Check(PGresult* res, std::string_view what) {
    ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return absl::OkStatus();
    std::string msg = absl::StrCat(
        "postgres: ", res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (PQstatus(conn_) != CONNECTION_OK) {
      // The server went away (restart, network): this call fails, the pool
      // drops this session and the next call connects afresh.
      broken_ = true;
      return absl::UnavailableError(msg);
    }
    const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    if (state == nullptr) return absl::InternalError(absl::StrCat(msg, " (", Abs(what), ")"));
    return FromSqlState(state, std::move(msg));
  }

  static Value Cell(PGresult* res, int row, int col) {
    if (PQgetisnull(res, row, col)) return std::monostate{};
    const char* p = PQgetvalue(res, row, col);
    const int len = PQgetlength(res, row, col);
    switch (PQftype(res, col)) {
      case kInt8Oid:
      case kInt4Oid:
      case kInt2Oid: {
        // Sign-extend from the column's width.
        uint64_t u = ReadBigEndian(p, len);
        const int shift = 64 - 8 * len;
        return static_cast<int64_t>(u << shift) >> shift;
      }
      case kBoolOid:
        return int64_t{len > 0 && p[0] != 0};
      case kByteaOid:
        return Blob{std::string(p, len)};
      default:
        return std::string(p, len);
    }
  }

  static std::vector<Row> ReadRows(PGresult* res) {
    const int nrows = PQntuples(res);
    const int ncols = PQnfields(res);
    std::vector<Row> rows;
    rows.reserve(nrows);
    for (int r = 0; r < nrows; ++r) {
      Row row;
      row.reserve(ncols);
      for (int c = 0; c < ncols; ++c) row.push_back(Cell(res, r, c));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  PGconn* conn_;
  bool broken_ = false;
  StatementCache statements_{kPreparedPerConnection};
  uint64_t statements_made_ = 0;
  std::string last_prepared_;  // the statement the last Send ran, if prepared
};

void IgnoreNotice(void*, const char*) {}

absl::Status CheckUrl(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err != nullptr ? err : "out of memory";
    PQfreemem(err);
    return absl::InvalidArgumentError(absl::StrCat("postgres: bad database URL: ", msg));
  }
  PQconninfoFree(opts);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Connection>> Connect(const std::string& url,
                                                    const PostgresOptions& options) {
  const std::string timeout = std::to_string(options.connect_timeout_s);
  const std::string server_options = absl::StrCat(
      "-c statement_timeout=", options.statement_timeout_ms, " -c client_min_messages=warning");
  const char* keys[] = {"dbname", "connect_timeout", "application_name", "options", nullptr};
  const char* values[] = {url.c_str(), timeout.c_str(), "stagecheck", server_options.c_str(),
                          nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("postgres: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return absl::UnavailableError(absl::StrCat("postgres: cannot connect: ", msg));
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  return std::make_unique<PgConnection>(conn);
}

absl::StatusOr<MigrationResult> Prepare(const std::string& url, const PostgresOptions& options) {
  if (absl::Status s = CheckUrl(url); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<Connection>> conn = Connect(url, options);
  if (!conn.ok()) return conn.status();
  if (options.migrate) return ApplyMigrations(**conn, PostgresDialect(), PostgresMigrations());
  absl::StatusOr<int64_t> version = SchemaVersion(**conn, PostgresDialect());
  if (!version.ok()) return version.status();
  const int64_t latest = PostgresMigrations().back().version;
  if (*version != latest) {
    return absl::FailedPreconditionError(absl::StrCat("postgres: database is at schema version ",
                                                      *version, ", expected ", latest,
                                                      "; run `stagecheck migrate`"));
  }
  return MigrationResult{*version, *version};
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> ConnectPostgres(const std::string& url,
                                                            const PostgresOptions& options) {
  if (absl::Status s = CheckUrl(url); !s.ok()) return s;
  return Connect(url, options);
}

absl::StatusOr<MigrationResult> MigratePostgres(const std::string& url,
                                                const PostgresOptions& options) {
  PostgresOptions migrate = options;
  migrate.migrate = true;
  return Prepare(url, migrate);
}

absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                         const PostgresOptions& options) {
  if (absl::Status s = Prepare(url, options).status(); !s.ok()) return s;
  auto pool = std::make_unique<ConnectionPool>([url, options] { return Connect(url, options); },
                                               options.pool_size);
  return std::make_unique<SqlStore>(std::move(pool), PostgresDialect(), options.max_attempts,
                                    options.at_rest);
}

}  // namespace stagecheck::store
