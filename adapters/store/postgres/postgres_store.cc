#include "adapters/store/postgres/postgres_store.h"

#include <libpq-fe.h>

#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/store/postgres/pg_values.h"
#include "adapters/store/sql/dialect.h"
#include "adapters/store/sql/pool.h"
#include "adapters/store/sql/sql_store.h"
#include "core/status_macros.h"

namespace stagecheck::store {
namespace {

using pg::FromSqlState;
using pg::kBinary;
using pg::kPreparedPerConnection;
using pg::PgParams;
using pg::ReadRows;
using pg::StatementCache;

absl::string_view Abs(std::string_view s) { return absl::string_view(s.data(), s.size()); }

class PgConnection final : public Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }

  absl::StatusOr<int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    PGresult* res = SendInTransaction(sql, params);
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
    PGresult* res = SendInTransaction(sql, params);
    absl::Status s = CheckPrepared(res, sql);
    std::vector<Row> rows;
    if (s.ok()) rows = ReadRows(res);
    PQclear(res);
    if (!s.ok()) return s;
    return rows;
  }

  absl::Status ExecScript(std::string_view sql) override {
    RETURN_IF_ERROR(SendPendingBegin());
    PGresult* res = PQexec(conn_, std::string(sql).c_str());
    absl::Status s = Check(res, "script");
    PQclear(res);
    return s;
  }

  // BEGIN is not sent on its own: it travels with the transaction's first
  // statement, in one round trip (SendInTransaction). Neither level takes a
  // snapshot or a lock before that statement anyway.
  absl::Status Begin() override { return Defer(kBeginReadWrite); }
  // REPEATABLE READ: several SELECTs see one snapshot; a read-only
  // transaction at this level never fails with a serialization error.
  absl::Status BeginRead() override { return Defer(kBeginReadOnly); }
  absl::Status Commit() override {
    // A transaction that ran no statement has nothing to commit.
    if (pending_begin_ != nullptr) {
      pending_begin_ = nullptr;
      return absl::OkStatus();
    }
    PGresult* res = PQexec(conn_, "COMMIT");
    absl::Status s = Check(res, "COMMIT");
    // COMMIT of a transaction that already failed answers "ROLLBACK".
    if (s.ok() && std::strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
      s = absl::AbortedError("postgres: the transaction failed earlier and was rolled back");
    }
    PQclear(res);
    return s;
  }
  absl::Status Rollback() override {
    if (pending_begin_ != nullptr) {
      pending_begin_ = nullptr;
      return absl::OkStatus();
    }
    return Simple("ROLLBACK");
  }
  absl::Status Savepoint(std::string_view name) override {
    RETURN_IF_ERROR(SendPendingBegin());
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

  static constexpr char kBeginReadWrite[] = "BEGIN ISOLATION LEVEL READ COMMITTED";
  static constexpr char kBeginReadOnly[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

  absl::Status Defer(const char* begin) {
    pending_begin_ = begin;
    return absl::OkStatus();
  }

  // Sends a deferred BEGIN by itself, for the calls that do not pipeline it
  // (savepoints, scripts).
  absl::Status SendPendingBegin() {
    if (pending_begin_ == nullptr) return absl::OkStatus();
    const char* begin = std::exchange(pending_begin_, nullptr);
    return Simple(begin);
  }

  // Runs one statement; the first of a transaction carries its BEGIN. A
  // session that answered before and now fails there was broken while it
  // sat in the pool (a server restart): nothing of the transaction ran, so
  // it reconnects and runs the two again, once, as a fresh session would.
  PGresult* SendInTransaction(std::string_view sql, std::span<const Value> params) {
    if (pending_begin_ == nullptr) return Send(sql, params, nullptr);
    const char* begin = std::exchange(pending_begin_, nullptr);
    PGresult* res = Send(sql, params, begin);
    if (!answered_before_ || PQstatus(conn_) == CONNECTION_OK) return res;
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) return res;  // still down: that answer stands
    PQclear(res);
    statements_.Clear();
    broken_ = false;
    return Send(sql, params, begin);
  }

  // Runs `sql` (pg_values.h: how parameters travel); `begin`, when given, is
  // sent ahead of it in the same round trip.
  PGresult* Send(std::string_view sql, std::span<const Value> params, const char* begin) {
    const PgParams p(params);
    const int n = static_cast<int>(params.size());
    PGresult* refused = nullptr;
    const std::string* name = PreparedName(sql, p.types, refused);
    if (refused != nullptr) return refused;
    if (name != nullptr) last_prepared_ = *name;
    PGresult* res = nullptr;
    if (begin == nullptr) {
      res = name == nullptr
                ? PQexecParams(conn_, std::string(sql).c_str(), n, p.types.data(), p.values.data(),
                               p.lengths.data(), p.formats.data(), kBinary)
                : PQexecPrepared(conn_, name->c_str(), n, p.values.data(), p.lengths.data(),
                                 p.formats.data(), kBinary);
    } else {
      res = Pipelined(begin, [&] {
        return name == nullptr
                   ? PQsendQueryParams(conn_, std::string(sql).c_str(), n, p.types.data(),
                                       p.values.data(), p.lengths.data(), p.formats.data(), kBinary)
                   : PQsendQueryPrepared(conn_, name->c_str(), n, p.values.data(), p.lengths.data(),
                                         p.formats.data(), kBinary);
      });
    }
    if (res != nullptr && PQresultStatus(res) != PGRES_FATAL_ERROR) answered_before_ = true;
    return res;
  }

  // `begin` then the statement `send_statement` sends, in libpq's pipeline
  // mode: one round trip. The statement's result, or BEGIN's when BEGIN
  // failed (the server then skipped the statement); nullptr when the
  // session failed before either answered.
  template <typename SendStatement>
  PGresult* Pipelined(const char* begin, SendStatement send_statement) {
    if (PQenterPipelineMode(conn_) != 1) return nullptr;
    PGresult* answer = nullptr;
    if (PQsendQueryParams(conn_, begin, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
        send_statement() == 1 && PQpipelineSync(conn_) == 1) {
      answer = ReadPipelined();
    }
    if (PQexitPipelineMode(conn_) != 1) {
      // Results left unread (a session failing half-way): it cannot be reused.
      broken_ = true;
    }
    return answer;
  }

  // Reads BEGIN's result, the statement's, and the pipeline's sync.
  PGresult* ReadPipelined() {
    PGresult* begin_result = NextResult();
    PGresult* answer = NextResult();
    PGresult* sync = PQgetResult(conn_);
    const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced) broken_ = true;
    const bool begin_ok =
        begin_result != nullptr && PQresultStatus(begin_result) == PGRES_COMMAND_OK;
    if (begin_ok) {
      PQclear(begin_result);
      return answer;
    }
    PQclear(answer);
    return begin_result;
  }

  // One query's result in a pipeline, and the nullptr that ends it.
  PGresult* NextResult() {
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) return nullptr;
    if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
      PQclear(res);
      broken_ = true;  // out of step with what was sent
      return nullptr;
    }
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
    return res;
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

  PGconn* conn_;
  bool broken_ = false;
  // The BEGIN that goes with the transaction's first statement, if it has
  // not run one yet.
  const char* pending_begin_ = nullptr;
  bool answered_before_ = false;  // the session ran a statement once: a pooled one
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
