// Two `stagecheck serve` replicas on one PostgreSQL behind nginx: the whole
// flow through the load balancer, and the promises replicas must keep
// together (a delivery applied once, one Certn order per Idempotency-Key,
// every durable job run once).
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/integration/replicas/cluster.h"
#include "tests/support/pg/pg_test_support.h"

namespace stagecheck::replicas_test {
namespace {

using testing::JsonQuote;
using testing::RandomHex;
using testing::WaitFor;

// Runs fn(0..n-1) on n threads released together; returns their answers.
std::vector<HttpResponse> InParallel(int n, const std::function<HttpResponse(int)>& fn) {
  std::vector<HttpResponse> out(static_cast<size_t>(n));
  std::atomic<int> waiting{n};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      waiting.fetch_sub(1);
      while (waiting.load() > 0) std::this_thread::yield();
      out[static_cast<size_t>(i)] = fn(i);
    });
  }
  for (std::thread& t : threads) t.join();
  return out;
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = pgtest::ScratchDatabase::Create();
    ASSERT_TRUE(db.ok()) << "the `postgres` ctest fixture must be running: " << db.status();
    db_.emplace(*std::move(db));
    auto cluster =
        Cluster::Start(ClusterOptions{.db_url = db_->url(), .replicas = 2, .replica_args = {}});
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }
  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Diagnostics() << "\n";
  }

  Cluster& cluster() { return *cluster_; }
  const std::string& db() const { return db_->url(); }

  int64_t Sql(const std::string& sql) {
    absl::StatusOr<int64_t> n = QueryInt(db(), sql);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  // Orders Certn received for one Certn team (the fake's request log).
  std::vector<fake_certn::LoggedRequest> Orders(const std::string& certn_team_id) {
    auto log = cluster().fake().Requests("order_package");
    EXPECT_TRUE(log.ok()) << log.status();
    std::vector<fake_certn::LoggedRequest> out;
    if (log.ok()) {
      for (const auto& r : *log) {
        if (r.certn_team_id == certn_team_id) out.push_back(r);
      }
    }
    return out;
  }

  // Waits until no order of `team_id` is pending or leased in work_items.
  bool OrdersSettled(const std::string& team_id) {
    return WaitFor(
        [&] {
          return Sql(absl::StrCat(
                     "SELECT COUNT(*) FROM work_items WHERE team_id = ", Quoted(team_id),
                     " AND kind = 'certn.order' AND state = 'pending'")) == 0;
        },
        absl::Seconds(30));
  }

  std::string SendBody(const World& w) {
    return absl::StrCat(R"({"activity_id":)", JsonQuote(w.activity), "}");
  }

  std::optional<pgtest::ScratchDatabase> db_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(ReplicasTest, EndToEndThroughTheLoadBalancer) {
  auto w = cluster().NewWorld("e2e");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(cluster().Lb("GET", "/readyz").String("/store"), "postgres");

  HttpResponse kinds = cluster().Lb("GET", "/api/v1/activity-kinds", "", w->team.admin_token);
  ASSERT_EQ(kinds.status, 200) << Describe(kinds);
  EXPECT_NE(kinds.body.find("certn_background_check"), std::string::npos) << kinds.body;

  auto candidate = cluster().CreateCandidate(*w, "ada@example.com");
  ASSERT_TRUE(candidate.ok()) << candidate.status();
  auto application = cluster().CreateApplication(*w, *candidate);
  ASSERT_TRUE(application.ok()) << application.status();

  HttpResponse sent = cluster().Lb(
      "POST", "/api/v1/applications/" + *application + "/background-checks", SendBody(*w),
      w->team.recruiter_token, {{"Idempotency-Key", "e2e-" + RandomHex(8)}});
  ASSERT_EQ(sent.status, 202) << Describe(sent);
  const std::string check = sent.String("/id").value_or("");
  auto case_id = cluster().WaitOrdered(*w, check);
  ASSERT_TRUE(case_id.ok()) << case_id.status();

  // Certn's side: the case completes and Certn calls the load balancer back.
  auto advanced = cluster().fake().AdvanceCase(*case_id, "COMPLETE");
  ASSERT_TRUE(advanced.ok()) << advanced.status();

  const std::string tab_path = "/api/v1/applications/" + *application;
  const std::string c = "/stages/1/activities/0/background_check";
  HttpResponse tab;
  bool complete = WaitFor(
      [&] {
        tab = cluster().Lb("GET", tab_path, "", w->team.recruiter_token);
        return tab.String(c + "/status") == "complete" &&
               tab.String(c + "/results_url").has_value();
      },
      absl::Seconds(30));
  ASSERT_TRUE(complete) << "the application never showed the check complete: " << Describe(tab);
  EXPECT_EQ(tab.String(c + "/id"), check);
  EXPECT_EQ(tab.String(c + "/certn_case_id"), *case_id);
  EXPECT_FALSE(tab.String(c + "/results_url").value_or("").empty());
  EXPECT_EQ(tab.String(c + "/labels/gem").value_or("").rfind("Complete", 0), 0u) << tab.body;

  // The report is downloaded and saved to the candidate's files.
  HttpResponse files;
  bool saved = WaitFor(
      [&] {
        files = cluster().Lb("GET", "/api/v1/candidates/" + *candidate + "/files", "",
                             w->team.recruiter_token);
        return files.Size("/items").value_or(0) == 1;
      },
      absl::Seconds(30));
  ASSERT_TRUE(saved) << Describe(files);
  EXPECT_EQ(files.String("/items/0/name").value_or("").rfind("Certn_Report_", 0), 0u) << files.body;

  // Every webhook the fake Certn delivered through nginx was acknowledged, and
  // each is one row. The fake logs a delivery when its answer arrives, which
  // is after our commit: wait until both sides have seen the same deliveries.
  std::map<std::string, int> last_status;
  int64_t rows = -1;
  bool settled = WaitFor(
      [&] {
        auto deliveries = cluster().fake().Deliveries();
        if (!deliveries.ok()) return false;
        last_status.clear();
        for (const auto& d : *deliveries) {
          if (d.object_id == *case_id) last_status[d.delivery_id] = d.status;
        }
        rows = Sql(absl::StrCat("SELECT COUNT(*) FROM webhook_deliveries WHERE team_id = ",
                                Quoted(w->team.team_id), " AND object_id = ", Quoted(*case_id)));
        return rows == static_cast<int64_t>(last_status.size());
      },
      absl::Seconds(30));
  EXPECT_TRUE(settled) << rows << " rows for " << last_status.size() << " deliveries";
  EXPECT_GE(last_status.size(), 2u);
  for (const auto& [id, status] : last_status) EXPECT_EQ(status, 200) << "delivery " << id;
  // nginx spread the traffic over both replicas.
  EXPECT_EQ(cluster().nginx().UpstreamsUsed(), 2u) << cluster().nginx().AccessLog();
  EXPECT_EQ(Orders(w->certn.certn_team_id).size(), 1u);
}

// Authentication reads the store on every request (no cache): a token
// revoked, or a user deactivated, through one replica is refused by the
// other on its very next request.
TEST_F(ReplicasTest, ARevocationOnOneReplicaIsSeenByTheOtherAtOnce) {
  absl::StatusOr<World> w = cluster().NewWorld("revocation");
  ASSERT_TRUE(w.ok()) << w.status();
  ServiceProcess& one = cluster().replica(0);
  ServiceProcess& two = cluster().replica(1);
  const std::string admin = w->team.admin_token;
  HttpResponse user =
      one.Post("/api/v1/users",
               R"({"name":"Dana Lee","email":"dana@example.com","role":"recruiter"})", admin);
  ASSERT_EQ(user.status, 201) << user.body;
  const std::string tokens = "/api/v1/users/" + user.String("/id").value_or("") + "/tokens";
  HttpResponse first = one.Post(tokens, R"({"name":"laptop"})", admin);
  HttpResponse second = one.Post(tokens, R"({"name":"phone"})", admin);
  ASSERT_EQ(first.status, 201) << first.body;
  ASSERT_EQ(second.status, 201) << second.body;
  const std::string laptop = first.String("/token").value_or("");
  const std::string phone = second.String("/token").value_or("");
  // Both replicas accept it (and would have cached it, were there a cache).
  ASSERT_EQ(two.Get("/api/v1/me", laptop).status, 200);
  ASSERT_EQ(one.Get("/api/v1/me", laptop).status, 200);
  ASSERT_EQ(one.Delete(tokens + "/" + first.String("/id").value_or(""), admin).status, 204);
  EXPECT_EQ(two.Get("/api/v1/me", laptop).status, 401);
  EXPECT_EQ(one.Get("/api/v1/me", laptop).status, 401);
  ASSERT_EQ(two.Get("/api/v1/me", phone).status, 200);
  ASSERT_EQ(two.Post("/api/v1/users/" + user.String("/id").value_or("") + "/deactivate", "", admin)
                .status,
            200);
  EXPECT_EQ(one.Get("/api/v1/me", phone).status, 401);
  EXPECT_EQ(two.Get("/api/v1/me", phone).status, 401);
}

TEST_F(ReplicasTest, SameSignedDeliveriesToBothReplicasAreAppliedOnce) {
  auto w = cluster().NewWorld("deliveries");
  ASSERT_TRUE(w.ok()) << w.status();
  auto candidate = cluster().CreateCandidate(*w, "grace@example.com");
  ASSERT_TRUE(candidate.ok()) << candidate.status();
  auto application = cluster().CreateApplication(*w, *candidate);
  ASSERT_TRUE(application.ok()) << application.status();
  HttpResponse sent =
      cluster().Lb("POST", "/api/v1/applications/" + *application + "/background-checks",
                   SendBody(*w), w->team.recruiter_token);
  ASSERT_EQ(sent.status, 202) << Describe(sent);
  auto case_id = cluster().WaitOrdered(*w, sent.String("/id").value_or(""));
  ASSERT_TRUE(case_id.ok()) << case_id.status();

  // 40 deliveries; each one posted to both replicas at the same instant.
  constexpr int kDeliveries = 40;
  const std::string prefix = "dup-" + RandomHex(6) + "-";
  std::map<std::string, std::multiset<std::string>> verdicts;
  for (int i = 0; i < kDeliveries; ++i) {
    const std::string id = absl::StrCat(prefix, i);
    const std::string body =
        DeliveryBody(id, *case_id, i % 2 ? "CHECK_STATUS_CHANGED" : "CASE_STATUS_CHANGED");
    const Headers headers =
        SignedDeliveryHeaders(w->certn.webhook_secret, w->certn.certn_team_id, body);
    std::vector<HttpResponse> answers = InParallel(2, [&](int r) {
      return cluster()
          .replica(static_cast<size_t>(r))
          .Post("/certn/certnWebhookHandler", body, "", headers);
    });
    for (const HttpResponse& a : answers) {
      ASSERT_EQ(a.status, 200) << id << ": " << Describe(a);
      verdicts[id].insert(a.String("/verdict").value_or("?"));
    }
  }
  // Exactly one replica applied each delivery; the other saw a duplicate.
  for (const auto& [id, v] : verdicts) {
    EXPECT_EQ(v, (std::multiset<std::string>{"applied", "duplicate"})) << id;
  }
  // The database holds each delivery once.
  const std::string like = absl::StrCat("delivery_id LIKE ", Quoted(prefix + "%"));
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM webhook_deliveries WHERE " + like), kDeliveries);
  EXPECT_EQ(Sql("SELECT COUNT(DISTINCT delivery_id) FROM webhook_deliveries WHERE " + like),
            kDeliveries);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM webhook_deliveries WHERE verdict <> 'applied' AND " + like),
            0);
  // ... and so does the operator's view (`stagecheck deliveries list`).
  auto listed = cluster().replica(0).RunCli(
      {"deliveries", "list", "--db", db(), "--team", w->team.team_id, "--limit", "1000"});
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::map<std::string, int> seen;
  for (absl::string_view line : absl::StrSplit(*listed, '\n', absl::SkipEmpty())) {
    HttpResponse row{.status = 200, .headers = {}, .body = std::string(line)};
    std::string id = row.String("/delivery_id").value_or("");
    if (id.rfind(prefix, 0) == 0) ++seen[id];
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kDeliveries));
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
}

TEST_F(ReplicasTest, SameIdempotencyKeyOnBothReplicasMakesOneCertnOrder) {
  auto w = cluster().NewWorld("idempotency");
  ASSERT_TRUE(w.ok()) << w.status();
  auto candidate = cluster().CreateCandidate(*w, "katherine@example.com");
  ASSERT_TRUE(candidate.ok()) << candidate.status();
  auto application = cluster().CreateApplication(*w, *candidate);
  ASSERT_TRUE(application.ok()) << application.status();

  const std::string path = "/api/v1/applications/" + *application + "/background-checks";
  const Headers key = {{"Idempotency-Key", "send-" + RandomHex(8)}};
  // 16 sends at once, alternating between the two replicas.
  std::vector<HttpResponse> answers = InParallel(16, [&](int i) {
    return cluster()
        .replica(static_cast<size_t>(i % 2))
        .Post(path, SendBody(*w), w->team.recruiter_token, key);
  });
  std::string check;
  int created = 0, replayed = 0, conflicts = 0;
  for (const HttpResponse& r : answers) {
    if (r.status == 202) {
      if (check.empty()) check = r.String("/id").value_or("");
      EXPECT_EQ(r.String("/id"), check) << "every 202 names the same check";
      (r.Header("idempotent-replayed") == "true" ? replayed : created)++;
    } else {
      EXPECT_EQ(r.status, 409) << Describe(r);
      EXPECT_EQ(r.code(), "check_already_active") << Describe(r);
      ++conflicts;
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(created + replayed + conflicts, 16);
  ASSERT_FALSE(check.empty());
  ASSERT_TRUE(cluster().WaitOrdered(*w, check).ok());
  ASSERT_TRUE(OrdersSettled(w->team.team_id));

  std::vector<fake_certn::LoggedRequest> orders = Orders(w->certn.certn_team_id);
  ASSERT_EQ(orders.size(), 1u) << "Certn must see exactly one order";
  EXPECT_FALSE(orders.front().idempotency_key.empty());
  EXPECT_EQ(Sql(absl::StrCat("SELECT COUNT(*) FROM background_checks WHERE team_id = ",
                             Quoted(w->team.team_id))),
            1);
  EXPECT_EQ(Sql(absl::StrCat(
                "SELECT COUNT(*) FROM idempotency_keys WHERE team_id = ", Quoted(w->team.team_id),
                " AND idem_key = ", Quoted(key.front().second))),
            1);
  // A late retry on either replica replays the same check.
  for (size_t r = 0; r < 2; ++r) {
    HttpResponse late = cluster().replica(r).Post(path, SendBody(*w), w->team.recruiter_token, key);
    EXPECT_EQ(late.status, 202) << Describe(late);
    EXPECT_EQ(late.String("/id"), check);
    EXPECT_EQ(late.Header("idempotent-replayed"), "true");
  }
  EXPECT_EQ(Orders(w->certn.certn_team_id).size(), 1u);
}

TEST_F(ReplicasTest, DurableJobsRunOnceAcrossReplicas) {
  auto w = cluster().NewWorld("jobs");
  ASSERT_TRUE(w.ok()) << w.status();
  constexpr int kChecks = 24;
  std::vector<std::string> applications;
  for (int i = 0; i < kChecks; ++i) {
    auto candidate = cluster().CreateCandidate(*w, absl::StrCat("candidate", i, "@example.com"));
    ASSERT_TRUE(candidate.ok()) << candidate.status();
    auto application = cluster().CreateApplication(*w, *candidate);
    ASSERT_TRUE(application.ok()) << application.status();
    applications.push_back(*application);
  }
  // Every send lands on one replica; both replicas' job workers race for
  // the queued orders.
  std::vector<HttpResponse> sent = InParallel(kChecks, [&](int i) {
    return cluster()
        .replica(static_cast<size_t>(i % 2))
        .Post("/api/v1/applications/" + applications[static_cast<size_t>(i)] + "/background-checks",
              SendBody(*w), w->team.recruiter_token);
  });
  std::set<std::string> checks;
  for (const HttpResponse& r : sent) {
    ASSERT_EQ(r.status, 202) << Describe(r);
    checks.insert(r.String("/id").value_or(""));
  }
  ASSERT_EQ(checks.size(), static_cast<size_t>(kChecks));
  const std::string team = Quoted(w->team.team_id);
  bool all_ordered = WaitFor(
      [&] {
        return Sql("SELECT COUNT(*) FROM background_checks WHERE certn_case_id IS NOT NULL AND "
                   "team_id = " +
                   team) == kChecks;
      },
      absl::Seconds(60));
  ASSERT_TRUE(all_ordered) << "not every check was ordered";
  ASSERT_TRUE(OrdersSettled(w->team.team_id));

  // Certn saw each order exactly once: N requests, N distinct keys.
  std::vector<fake_certn::LoggedRequest> orders = Orders(w->certn.certn_team_id);
  std::set<std::string> keys;
  for (const auto& o : orders) keys.insert(o.idempotency_key);
  EXPECT_EQ(orders.size(), static_cast<size_t>(kChecks));
  EXPECT_EQ(keys.size(), static_cast<size_t>(kChecks));
  // Each order job was claimed once (attempts counts claims) and is done.
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM work_items WHERE kind = 'certn.order' AND state = 'done' AND "
                "attempts = 1 "
                "AND team_id = " +
                team),
            kChecks);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM work_items WHERE kind = 'certn.order' AND team_id = " + team),
            kChecks);
  EXPECT_EQ(
      Sql("SELECT COUNT(DISTINCT certn_case_id) FROM background_checks WHERE team_id = " + team),
      kChecks);
  // Which replica ran which job is up to the race; report it.
  for (size_t r = 0; r < cluster().replica_count(); ++r) {
    std::string log = cluster().replica(r).ReadLog();
    size_t ran = 0;
    for (size_t at = log.find("certn.order"); at != std::string::npos;
         at = log.find("certn.order", at + 1))
      ++ran;
    std::cout << "replica " << r << " log mentions certn.order " << ran << " times\n";
  }
}

}  // namespace
}  // namespace stagecheck::replicas_test
