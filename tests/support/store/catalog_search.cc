#include "tests/support/store/catalog_search.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/store/open_store.h"

namespace stagecheck::storetest {
namespace {

struct Column {
  std::string table;
  std::string name;
  bool bytes = false;
};

using Sqlite = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;
using Pg = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

absl::StatusOr<Sqlite> OpenSqlite(std::string_view path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(std::string(path).c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Sqlite db(raw, &sqlite3_close);
  if (rc != SQLITE_OK) return absl::InternalError(absl::StrCat("sqlite open: ", rc));
  return db;
}

// Rows of a one-or-two-column query as text.
std::vector<std::vector<std::string>> SqliteRows(sqlite3* db, const std::string& sql,
                                                 std::string_view blob_param = {}) {
  std::vector<std::vector<std::string>> out;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return out;
  if (!blob_param.empty())
    sqlite3_bind_blob(stmt, 1, blob_param.data(), static_cast<int>(blob_param.size()),
                      SQLITE_TRANSIENT);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const unsigned char* text = sqlite3_column_text(stmt, i);
      row.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
    }
    out.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  return out;
}

std::vector<Column> SqliteColumns(sqlite3* db) {
  std::vector<Column> out;
  for (const auto& t : SqliteRows(db,
                                  "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                  "name NOT LIKE 'sqlite_%' ORDER BY name")) {
    for (const auto& c : SqliteRows(db, absl::StrCat("SELECT name, upper(type) FROM "
                                                     "pragma_table_info('",
                                                     t[0], "')"))) {
      if (c[1] == "TEXT" || c[1] == "BLOB") out.push_back({t[0], c[0], c[1] == "BLOB"});
    }
  }
  return out;
}

absl::StatusOr<Pg> OpenPg(std::string_view url) {
  Pg conn(PQconnectdb(std::string(url).c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return absl::UnavailableError(PQerrorMessage(conn.get()));
  return conn;
}

PgResult PgQuery(PGconn* conn, const std::string& sql, const char* param = nullptr) {
  const char* params[] = {param};
  return PgResult(
      PQexecParams(conn, sql.c_str(), param ? 1 : 0, nullptr, params, nullptr, nullptr, 0),
      &PQclear);
}

std::vector<Column> PgColumns(PGconn* conn) {
  std::vector<Column> out;
  PgResult r = PgQuery(conn,
                       "SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = 'public' AND data_type IN ('text', 'bytea', "
                       "'character varying') ORDER BY table_name, column_name");
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.push_back({PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1),
                   std::string_view(PQgetvalue(r.get(), i, 2)) == "bytea"});
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ColumnsContaining(std::string_view db,
                                                           std::string_view needle) {
  std::vector<std::string> hits;
  if (IsPostgresUrl(db)) {
    absl::StatusOr<Pg> conn = OpenPg(db);
    if (!conn.ok()) return conn.status();
    const std::string param(needle);
    for (const Column& c : PgColumns(conn->get())) {
      std::string test =
          c.bytes ? absl::StrCat("position(convert_to($1, 'UTF8') in \"", c.name, "\") > 0")
                  : absl::StrCat("strpos(\"", c.name, "\", $1) > 0");
      PgResult r =
          PgQuery(conn->get(), absl::StrCat("SELECT count(*) FROM \"", c.table, "\" WHERE ", test),
                  param.c_str());
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
        return absl::InternalError(PQresultErrorMessage(r.get()));
      if (std::string_view(PQgetvalue(r.get(), 0, 0)) != "0")
        hits.push_back(c.table + "." + c.name);
    }
    return hits;
  }
  absl::StatusOr<Sqlite> conn = OpenSqlite(db);
  if (!conn.ok()) return conn.status();
  for (const Column& c : SqliteColumns(conn->get())) {
    auto rows = SqliteRows(conn->get(),
                           absl::StrCat("SELECT count(*) FROM \"", c.table,
                                        "\" WHERE instr(CAST(\"", c.name, "\" AS BLOB), ?) > 0"),
                           needle);
    if (rows.empty()) return absl::InternalError("catalog search query failed on " + c.table);
    if (rows[0][0] != "0") hits.push_back(c.table + "." + c.name);
  }
  return hits;
}

absl::StatusOr<int> CountSearchableColumns(std::string_view db) {
  if (IsPostgresUrl(db)) {
    absl::StatusOr<Pg> conn = OpenPg(db);
    if (!conn.ok()) return conn.status();
    return static_cast<int>(PgColumns(conn->get()).size());
  }
  absl::StatusOr<Sqlite> conn = OpenSqlite(db);
  if (!conn.ok()) return conn.status();
  return static_cast<int>(SqliteColumns(conn->get()).size());
}

}  // namespace stagecheck::storetest
