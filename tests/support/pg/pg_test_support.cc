#include "tests/support/pg/pg_test_support.h"

#include <libpq-fe.h>
#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace stagecheck::pgtest {
namespace {

absl::StatusOr<std::string> ReadUrl(const std::string& state_dir) {
  const std::string path = state_dir + "/url";
  std::ifstream in(path);
  std::string url;
  if (!in || !std::getline(in, url) || url.empty()) {
    return absl::UnavailableError(
        absl::StrCat("no PostgreSQL test server: ", path,
                     " is missing (run through ctest so the postgres.server.start fixture runs)"));
  }
  return url;
}

std::string RandomName() {
  absl::BitGen gen;
  std::string name = "t_";
  for (int i = 0; i < 16; ++i)
    name += "abcdefghijklmnopqrstuvwxyz0123456789"[absl::Uniform(gen, 0, 36)];
  return name;
}

absl::Status RunScript(const std::string& command, const std::string& state_dir) {
  const std::string line =
      absl::StrCat("bash '", STAGECHECK_PG_SERVER_SCRIPT, "' ", command, " '", state_dir, "'");
  int rc = std::system(line.c_str());
  if (rc != 0) return absl::InternalError(absl::StrCat("`", line, "` failed: ", rc));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ServerUrl() {
  const char* build = std::getenv("STAGECHECK_BUILD_DIR");
  return ReadUrl(build != nullptr ? std::string(build) + "/pg" : STAGECHECK_PG_STATE_DIR);
}

std::string WithDatabase(const std::string& url, const std::string& database) {
  // postgresql://user@host:port/db[?params]
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return url + "/" + database;
  size_t query = url.find('?', slash);
  return url.substr(0, slash + 1) + database +
         (query == std::string::npos ? std::string() : url.substr(query));
}

absl::Status ExecSql(const std::string& url, const std::string& sql) {
  return QueryValue(url, sql).status();
}

absl::StatusOr<std::string> QueryValue(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("cannot connect to ", url, ": ", msg));
  }
  PGresult* res = PQexec(conn, sql.c_str());
  ExecStatusType st = PQresultStatus(res);
  absl::StatusOr<std::string> out =
      (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
          ? std::string(PQntuples(res) > 0 && PQnfields(res) > 0 ? PQgetvalue(res, 0, 0) : "")
          : absl::StatusOr<std::string>(
                absl::InternalError(absl::StrCat(sql, ": ", PQerrorMessage(conn))));
  PQclear(res);
  PQfinish(conn);
  return out;
}

absl::StatusOr<ScratchDatabase> ScratchDatabase::Create() {
  absl::StatusOr<std::string> server = ServerUrl();
  if (!server.ok()) return server.status();
  return CreateOn(*server);
}

absl::StatusOr<ScratchDatabase> ScratchDatabase::CreateOn(const std::string& server_url) {
  std::string name = RandomName();
  if (absl::Status s = ExecSql(server_url, absl::StrCat("CREATE DATABASE ", name)); !s.ok()) {
    return s;
  }
  std::string url = WithDatabase(server_url, name);
  return ScratchDatabase(server_url, std::move(name), std::move(url));
}

ScratchDatabase::ScratchDatabase(ScratchDatabase&& other) noexcept
    : server_url_(std::move(other.server_url_)),
      name_(std::move(other.name_)),
      url_(std::move(other.url_)) {
  other.name_.clear();
}

ScratchDatabase::~ScratchDatabase() {
  if (name_.empty()) return;
  // Best effort: the server may be gone already (it is thrown away anyway).
  ExecSql(server_url_, absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"))
      .IgnoreError();
}

absl::StatusOr<std::unique_ptr<PrivateServer>> PrivateServer::Start() {
  char tmpl[] = "/tmp/stagecheck-pgstate.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  std::unique_ptr<PrivateServer> server(new PrivateServer(tmpl));
  if (absl::Status s = RunScript("start", server->state_dir_); !s.ok()) return s;
  absl::StatusOr<std::string> url = ReadUrl(server->state_dir_);
  if (!url.ok()) return url.status();
  server->url_ = *url;
  return server;
}

PrivateServer::~PrivateServer() {
  RunScript("stop", state_dir_).IgnoreError();
  if (std::system(absl::StrCat("rm -rf '", state_dir_, "'").c_str()) != 0) {
    // Leftovers in /tmp are harmless.
  }
}

absl::Status PrivateServer::Restart() { return RunScript("restart", state_dir_); }
absl::Status PrivateServer::Halt() { return RunScript("halt", state_dir_); }
absl::Status PrivateServer::Resume() { return RunScript("resume", state_dir_); }

}  // namespace stagecheck::pgtest
