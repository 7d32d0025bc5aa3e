// Durability under crashes of the outbox: cancels and bulk sends survive a
// SIGKILLed server (the webhook's is delivery_kill_test.cc, on both stores).
#include <set>

#include "absl/strings/str_cat.h"
#include "sqlite3.h"
#include "tests/e2e/e2e_support.h"

namespace stagecheck::e2e {
namespace {

// Cancels through the outbox survive crashes: the server is SIGKILLed while
// its worker cancels a batch of cases at a slow Certn. After restart every
// check ends cancelled by the user and each case got exactly one cancel call
// (a cancel whose run died after reaching Certn is found cancelled, not
// cancelled again).
// Leases are short enough that the killed runs' items run again within
// seconds (the default two minutes outlast the test's waits on a busy
// machine), and long enough that a 150 ms cancel never outlives its lease.
class CancelKillTest : public E2eTest {
 protected:
  void AdjustService(testing::ServiceOptions& options) override {
    options.extra_args.insert(options.extra_args.end(), {"--work-lease-ms", "5000"});
  }
};

TEST_F(CancelKillTest, EveryCancelReachesCertnOnceAcrossKills) {
  std::string job = CreateJobWithCertnStage("pkg-basic");
  constexpr int kChecks = 12;
  std::vector<std::string> checks;
  for (int i = 0; i < kChecks; ++i) {
    std::string candidate = CreateCandidate(absl::StrCat(
        R"({"first_name":"Ada","last_name":"L","email":"ada.kill)", i, R"(@example.com"})"));
    std::string app = CreateApplication(candidate, job);
    HttpResponse sent = svc_->Post("/api/v1/applications/" + app + "/background-checks", "{}",
                                   team_.recruiter_token);
    ASSERT_EQ(sent.status, 202) << sent.body;
    checks.push_back(sent.String("/id").value_or(""));
  }
  std::vector<std::string> cases;
  for (const std::string& check : checks) {
    cases.push_back(
        WaitForCheck(check, "/status", "invited").String("/certn_case_id").value_or(""));
    ASSERT_FALSE(cases.back().empty());
  }
  // Each cancel takes a while at Certn, so kills land in the middle of calls.
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "cancel_case", .latency_ms = 150, .times = -1}).ok());
  for (const std::string& check : checks) {
    HttpResponse asked = svc_->Post("/api/v1/background-checks/" + check + "/cancel",
                                    R"({"reason":"role closed"})", team_.recruiter_token);
    ASSERT_EQ(asked.status, 202) << asked.body;
  }
  for (size_t seen_at_least : {size_t{2}, size_t{6}}) {
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          auto log = fake_->Requests("cancel_case");
          return log.ok() && log->size() >= seen_at_least;
        },
        absl::Seconds(60)));
    svc_->Kill();
    ASSERT_TRUE(svc_->Restart().ok());
  }
  // Items the killed processes held run again once their lease expires.
  for (const std::string& check : checks) {
    HttpResponse done = WaitForCheck(check, "/status", "cancelled", absl::Minutes(4));
    EXPECT_EQ(done.String("/error_reason"), "cancelled_by_user") << done.body;
  }
  auto log = fake_->Requests("cancel_case");
  ASSERT_TRUE(log.ok());
  for (const std::string& case_id : cases) {
    int calls = 0;
    for (const auto& r : *log) calls += r.path.find(case_id) != std::string::npos ? 1 : 0;
    EXPECT_EQ(calls, 1) << case_id;
  }
}

int64_t QueryCount(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return n;
}

// A bulk send survives crashes: the server is SIGKILLed twice while its
// drain hands applications over and its worker orders them from a slow
// Certn. Leases are short (--work-lease-ms) so the killed runs' items run
// again within seconds. Afterwards every application has exactly one check
// and Certn made exactly one case per application (a retried order carries
// the same reference, so Certn answers the case it made). The account's
// rate window is short: 40 orders, their repeats and the case fetches their
// webhooks ask for are more than Certn's 60 calls a minute, and waiting for
// the next minute is the rate limit's test (postgres.replicas' rate limit
// test), not this one's.
class BulkKillTest : public E2eTest {
 protected:
  void AdjustService(testing::ServiceOptions& options) override {
    options.extra_args.insert(options.extra_args.end(),
                              {"--work-lease-ms", "1500", "--certn-rate-window-ms", "5000"});
  }
};

TEST_F(BulkKillTest, EveryApplicationOfABulkSendIsSentOnceAcrossKills) {
  constexpr int kApplications = 40;
  std::string job = CreateJobWithCertnStage("pkg-basic");
  std::string ids = R"({"application_ids":[)";
  for (int i = 0; i < kApplications; ++i) {
    std::string candidate = CreateCandidate(absl::StrCat(
        R"({"first_name":"Ada","last_name":"L","email":"ada.bulk)", i, R"(@example.com"})"));
    absl::StrAppend(&ids, i ? "," : "", "\"", CreateApplication(candidate, job), "\"");
  }
  ids += "]}";
  ASSERT_TRUE(
      fake_->InjectFault({.endpoint = "order_package", .latency_ms = 150, .times = -1}).ok());
  HttpResponse created = svc_->Post("/api/v1/bulk-sends", ids, team_.recruiter_token);
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string bulk = created.String("/id").value_or("");
  for (size_t seen_at_least : {size_t{4}, size_t{18}}) {
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          auto log = fake_->Requests("order_package");
          return log.ok() && log->size() >= seen_at_least;
        },
        absl::Seconds(30)));
    svc_->Kill();
    ASSERT_TRUE(svc_->Restart().ok());
  }
  HttpResponse poll;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        poll = svc_->Get("/api/v1/bulk-sends/" + bulk, team_.recruiter_token);
        return poll.String("/status") == "done";
      },
      absl::Seconds(40)))
      << poll.body;
  EXPECT_EQ(poll.Int("/counts/sent"), kApplications) << poll.body;
  auto cases = fake_->Call("GET", "/_control/cases");
  ASSERT_TRUE(cases.ok()) << cases.status();
  size_t made = 0;
  for (size_t at = cases->find("\"short_id\""); at != std::string::npos;
       at = cases->find("\"short_id\"", at + 1)) {
    ++made;
  }
  EXPECT_EQ(made, static_cast<size_t>(kApplications)) << "Certn made a case twice";
  ASSERT_TRUE(svc_->Stop().ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(svc_->sqlite_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  EXPECT_EQ(QueryCount(db, "SELECT COUNT(*) FROM background_checks"), kApplications);
  EXPECT_EQ(QueryCount(db, "SELECT COUNT(DISTINCT application_id) FROM background_checks"),
            kApplications);
  EXPECT_EQ(QueryCount(db, "SELECT COUNT(DISTINCT certn_case_id) FROM background_checks"),
            kApplications);
  sqlite3_close(db);
}

}  // namespace
}  // namespace stagecheck::e2e
