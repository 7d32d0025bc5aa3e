// Shared set-up for the REST API tests: one fake Certn and one stagecheck
// process per test suite (started in SetUpTestSuite), a fresh team per test,
// builders for the resources every endpoint needs, and assertions for
// problem+json answers and "nothing changed".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/fake_certn/fake_certn_process.h"
#include "tests/support/service/certn_setup.h"
#include "tests/support/service/service_process.h"

namespace stagecheck::api_test {

using stagecheck::testing::CertnAccount;
using stagecheck::testing::Headers;
using stagecheck::testing::HttpResponse;
using stagecheck::testing::JsonQuote;
using stagecheck::testing::ServiceProcess;
using stagecheck::testing::TeamTokens;

// Everything one team owns, all created through the API.
struct World {
  TeamTokens team;
  CertnAccount certn;       // empty unless connected
  std::string job;          // with stages screen → background
  std::string stage;        // "Screen" (first stage; applications start here)
  std::string bg_stage;     // "Background", holds the Certn activity
  std::string activity;     // certn_background_check, pkg-basic, auto_send false
  std::string candidate;    // with an email
  std::string application;  // candidate × job
  std::string check;        // a manual send for `application` (once ordered)
  std::string delivery;     // the webhook delivery Certn sent for that order
};

// One route of adapters/http/api with a request that would succeed for the
// world it was built from.
struct Endpoint {
  std::string method;
  std::string path;
  std::string body;         // a valid body ("" for none)
  bool admin_only = false;  // recruiters get 403
  bool has_ids = false;     // the path names resources of the world
  // Bodies the schema refuses (missing / wrong-typed / out-of-range fields): 400 invalid_body.
  std::vector<std::string> invalid_bodies = {};
  std::string name() const { return method + " " + path; }
};

// Every /api/v1 route, filled in with `w`'s IDs.
std::vector<Endpoint> AllEndpoints(const World& w);
// Those with a JSON body.
std::vector<Endpoint> BodyEndpoints(const World& w);

// "<status> <body>" for assertion messages.
inline std::string Describe(const HttpResponse& r) { return absl::StrCat(r.status, " ", r.body); }

// A problem+json answer with this HTTP status and stable code.
::testing::AssertionResult IsProblem(const HttpResponse& r, int status, const std::string& code);
#define EXPECT_PROBLEM(response, status, code) \
  EXPECT_TRUE(::stagecheck::api_test::IsProblem(response, status, code))

class ApiTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  // SetUpTestSuite with more `stagecheck serve` flags (a derived suite's own
  // SetUpTestSuite calls it, e.g. with a short reconcile interval).
  static void StartSuite(std::vector<std::string> serve_args);
  static void TearDownTestSuite();

 protected:
  void SetUp() override;

  static ServiceProcess& svc() { return *service_; }
  static fake_certn::FakeCertnProcess& fake() { return *fake_; }

  // A new team (admin + recruiter tokens) with a unique name.
  TeamTokens NewTeam();
  // A team with Certn connected and every resource above; `send_check` also
  // sends a check and waits until Certn has the order and all is quiet.
  World NewWorld(bool connect_certn = true, bool send_check = true);

  std::string CreateJob(const TeamTokens& team,
                        const std::string& title = "Site Reliability Engineer");
  std::string AddStage(const TeamTokens& team, const std::string& job, const std::string& name);
  std::string AddCertnActivity(const TeamTokens& team, const std::string& job,
                               const std::string& stage, const std::string& package = "pkg-basic");
  std::string CreateCandidate(const TeamTokens& team, const std::string& email = "ada@example.com");
  std::string CreateApplication(const TeamTokens& team, const std::string& candidate,
                                const std::string& job);
  std::string SendCheck(const TeamTokens& team, const std::string& application,
                        const std::string& activity);
  // Polls the check until Certn has confirmed the order (certn_case_id set).
  void WaitOrdered(const TeamTokens& team, const std::string& check);
  // Advances the world's Certn case until the vendor says COMPLETE.
  void CompleteAtCertn(const World& w);

  // Every readable resource of the world, concatenated: equal before and
  // after a refused request means nothing changed.
  std::string Snapshot(const World& w);
  // The snapshot once the world is quiet (WaitQuiet), so that work caused by
  // earlier steps cannot land between it and the snapshot taken afterwards.
  std::string StableSnapshot(const World& w);
  // Waits (with a deadline) until the fake Certn has no webhook queued, held
  // or in flight and the team has no durable work due (or due within a
  // two seconds, as a webhook's coalesced case fetch is): every asynchronous
  // consequence of what the test did so far has been applied.
  void WaitQuiet(const TeamTokens& team);

  // Orders (order_package) the fake Certn has received for this account.
  size_t CertnOrders(const std::string& certn_team_id);

  // Counts rows of `table` (optionally WHERE team_id = team) in the suite's
  // SQLite file with the sqlite3 CLI (works while the service runs: WAL).
  int64_t CountRows(const std::string& table, const std::string& team_id = "");
  // What a read-only query of the suite's SQLite file answers (the sqlite3
  // CLI's text: columns joined by '|'), or the single integer it answers.
  std::string QueryText(const std::string& sql);
  int64_t QueryInt(const std::string& sql);
  // Runs a writing statement on the suite's SQLite file (the service's own
  // database: for states no request can produce, such as a dead worker's lease).
  void ExecSql(const std::string& sql);

 private:
  std::string RunSqlite(const std::string& sql, bool read_only);

  static std::unique_ptr<fake_certn::FakeCertnProcess> fake_;
  static std::unique_ptr<ServiceProcess> service_;
  static int team_counter_;
};

}  // namespace stagecheck::api_test
