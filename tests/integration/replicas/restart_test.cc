// PostgreSQL goes away under two replicas while signed deliveries stream in:
// requests during the outage get 503 (so Certn retries), the replicas recover
// by themselves, and every delivery acknowledged with a 2xx is in the
// database afterwards, once. Runs on a private server so that stopping it
// disturbs no other test.
#include <array>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/replicas/cluster.h"
#include "tests/support/pg/pg_test_support.h"

namespace stagecheck::replicas_test {
namespace {

using testing::RandomHex;
using testing::WaitFor;

struct Attempt {
  std::string id;
  size_t replica = 0;
  int status = 0;
  std::string verdict;
  absl::Time started;
  absl::Time ended;
};

// Sends signed deliveries with fresh ids to every replica (one thread each)
// until stopped; bounded by a count and a deadline.
class DeliveryStream {
 public:
  DeliveryStream(Cluster& cluster, const World& world, std::string case_id)
      : cluster_(cluster),
        world_(world),
        case_id_(std::move(case_id)),
        prefix_("stream-" + RandomHex(6) + "-") {
    for (size_t r = 0; r < cluster_.replica_count(); ++r)
      threads_.emplace_back([this, r] { Run(r); });
  }
  ~DeliveryStream() { Stop(); }

  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  // Answers with `status` from `replica` so far.
  int Count(size_t replica, int status) const {
    return counts_[replica][status == 200 ? 0 : status == 503 ? 1 : 2];
  }
  std::vector<Attempt> Attempts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }
  const std::string& prefix() const { return prefix_; }

 private:
  void Run(size_t replica) {
    const absl::Time deadline = absl::Now() + absl::Seconds(150);
    for (int i = 0; i < 200000 && !stop_ && absl::Now() < deadline; ++i) {
      Attempt a;
      a.id = absl::StrCat(prefix_, replica, "-", i);
      a.replica = replica;
      const std::string body = DeliveryBody(a.id, case_id_);
      const Headers headers =
          SignedDeliveryHeaders(world_.certn.webhook_secret, world_.certn.certn_team_id, body);
      a.started = absl::Now();
      HttpResponse r =
          cluster_.replica(replica).Post("/certn/certnWebhookHandler", body, "", headers);
      a.ended = absl::Now();
      a.status = r.status;
      a.verdict = r.status == 200 ? r.String("/verdict").value_or("") : r.code();
      counts_[replica][a.status == 200 ? 0 : a.status == 503 ? 1 : 2].fetch_add(1);
      std::lock_guard<std::mutex> lock(mu_);
      attempts_.push_back(std::move(a));
    }
  }

  Cluster& cluster_;
  const World& world_;
  const std::string case_id_;
  const std::string prefix_;
  std::atomic<bool> stop_{false};
  std::array<std::array<std::atomic<int>, 3>, 8> counts_{};
  mutable std::mutex mu_;
  std::vector<Attempt> attempts_;
  std::vector<std::thread> threads_;
};

TEST(ReplicasRestartTest, PostgresOutageAndRestartDuringADeliveryStreamLosesNothingAcknowledged) {
  auto server = pgtest::PrivateServer::Start();
  ASSERT_TRUE(server.ok()) << "a private PostgreSQL must start: " << server.status();
  const std::string db = (*server)->url();
  auto started = Cluster::Start(ClusterOptions{.db_url = db, .replicas = 2, .replica_args = {}});
  ASSERT_TRUE(started.ok()) << started.status();
  Cluster& cluster = **started;
  auto w = cluster.NewWorld("restart");
  ASSERT_TRUE(w.ok()) << w.status();
  auto candidate = cluster.CreateCandidate(*w, "ada@example.com");
  ASSERT_TRUE(candidate.ok()) << candidate.status();
  auto application = cluster.CreateApplication(*w, *candidate);
  ASSERT_TRUE(application.ok()) << application.status();
  HttpResponse sent =
      cluster.Lb("POST", "/api/v1/applications/" + *application + "/background-checks",
                 absl::StrCat(R"({"activity_id":)", testing::JsonQuote(w->activity), "}"),
                 w->team.recruiter_token);
  ASSERT_EQ(sent.status, 202) << Describe(sent);
  auto case_id = cluster.WaitOrdered(*w, sent.String("/id").value_or(""));
  ASSERT_TRUE(case_id.ok()) << case_id.status();

  const size_t replicas = cluster.replica_count();
  DeliveryStream stream(cluster, *w, *case_id);
  // Waits until every replica answered `more` further times with `status`.
  auto each_replica_answers = [&](int status, int more, absl::Duration timeout) {
    std::vector<int> base;
    for (size_t r = 0; r < replicas; ++r) base.push_back(stream.Count(r, status));
    return WaitFor(
        [&] {
          for (size_t r = 0; r < replicas; ++r) {
            if (stream.Count(r, status) < base[r] + more) return false;
          }
          return true;
        },
        timeout);
  };

  ASSERT_TRUE(each_replica_answers(200, 20, absl::Seconds(30)))
      << "the stream never got going" << cluster.Diagnostics();
  // 1. An outage: the server is down until Resume().
  ASSERT_TRUE((*server)->Halt().ok());
  const absl::Time halted = absl::Now();
  EXPECT_TRUE(each_replica_answers(503, 5, absl::Seconds(30))) << "no 503 during the outage";
  for (size_t r = 0; r < replicas; ++r) {
    HttpResponse ready = cluster.replica(r).Get("/readyz");
    EXPECT_EQ(ready.status, 503) << "replica " << r
                                 << " /readyz during the outage: " << Describe(ready);
  }
  const absl::Time resuming = absl::Now();
  ASSERT_TRUE((*server)->Resume().ok());
  // The replicas reconnect by themselves.
  EXPECT_TRUE(each_replica_answers(200, 20, absl::Seconds(30)))
      << "no recovery after the outage" << cluster.Diagnostics();
  // 2. A fast restart: every pooled connection breaks at once.
  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_TRUE(each_replica_answers(200, 20, absl::Seconds(30)))
      << "no recovery after the restart" << cluster.Diagnostics();
  stream.Stop();

  std::vector<Attempt> attempts = stream.Attempts();
  std::set<std::string> acknowledged;
  std::vector<const Attempt*> refused;
  for (const Attempt& a : attempts) {
    ASSERT_TRUE(a.status == 200 || a.status == 503)
        << a.id << " on replica " << a.replica << " answered " << a.status << " " << a.verdict;
    if (a.status == 200) {
      EXPECT_EQ(a.verdict, "applied") << a.id;
      acknowledged.insert(a.id);
      // Nothing can be committed while the server is down.
      EXPECT_FALSE(a.started > halted && a.ended < resuming)
          << a.id << " acknowledged during the outage";
    } else {
      EXPECT_EQ(a.verdict, "store_unavailable") << a.id;
      refused.push_back(&a);
    }
  }
  ASSERT_FALSE(refused.empty());

  // Every acknowledged delivery is in the database, once.
  const std::string like = absl::StrCat("delivery_id LIKE '", stream.prefix(), "%'");
  auto stored = QueryColumn(db, "SELECT delivery_id FROM webhook_deliveries WHERE " + like);
  ASSERT_TRUE(stored.ok()) << stored.status();
  std::multiset<std::string> rows(stored->begin(), stored->end());
  for (const std::string& id : acknowledged)
    EXPECT_EQ(rows.count(id), 1u) << id << " acknowledged but not stored once";
  for (const std::string& id : rows) EXPECT_EQ(rows.count(id), 1u) << id;

  // Certn retries what got a 503: each is then stored (or was already, when
  // the commit landed just before the connection broke), never twice.
  for (const Attempt* a : refused) {
    const std::string body = DeliveryBody(a->id, *case_id);
    HttpResponse retry =
        cluster.Lb("POST", "/certn/certnWebhookHandler", body, "",
                   SignedDeliveryHeaders(w->certn.webhook_secret, w->certn.certn_team_id, body));
    ASSERT_EQ(retry.status, 200) << a->id << ": " << Describe(retry);
    EXPECT_TRUE(retry.String("/verdict") == "applied" || retry.String("/verdict") == "duplicate")
        << retry.body;
  }
  auto total = QueryInt(db, "SELECT COUNT(*) FROM webhook_deliveries WHERE " + like);
  auto distinct =
      QueryInt(db, "SELECT COUNT(DISTINCT delivery_id) FROM webhook_deliveries WHERE " + like);
  ASSERT_TRUE(total.ok() && distinct.ok());
  EXPECT_EQ(*total, static_cast<int64_t>(acknowledged.size() + refused.size()));
  EXPECT_EQ(*distinct, *total);
  for (size_t r = 0; r < replicas; ++r) EXPECT_EQ(cluster.replica(r).Get("/readyz").status, 200);
  std::cout << "deliveries: " << acknowledged.size() << " acknowledged, " << refused.size()
            << " refused with 503 and retried\n";
}

}  // namespace
}  // namespace stagecheck::replicas_test
