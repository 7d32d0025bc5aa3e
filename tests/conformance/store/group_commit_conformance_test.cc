// The group committer with several lanes (core/services/group_commit.h) on
// every Store back-end: on PostgreSQL its lanes commit at once on their own
// connections (serve --db-committers), on SQLite they take turns at the one
// writer. Whatever the interleaving, what the code relies on holds: a
// delivery is stored once however many copies race, a case has one pending
// fetch, a check's event sequence numbers stay 1, 2, 3 ..., and every piece
// is answered with its own outcome. Built into each back-end's conformance
// binary (backend_under_test.h).
#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/crypto/openssl_crypto.h"
#include "core/ports/clock.h"
#include "core/ports/outbound_store.h"
#include "core/ports/telemetry.h"
#include "core/services/bundled_commit.h"
#include "core/services/check_events.h"
#include "core/services/group_commit.h"
#include "core/status_macros.h"
#include "gtest/gtest.h"
#include "tests/conformance/store/backend_under_test.h"
#include "tests/support/store/lane_gate.h"
#include "tests/support/store/test_store.h"

namespace stagecheck {
namespace {

const absl::Time kAt = absl::FromUnixSeconds(1'700'000'000);
constexpr int kLanes = 4;
constexpr int kSubmitters = 8;

#define LANES_ASSERT_OK(expr)                      \
  do {                                             \
    const absl::Status _st = (expr);               \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st; \
  } while (0)

// Submits `pieces` from kSubmitters threads at once and returns each one's
// answer (in the order of `pieces`). `key` (when set) picks a piece's lane.
std::vector<absl::Status> SubmitConcurrently(
    GroupCommitter& committer, const std::vector<GroupCommitter::Work>& pieces,
    const std::function<std::optional<std::string>(size_t)>& key = nullptr) {
  std::vector<std::promise<absl::Status>> answers(pieces.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < kSubmitters; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < pieces.size(); i += kSubmitters) {
        auto done = [&answers, i](absl::Status s) { answers[i].set_value(std::move(s)); };
        std::optional<std::string> k = key ? key(i) : std::nullopt;
        if (k) {
          committer.Submit(*k, pieces[i], done);
        } else {
          committer.Submit(pieces[i], done);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<absl::Status> out;
  for (auto& a : answers) out.push_back(a.get_future().get());
  return out;
}

WebhookDelivery Delivery(const std::string& id, const std::string& case_id) {
  WebhookDelivery d;
  d.team = TeamId("t1");
  d.delivery_id = id;
  d.received_at = kAt;
  d.scheme = "certn-signature";
  d.event_type = "CASE_STATUS_CHANGED";
  d.object_type = "CASE";
  d.object_id = case_id;
  d.body = "{\"id\":\"" + id + "\"}";
  d.verdict = DeliveryVerdict::kOrphan;
  return d;
}

class GroupCommitLanes : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.pool_size = kLanes + 2;
    absl::StatusOr<storetest::FreshStore> fresh =
        storetest::OpenFreshStore(storetest::BackendUnderTest(), options);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    db_ = std::move(fresh->db);
    store_ = std::move(fresh->store);
    LANES_ASSERT_OK(store_->Transact([](UnitOfWork& u) {
      return u.InsertTeam(Team{TeamId("t1"), "Team t1", std::nullopt, kAt});
    }));
    committer_ = std::make_unique<GroupCommitter>(*store_, 256, kLanes);
  }
  void TearDown() override { committer_.reset(); }

  std::unique_ptr<storetest::TestDatabase> db_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<GroupCommitter> committer_;
};

// Every observation, by metric name.
class RecordingMetrics final : public Metrics {
 public:
  void Increment(std::string_view, std::string_view, double) override {}
  void Set(std::string_view, std::string_view, double) override {}
  void Observe(std::string_view name, std::string_view, double value) override {
    std::lock_guard<std::mutex> lock(mu_);
    observed_[std::string(name)].push_back(value);
  }
  std::vector<double> Of(std::string_view name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = observed_.find(std::string(name));
    return it == observed_.end() ? std::vector<double>{} : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<double>> observed_;
};

// Each batch is observed once in each histogram: its pieces add up to every
// piece submitted, and its times are never negative.
TEST_F(GroupCommitLanes, EachBatchIsObservedOnceWithItsPiecesAndTimes) {
  RecordingMetrics metrics;
  committer_ = std::make_unique<GroupCommitter>(*store_, 256, kLanes, &metrics);
  std::vector<GroupCommitter::Work> pieces;
  for (int i = 0; i < 40; ++i) {
    pieces.push_back([i](UnitOfWork& u) {
      return u.InsertDelivery(Delivery(absl::StrCat("m-", i), absl::StrCat("case-", i % 5)));
    });
  }
  for (const absl::Status& s : SubmitConcurrently(*committer_, pieces)) LANES_ASSERT_OK(s);
  committer_.reset();  // every batch answered and observed
  const std::vector<double> sizes = metrics.Of(GroupCommitter::kBatchPiecesMetric);
  ASSERT_FALSE(sizes.empty());
  double total = 0;
  for (double size : sizes) {
    EXPECT_GE(size, 1);
    total += size;
  }
  EXPECT_EQ(total, 40);
  const std::vector<double> commits = metrics.Of(GroupCommitter::kBatchSecondsMetric);
  const std::vector<double> waits = metrics.Of(GroupCommitter::kDurableWaitMetric);
  EXPECT_EQ(commits.size(), sizes.size());
  EXPECT_EQ(waits.size(), sizes.size());
  for (double seconds : commits) EXPECT_GE(seconds, 0);
  for (double seconds : waits) EXPECT_GE(seconds, 0);
}

TEST_F(GroupCommitLanes, EveryCopyOfADeliveryIsAnsweredAndOneIsStored) {
  ASSERT_EQ(committer_->lanes(), kLanes);
  // 60 deliveries, 3 copies each, spread over every lane (no key): the
  // copies race in concurrent transactions, as a retried delivery does
  // across replicas.
  constexpr int kDeliveries = 60;
  constexpr int kCopies = 3;
  std::atomic<int> stored{0};
  std::atomic<int> duplicates{0};
  std::vector<GroupCommitter::Work> pieces;
  for (int copy = 0; copy < kCopies; ++copy) {
    for (int i = 0; i < kDeliveries; ++i) {
      pieces.push_back([&, i](UnitOfWork& u) -> absl::Status {
        absl::Status s = u.InsertDelivery(Delivery(absl::StrCat("d", i), absl::StrCat("c", i % 7)));
        if (absl::IsAlreadyExists(s)) {
          ++duplicates;  // the verdict "duplicate": an OK piece
          return absl::OkStatus();
        }
        if (s.ok()) ++stored;
        return s;
      });
    }
  }
  for (const absl::Status& s : SubmitConcurrently(*committer_, pieces)) EXPECT_TRUE(s.ok()) << s;
  // A piece may run more than once (a batch rerun) but commits once: the
  // rows say what committed.
  LANES_ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    for (int i = 0; i < kDeliveries; ++i) {
      absl::StatusOr<WebhookDelivery> d = u.GetDelivery(TeamId("t1"), absl::StrCat("d", i));
      EXPECT_TRUE(d.ok()) << i << ": " << d.status();
    }
    return absl::OkStatus();
  }));
  EXPECT_GE(stored.load(), kDeliveries);
  EXPECT_GE(duplicates.load(), kDeliveries * (kCopies - 1));
}

TEST_F(GroupCommitLanes, ACaseHasOnePendingFetchHoweverManyLanesQueueIt) {
  constexpr int kTries = 40;
  std::vector<std::atomic<int>> queued(kTries);
  std::vector<GroupCommitter::Work> pieces;
  for (int i = 0; i < kTries; ++i) {
    pieces.push_back([&, i](UnitOfWork& u) -> absl::Status {
      WorkItem w;
      w.team = TeamId("t1");
      w.id = WorkItemId(absl::StrCat("w", i));
      w.kind = "certn.fetch_case";
      w.subject = "k1";
      w.dedupe_key = "certn.fetch_case:k1";
      w.run_at = kAt;
      ASSIGN_OR_RETURN(UnitOfWork::Enqueued enqueued,
                       u.EnqueueWorkUnlessPending(w, UnitOfWork::TwinCheck::kLookFirst));
      const bool inserted = enqueued.queued;
      queued[i] = inserted ? 1 : 0;  // a rerun overwrites its own earlier run
      return absl::OkStatus();
    });
  }
  for (const absl::Status& s : SubmitConcurrently(*committer_, pieces)) EXPECT_TRUE(s.ok()) << s;
  int inserted = 0;
  for (auto& q : queued) inserted += q.load();
  EXPECT_EQ(inserted, 1);
  absl::StatusOr<std::vector<WorkItem>> due = absl::UnknownError("not run");
  LANES_ASSERT_OK(store_->Transact([&](UnitOfWork& u) {
    due = u.ClaimWork(kAt + absl::Hours(1), "test", kAt + absl::Hours(2), 100);
    return due.status();
  }));
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().subject, "k1");
}

// What check_events.cc relies on: a change of a check (read for update,
// then UpdateCheckWithEvents) numbers its events after the last one, also
// when changes of the same check commit in several lanes at once.
TEST_F(GroupCommitLanes, ACheckEventSequenceStaysContiguousAcrossLanes) {
  SystemClock clock;
  crypto::UuidGenerator ids;
  crypto::OpenSslCrypto crypto;
  NullLogger log;
  NullMetrics metrics;
  ActivityKindRegistry kinds;
  Deps deps{*store_, clock, ids, crypto, log, metrics, kinds};
  LANES_ASSERT_OK(store_->Transact([&](UnitOfWork& u) -> absl::Status {
    Candidate c;  // what a check needs of its candidate: the row
    c.team = TeamId("t1");
    c.id = CandidateId("cand");
    c.created_at = c.updated_at = kAt;
    RETURN_IF_ERROR(u.InsertCandidate(c));
    BackgroundCheck k;
    k.team = TeamId("t1");
    k.id = CheckId("k1");
    k.candidate = c.id;
    k.activity = ActivityId("act-1");
    k.package_id = "pkg-1";
    k.package_name = "Basic";
    k.requested_by = UserId("user-1");
    k.status = CheckStatus::kInvited;
    k.created_at = k.updated_at = kAt;
    RETURN_IF_ERROR(u.InsertCheck(k));
    WebhookEndpoint e;
    e.team = TeamId("t1");
    e.id = WebhookEndpointId("ep1");
    e.url = "https://ats.example.com/hooks";
    e.event_types = {OutboundEventType::kCheckStatusChanged};
    e.secret_encrypted = "sealed";
    e.created_at = e.updated_at = kAt;
    return OutboundRows(u).InsertEndpoint(e);
  }));
  constexpr int kChanges = 24;
  std::vector<GroupCommitter::Work> pieces(kChanges, [&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(BackgroundCheck k, u.GetCheckForUpdate(TeamId("t1"), CheckId("k1")));
    k.status = k.status == CheckStatus::kInvited ? CheckStatus::kInProgress : CheckStatus::kInvited;
    return UpdateCheckWithEvents(u, deps, k);
  });
  for (const absl::Status& s : SubmitConcurrently(*committer_, pieces)) EXPECT_TRUE(s.ok()) << s;
  // Every change committed one event (unique per check and sequence), and
  // the last is numbered kChanges: the numbers are exactly 1..kChanges.
  absl::StatusOr<int64_t> last = absl::UnknownError("not run");
  LANES_ASSERT_OK(store_->Read([&](UnitOfWork& u) {
    last = OutboundRows(u).LastEventSequence(TeamId("t1"), "k1");
    return last.status();
  }));
  EXPECT_EQ(*last, kChanges);
}

TEST_F(GroupCommitLanes, PiecesWithOneKeyCommitInTheOrderSubmitted) {
  // One submitter per key, many keys at once: each key's pieces append to
  // its own list in the order they were submitted.
  constexpr int kKeys = 6;
  constexpr int kPerKey = 30;
  std::mutex mu;
  std::map<int, std::vector<int>> seen;
  std::vector<std::future<absl::Status>> answers;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::promise<absl::Status>>> promises(kKeys);
  for (auto& p : promises) p.resize(kPerKey);
  for (int key = 0; key < kKeys; ++key) {
    threads.emplace_back([&, key] {
      for (int n = 0; n < kPerKey; ++n) {
        committer_->Submit(
            absl::StrCat("case-", key),
            [&, key, n](UnitOfWork& u) -> absl::Status {
              RETURN_IF_ERROR(u.InsertDelivery(
                  Delivery(absl::StrCat("k", key, "-", n), absl::StrCat("case-", key))));
              std::lock_guard<std::mutex> lock(mu);
              seen[key].push_back(n);
              return absl::OkStatus();
            },
            [&promises, key, n](absl::Status s) { promises[key][n].set_value(s); });
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (auto& per_key : promises) {
    for (auto& p : per_key) EXPECT_TRUE(p.get_future().get().ok());
  }
  for (int key = 0; key < kKeys; ++key) {
    std::vector<int> order = seen[key];
    // A batch rerun repeats a run of pieces; what remains in order is the
    // sequence of first appearances after each rerun, which must be sorted.
    ASSERT_FALSE(order.empty());
    std::vector<int> firsts;
    std::set<int> had;
    for (int n : order) {
      if (had.insert(n).second) firsts.push_back(n);
    }
    EXPECT_EQ(firsts.size(), static_cast<size_t>(kPerKey)) << key;
    EXPECT_TRUE(std::is_sorted(firsts.begin(), firsts.end())) << key;
  }
}

// Bundles (bundled_commit.h): an item waiting in a bundle, with the answer
// it gets.
struct BundledItem {
  WebhookDelivery delivery;
  std::promise<absl::Status>* answered;
};

using storetest::LaneGate;

TEST_F(GroupCommitLanes, ItemsQueuedBehindABusyLaneAreWrittenAsOneBundle) {
  std::mutex mu;
  std::vector<std::vector<std::string>> written;  // each run of the write: its deliveries
  BundledCommitter<BundledItem> bundles(
      *committer_,
      [&](UnitOfWork& u, std::vector<BundledItem>& items) -> absl::Status {
        std::vector<const WebhookDelivery*> rows;
        std::vector<std::string> ids;
        for (const BundledItem& item : items) {
          rows.push_back(&item.delivery);
          ids.push_back(item.delivery.delivery_id);
        }
        RETURN_IF_ERROR(u.InsertDeliveries(rows).status());
        std::lock_guard<std::mutex> lock(mu);
        written.push_back(ids);
        return absl::OkStatus();
      },
      [](std::vector<BundledItem>& items, absl::Status s) {
        for (BundledItem& item : items) item.answered->set_value(s);
      });
  constexpr int kQueued = 5;
  std::vector<std::promise<absl::Status>> answers(kQueued + 1);
  LaneGate gate(*committer_, "case-b");
  for (int i = 0; i < kQueued; ++i) {
    bundles.Submit("case-b", BundledItem{Delivery(absl::StrCat("q", i), "case-b"), &answers[i]});
  }
  LANES_ASSERT_OK(gate.Release());
  for (int i = 0; i < kQueued; ++i) EXPECT_TRUE(answers[i].get_future().get().ok()) << i;
  // Once the bundle's piece started, the next item opens a bundle of its own.
  bundles.Submit("case-b", BundledItem{Delivery("after", "case-b"), &answers[kQueued]});
  EXPECT_TRUE(answers[kQueued].get_future().get().ok());
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_GE(written.size(), 2u);
  // A batch may run a piece again; every run holds the same items in order.
  for (size_t i = 0; i + 1 < written.size(); ++i) {
    EXPECT_EQ(written[i], (std::vector<std::string>{"q0", "q1", "q2", "q3", "q4"}));
  }
  EXPECT_EQ(written.back(), std::vector<std::string>{"after"});
  LANES_ASSERT_OK(store_->Read([](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<WebhookDelivery> all, u.ListDeliveries(std::nullopt, 100));
    EXPECT_EQ(all.size(), static_cast<size_t>(kQueued + 1));
    return absl::OkStatus();
  }));
}

TEST_F(GroupCommitLanes, EveryItemOfABundleWhoseWriteFailsGetsTheErrorAndNothingIsStored) {
  BundledCommitter<BundledItem> bundles(
      *committer_,
      [](UnitOfWork& u, std::vector<BundledItem>& items) -> absl::Status {
        std::vector<const WebhookDelivery*> rows;
        for (const BundledItem& item : items) rows.push_back(&item.delivery);
        RETURN_IF_ERROR(u.InsertDeliveries(rows).status());
        return absl::UnavailableError("the bundle's write failed after its INSERT");
      },
      [](std::vector<BundledItem>& items, absl::Status s) {
        for (BundledItem& item : items) item.answered->set_value(s);
      });
  std::vector<std::promise<absl::Status>> answers(3);
  LaneGate gate(*committer_, "case-f");
  for (int i = 0; i < 3; ++i) {
    bundles.Submit("case-f", BundledItem{Delivery(absl::StrCat("f", i), "case-f"), &answers[i]});
  }
  LANES_ASSERT_OK(gate.Release());
  for (auto& answer : answers) {
    EXPECT_EQ(answer.get_future().get().code(), absl::StatusCode::kUnavailable);
  }
  LANES_ASSERT_OK(store_->Read([](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<WebhookDelivery> all, u.ListDeliveries(std::nullopt, 100));
    EXPECT_TRUE(all.empty());
    return absl::OkStatus();
  }));
}

}  // namespace
}  // namespace stagecheck
