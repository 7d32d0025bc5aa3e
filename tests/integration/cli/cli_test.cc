// The `stagecheck` command line: bad flags exit 2 with a message, runtime
// failures exit 1 with a clear error and leave nothing half-created, and the
// bootstrap and operator commands do what they print.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/support/service/certn_setup.h"
#include "tests/support/service/service_process.h"

namespace stagecheck {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stagecheck-cli-" + testing::RandomHex(6));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the binary with `args` (no shell), capturing exit code and output.
  CliRun Stagecheck(const std::vector<std::string>& args, bool with_key = true) {
    fs::path out = dir_ / "out", err = dir_ / "err";
    pid_t pid = fork();
    if (pid == 0) {
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(o, 1);
      dup2(e, 2);
      if (with_key) {
        setenv("STAGECHECK_ENCRYPTION_KEY", std::string(64, 'a').c_str(), 1);
      } else {
        unsetenv("STAGECHECK_ENCRYPTION_KEY");
      }
      std::vector<char*> argv;
      std::string binary = STAGECHECK_CLI_BINARY;
      argv.push_back(binary.data());
      std::vector<std::string> copy = args;
      for (std::string& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return CliRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
  }
  std::string Db() const { return (dir_ / "stagecheck.db").string(); }

  fs::path dir_;
};

TEST_F(CliTest, BadInvocationsExit2WithAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{}, "no command given"},
      {{"launch"}, "unknown command"},
      {{"serve"}, "--db is required"},
      {{"serve", "--db", "x.db", "--bogus", "1"}, "unknown flag --bogus"},
      {{"serve", "--db", "x.db", "--listen", "nonsense"}, "--listen must be HOST:PORT"},
      {{"serve", "--db", "x.db", "--listen", "127.0.0.1:99999"}, "port must be a number"},
      {{"serve", "--db", "x.db", "--io-threads", "0"}, "--io-threads must be a whole number"},
      {{"serve", "--db", "x.db", "--log-level", "loud"}, "--log-level must be"},
      {{"serve", "--db", "x.db", "--delay-scan-interval-ms", "0"},
       "--delay-scan-interval-ms must be a whole number"},
      {{"serve", "--db", "x.db", "--delay-scan-interval-ms", "an hour"},
       "--delay-scan-interval-ms must be a whole number"},
      {{"serve", "--db", "x.db", "--express-workers", "9"},
       "--express-workers must be a whole number from 0 to 8"},
      {{"serve", "--db", "x.db", "--express-workers", "-1"},
       "--express-workers must be a whole number from 0 to 8"},
      {{"serve", "--db", "x.db", "--db-committers", "0"}, "--db-committers must be a whole number"},
      {{"serve", "--db", "x.db", "--fetch-coalesce-max-ms", "0"},
       "--fetch-coalesce-max-ms must be a whole number"},
      {{"serve", "--db", "x.db", "--fetch-coalesce-max-ms", "8s"},
       "--fetch-coalesce-max-ms must be a whole number"},
      {{"serve", "--db", "a.db", "--db", "b.db"}, "given twice"},
      {{"serve", "--db"}, "--db needs a value"},
      {{"serve", "--db", "x.db", "extra"}, "serve takes no arguments"},
      {{"team", "create", "--db", "x.db"}, "exactly one NAME"},
      {{"token", "create", "--db", "x.db", "--team", "t"}, "--role is required"},
      {{"token", "create", "--db", "x.db", "--team", "t", "--role", "owner"},
       "admin, recruiter, coordinator or viewer"},
      {{"deliveries"}, "'list' or 'replay'"},
      {{"deliveries", "list", "--db", "x.db", "--limit", "0"}, "--limit must be"},
      {{"migrate"}, "--db is required"},
  };
  for (const Case& c : cases) {
    CliRun r = Stagecheck(c.args);
    std::string joined = absl::StrJoin(c.args, " ");
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, c.message)) << joined << "\n" << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "usage:")) << joined;
  }
  EXPECT_FALSE(fs::exists("x.db"));
}

TEST_F(CliTest, UnusableDatabasePathIsAClearErrorAndCreatesNothing) {
  fs::path missing_dir = dir_ / "no" / "such" / "dir" / "s.db";
  CliRun r = Stagecheck({"team", "create", "Acme", "--db", missing_dir.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "does not exist")) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "no"));
  fs::create_directories(dir_ / "a-directory");
  r = Stagecheck({"migrate", "--db", (dir_ / "a-directory").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(r.err.empty());
  EXPECT_TRUE(fs::is_empty(dir_ / "a-directory"));
}

TEST_F(CliTest, TeamAndTokenCreatePrintOneJsonObject) {
  CliRun team = Stagecheck({"team", "create", "Acme", "--db", Db()});
  ASSERT_EQ(team.exit_code, 0) << team.err;
  testing::HttpResponse parsed{200, {}, team.out};
  std::string team_id = parsed.String("/team_id").value_or("");
  std::string token = parsed.String("/token").value_or("");
  EXPECT_FALSE(team_id.empty());
  EXPECT_EQ(token.size(), 3u + 64u);
  EXPECT_TRUE(absl::StartsWith(token, "sc_"));
  CliRun recruiter =
      Stagecheck({"token", "create", "--db", Db(), "--team", team_id, "--role", "recruiter"});
  ASSERT_EQ(recruiter.exit_code, 0) << recruiter.err;
  EXPECT_EQ(testing::HttpResponse({200, {}, recruiter.out}).String("/role"), "recruiter");
  CliRun unknown =
      Stagecheck({"token", "create", "--db", Db(), "--team", "no-such-team", "--role", "admin"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(unknown.err, "no team with that id")) << unknown.err;
  // Tokens are stored hashed: the clear token is not in the database file.
  EXPECT_FALSE(absl::StrContains(Slurp(Db()), token));
}

TEST_F(CliTest, MigrateIsIdempotent) {
  CliRun first = Stagecheck({"migrate", "--db", Db()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  testing::HttpResponse a{200, {}, first.out};
  EXPECT_EQ(a.Int("/from_version"), 0);
  int64_t version = a.Int("/to_version").value_or(0);
  EXPECT_GE(version, 1);
  CliRun second = Stagecheck({"migrate", "--db", Db()});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  testing::HttpResponse b{200, {}, second.out};
  EXPECT_EQ(b.Int("/from_version"), version);
  EXPECT_EQ(b.Int("/to_version"), version);
}

TEST_F(CliTest, ServeWithoutAnEncryptionKeyRefusesToStart) {
  CliRun r = Stagecheck({"serve", "--db", Db(), "--listen", "127.0.0.1:0"}, /*with_key=*/false);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "STAGECHECK_ENCRYPTION_KEY")) << r.err;
}

TEST_F(CliTest, ServeAnswersHealthAndASecondStartReusesTheDatabase) {
  auto fake = fake_certn::FakeCertnProcess::Start();
  ASSERT_TRUE(fake.ok()) << fake.status();
  testing::ServiceOptions options;
  options.certn_base_url = (*fake)->base_url();
  auto svc = testing::ServiceProcess::Start(options);
  ASSERT_TRUE(svc.ok()) << svc.status();
  EXPECT_EQ((*svc)->Get("/healthz").status, 200);
  // The start is logged with the allocator the process really runs on: a
  // build linked with mimalloc whose malloc still resolved to glibc's would
  // log "glibc" here.
  const std::string allocator = absl::StrCat("\"allocator\":\"", STAGECHECK_EXPECTED_ALLOCATOR);
  EXPECT_TRUE(testing::WaitFor([&] { return (*svc)->LogContains(allocator); }))
      << (*svc)->ReadLog();
  auto team = (*svc)->CreateTeam("acme");
  ASSERT_TRUE(team.ok());
  ASSERT_EQ((*svc)->Post("/api/v1/jobs", R"({"title":"Kept"})", team->admin_token).status, 201);
  ASSERT_TRUE((*svc)->Restart().ok());
  EXPECT_EQ((*svc)->Get("/healthz").status, 200);
  EXPECT_EQ((*svc)->Get("/readyz").status, 200);
  testing::HttpResponse jobs = (*svc)->Get("/api/v1/jobs", team->admin_token);
  EXPECT_EQ(jobs.String("/items/0/title"), "Kept");
  // Metrics are exposed in Prometheus text format.
  testing::HttpResponse metrics = (*svc)->Get("/metrics");
  EXPECT_TRUE(absl::StrContains(metrics.body, "stagecheck_http_requests_total")) << metrics.body;
  EXPECT_TRUE(absl::StrContains(metrics.body, "stagecheck_work_items")) << metrics.body;
}

TEST_F(CliTest, DeliveriesListAndReplay) {
  auto fake = fake_certn::FakeCertnProcess::Start();
  ASSERT_TRUE(fake.ok()) << fake.status();
  testing::ServiceOptions options;
  options.certn_base_url = (*fake)->base_url();
  auto svc = testing::ServiceProcess::Start(options);
  ASSERT_TRUE(svc.ok()) << svc.status();
  auto team = (*svc)->CreateTeam("acme");
  ASSERT_TRUE(team.ok());
  auto certn = testing::ConnectCertn(**svc, **fake, *team);
  ASSERT_TRUE(certn.ok()) << certn.status();
  testing::HttpResponse candidate = (*svc)->Post(
      "/api/v1/candidates", R"({"first_name":"A","last_name":"B","email":"a@example.com"})",
      team->recruiter_token);
  testing::HttpResponse sent = (*svc)->Post(
      "/api/v1/candidates/" + candidate.String("/id").value_or("") + "/background-checks",
      R"({"package_id":"pkg-basic"})", team->recruiter_token);
  ASSERT_EQ(sent.status, 202) << sent.body;
  // The fake Certn calls the webhook on every order.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto list =
            (*svc)->RunCli({"deliveries", "list", "--db", (*svc)->db(), "--team", team->team_id});
        return list.ok() && absl::StrContains(*list, "\"delivery_id\"");
      },
      absl::Seconds(15)));
  auto list = (*svc)->RunCli({"deliveries", "list", "--db", (*svc)->db(), "--team", team->team_id});
  ASSERT_TRUE(list.ok());
  testing::HttpResponse first{200, {}, list->substr(0, list->find('\n'))};
  std::string delivery = first.String("/delivery_id").value_or("");
  ASSERT_FALSE(delivery.empty()) << *list;
  EXPECT_FALSE(absl::StrContains(*list, certn->webhook_secret));
  ASSERT_TRUE(testing::WaitFor([&] {
    auto check = (*svc)->Get("/api/v1/background-checks/" + sent.String("/id").value_or(""),
                             team->recruiter_token);
    return check.String("/status") == "invited";
  }));
  auto replayed = (*svc)->RunCli({"deliveries", "replay", "--db", (*svc)->db(), "--team",
                                  team->team_id, "--delivery", delivery});
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_TRUE(absl::StrContains(*replayed, delivery));
  auto unknown = (*svc)->RunCli({"deliveries", "replay", "--db", (*svc)->db(), "--team",
                                 team->team_id, "--delivery", "nope"});
  EXPECT_FALSE(unknown.ok());
}

}  // namespace
}  // namespace stagecheck
