// PostgreSQL behaviour with no SQLite counterpart: the server going away and
// coming back, deadlocks retried inside Transact and inside a group-commit
// batch, a concurrent insert of the same delay notice, and the look-up of
// pending twins probing the index once per key.
#include <future>
#include <latch>
#include <memory>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/store/open_store.h"
#include "adapters/store/postgres/postgres_store.h"
#include "adapters/store/sql/dialect.h"
#include "adapters/store/sql/unit_of_work.h"
#include "core/ports/notification_store.h"
#include "core/services/group_commit.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tests/support/pg/pg_test_support.h"
#include "tests/support/store/test_store.h"

namespace stagecheck {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

absl::Status InsertTeam(Store& store, const std::string& id) {
  return store.Transact([&](UnitOfWork& u) {
    return u.InsertTeam(Team{TeamId(id), "Team " + id, std::nullopt, kT0});
  });
}

class PostgresServerLoss : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<pgtest::PrivateServer>> server = pgtest::PrivateServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    StoreOptions options;
    options.pool_size = 3;
    options.connect_timeout = absl::Seconds(2);
    absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(server_->url(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  std::unique_ptr<pgtest::PrivateServer> server_;
  std::unique_ptr<Store> store_;
};

TEST_F(PostgresServerLoss, ARestartCostsNoRequest) {
  // Fill the pool with idle sessions that the restart will break.
  ASSERT_TRUE(InsertTeam(*store_, "before").ok());
  ASSERT_TRUE(store_->Ping().ok());
  ASSERT_TRUE(server_->Restart().ok());
  // The stale session fails at the transaction's first statement (which
  // carries its BEGIN), before any work ran, so it reconnects and runs the
  // two again, and the call succeeds.
  absl::Status s = InsertTeam(*store_, "after");
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_TRUE(store_->Ping().ok());
  EXPECT_TRUE(
      store_->Transact([](UnitOfWork& u) { return u.GetTeam(TeamId("before")).status(); }).ok());
}

TEST_F(PostgresServerLoss, ADownServerIsUnavailableThenRecovers) {
  ASSERT_TRUE(InsertTeam(*store_, "t1").ok());
  ASSERT_TRUE(server_->Halt().ok());
  absl::Status s = InsertTeam(*store_, "t2");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  absl::Status ping = store_->Ping();
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable) << ping;
  ASSERT_TRUE(server_->Resume().ok());
  s = InsertTeam(*store_, "t2");
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_TRUE(store_->Ping().ok());
}

TEST_F(PostgresServerLoss, AnUnreachableServerIsUnavailableAtOpen) {
  ASSERT_TRUE(server_->Halt().ok());
  StoreOptions options;
  options.connect_timeout = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(server_->url(), options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
}

TEST(PostgresUrl, AMalformedUrlIsInvalidArgument) {
  absl::StatusOr<std::unique_ptr<Store>> store =
      OpenStore("postgresql://host:notaport:x/db?bogus=1", {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << store.status();
}

// A scratch database with teams "a" and "b", for transactions that lock
// them in opposite orders.
class PostgresDeadlock : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<pgtest::ScratchDatabase> db = pgtest::ScratchDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_.emplace(*std::move(db));
    absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->url(), {});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(InsertTeam(*store_, "a").ok());
    ASSERT_TRUE(InsertTeam(*store_, "b").ok());
  }
  std::optional<pgtest::ScratchDatabase> db_;
  std::unique_ptr<Store> store_;
};

TEST_F(PostgresDeadlock, IsRetriedInsideTransact) {
  // Each transaction locks one team, waits until the other has locked the
  // other team, then wants that one too: PostgreSQL breaks the deadlock by
  // failing one, which Transact runs again (the latch is open by then).
  std::latch both_locked(2);
  std::atomic<int> runs{0};
  auto rename = [&](const std::string& first, const std::string& second) {
    bool arrived = false;  // a rerun must not count the latch down twice
    return store_->Transact([&](UnitOfWork& u) -> absl::Status {
      ++runs;
      if (auto s = u.UpdateTeam(Team{TeamId(first), "x", std::nullopt, kT0}); !s.ok()) return s;
      if (!arrived) {
        arrived = true;
        both_locked.arrive_and_wait();
      }
      return u.UpdateTeam(Team{TeamId(second), "y", std::nullopt, kT0});
    });
  };
  absl::Status ab, ba;
  std::thread t1([&] { ab = rename("a", "b"); });
  std::thread t2([&] { ba = rename("b", "a"); });
  t1.join();
  t2.join();
  EXPECT_TRUE(ab.ok()) << ab;
  EXPECT_TRUE(ba.ok()) << ba;
  EXPECT_GE(runs.load(), 3);  // one of them ran twice
}

// Two replicas' delayed-check jobs racing on one check: the second insert of
// the same delay waits for the first transaction, then inserts nothing, so
// exactly one of them goes on to notify (core/services/delay_notices.cc).
TEST(PostgresDelayNotice, OnlyOneOfTwoConcurrentRecordersIsFirst) {
  absl::StatusOr<pgtest::ScratchDatabase> db = pgtest::ScratchDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db->url(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  std::latch first_inserted(1), second_started(1);
  auto record = [&](bool first_one, bool& was_first) {
    bool arrived = false;  // a rerun must not count the latches down twice
    return (*store)->Transact([&](UnitOfWork& u) -> absl::Status {
      if (!first_one && !arrived) {
        arrived = true;
        first_inserted.wait();
        second_started.count_down();  // the first may commit now, or after we wait on its row
      }
      absl::StatusOr<bool> fresh =
          NotificationRows(u).RecordDelayNotice(TeamId("t1"), CheckId("chk"), "vendor:1", kT0, kT0);
      if (!fresh.ok()) return fresh.status();
      was_first = *fresh;
      if (first_one && !arrived) {
        arrived = true;
        first_inserted.count_down();
        second_started.wait();  // commits with the other's insert probably waiting
      }
      return absl::OkStatus();
    });
  };
  bool a = false, b = false;
  absl::Status sa, sb;
  std::thread t1([&] { sa = record(true, a); });
  std::thread t2([&] { sb = record(false, b); });
  t1.join();
  t2.join();
  ASSERT_TRUE(sa.ok()) << sa;
  ASSERT_TRUE(sb.ok()) << sb;
  EXPECT_TRUE(a);
  EXPECT_FALSE(b);
}

// Two group-commit lanes whose batches deadlock (each locks one team, then
// wants the other's): PostgreSQL fails one piece; TransactBatch runs that
// piece again while the rest of its batch stays committed, so both callers
// are answered OK.
TEST_F(PostgresDeadlock, IsRetriedInsideAGroupCommitBatch) {
  std::latch both_locked(2);
  std::atomic<int> runs{0};
  auto rename = [&](const std::string& first, const std::string& second) {
    auto arrived = std::make_shared<bool>(false);  // a rerun must not count down twice
    return [&, first, second, arrived](UnitOfWork& u) -> absl::Status {
      ++runs;
      if (auto s = u.UpdateTeam(Team{TeamId(first), "x", std::nullopt, kT0}); !s.ok()) return s;
      if (!*arrived) {
        *arrived = true;
        both_locked.arrive_and_wait();
      }
      return u.UpdateTeam(Team{TeamId(second), "y", std::nullopt, kT0});
    };
  };
  std::promise<absl::Status> ab, ba;
  {
    GroupCommitter committer(*store_, 256, 2);
    // Two keys on different lanes (a lane commits one batch at a time).
    std::string key_a = "a", key_b = "b";
    for (int i = 0; committer.LaneOf(key_a) == committer.LaneOf(key_b); ++i)
      key_b = "b" + std::to_string(i);
    committer.Submit(key_a, rename("a", "b"), [&](absl::Status s) { ab.set_value(s); });
    committer.Submit(key_b, rename("b", "a"), [&](absl::Status s) { ba.set_value(s); });
  }
  absl::Status s_ab = ab.get_future().get(), s_ba = ba.get_future().get();
  EXPECT_TRUE(s_ab.ok()) << s_ab;
  EXPECT_TRUE(s_ba.ok()) << s_ba;
  EXPECT_GE(runs.load(), 3);  // one of them ran twice
}

// Statements are prepared once per session and kept, bounded; what the
// server refuses to prepare still reports its own error.
class PostgresPreparedStatements : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<pgtest::ScratchDatabase> db = pgtest::ScratchDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_.emplace(*std::move(db));
    absl::StatusOr<std::unique_ptr<store::Connection>> conn =
        store::ConnectPostgres(db_->url(), store::PostgresOptions{});
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = *std::move(conn);
  }
  // How many statements this session has prepared whose text contains `like`.
  int64_t Prepared(const std::string& like) {
    const store::Value params[] = {std::string("%" + like + "%")};
    absl::StatusOr<std::vector<store::Row>> rows =
        conn_->Query("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE $1", params);
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok() || rows->empty()) return -1;
    return std::get<int64_t>((*rows)[0][0]);
  }

  std::optional<pgtest::ScratchDatabase> db_;
  std::unique_ptr<store::Connection> conn_;
};

TEST_F(PostgresPreparedStatements, ARepeatedStatementIsPreparedOnceAndAnswersEachCall) {
  for (int64_t i = 0; i < 5; ++i) {
    const store::Value params[] = {i};
    absl::StatusOr<std::vector<store::Row>> rows =
        conn_->Query("SELECT $1::bigint + 1 AS marker_once", params);
    ASSERT_TRUE(rows.ok()) << rows.status();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(std::get<int64_t>((*rows)[0][0]), i + 1);
  }
  EXPECT_EQ(Prepared("marker_once"), 1);
  // The same text with a parameter of another type is a statement of its own.
  const store::Value text[] = {std::string("7")};
  ASSERT_TRUE(conn_->Query("SELECT $1 AS marker_typed", text).ok());
  const store::Value number[] = {int64_t{7}};
  ASSERT_TRUE(conn_->Query("SELECT $1 AS marker_typed", number).ok());
  EXPECT_EQ(Prepared("marker_typed"), 2);
}

TEST_F(PostgresPreparedStatements, TheSessionKeepsAtMostItsBoundOfStatements) {
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(conn_->Query(absl::StrCat("SELECT ", i, " AS marker_many"), {}).ok());
  }
  EXPECT_LE(Prepared("marker_many"), 256);
  EXPECT_GE(Prepared("marker_many"), 200);
  // The most recent are still there and still answer.
  absl::StatusOr<std::vector<store::Row>> last = conn_->Query("SELECT 299 AS marker_many", {});
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(std::get<int64_t>((*last)[0][0]), 299);
}

TEST_F(PostgresPreparedStatements, ARefusedStatementReportsItsOwnErrorInsideATransaction) {
  ASSERT_TRUE(conn_->Begin().ok());
  absl::StatusOr<std::vector<store::Row>> missing =
      conn_->Query("SELECT id FROM no_such_table WHERE id = $1", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), ::testing::HasSubstr("no_such_table"));
  ASSERT_TRUE(conn_->Rollback().ok());
  EXPECT_TRUE(conn_->Query("SELECT 1 AS marker_after", {}).ok());
}

// A table altered under a prepared statement (a migration run by another
// replica) fails that run as retryable; the next run prepares it afresh.
TEST_F(PostgresPreparedStatements, AStatementWhoseResultChangedIsPreparedAgainOnTheNextRun) {
  ASSERT_TRUE(
      conn_->ExecScript("CREATE TABLE altered (a bigint); INSERT INTO altered VALUES (1);").ok());
  ASSERT_TRUE(conn_->Query("SELECT * FROM altered", {}).ok());
  ASSERT_TRUE(conn_->ExecScript("ALTER TABLE altered ADD COLUMN b text DEFAULT 'x';").ok());
  absl::StatusOr<std::vector<store::Row>> changed = conn_->Query("SELECT * FROM altered", {});
  ASSERT_FALSE(changed.ok());
  EXPECT_TRUE(store::IsRetryable(changed.status())) << changed.status();
  absl::StatusOr<std::vector<store::Row>> again = conn_->Query("SELECT * FROM altered", {});
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].size(), 2u);
}

// BEGIN travels with a transaction's first statement (one round trip): the
// transaction still starts there, at the level asked for, and ends cleanly
// when it ran nothing.
class PostgresDeferredBegin : public PostgresPreparedStatements {
 protected:
  std::unique_ptr<store::Connection> Other() {
    absl::StatusOr<std::unique_ptr<store::Connection>> conn =
        store::ConnectPostgres(db_->url(), store::PostgresOptions{});
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? *std::move(conn) : nullptr;
  }
  int64_t Count(store::Connection& conn) {
    absl::StatusOr<std::vector<store::Row>> rows = conn.Query("SELECT count(*) FROM marks", {});
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok() || rows->empty()) return -1;
    return std::get<int64_t>((*rows)[0][0]);
  }
  absl::Status Mark(store::Connection& conn, int64_t n) {
    const store::Value params[] = {n};
    return conn.Exec("INSERT INTO marks (n) VALUES ($1)", params).status();
  }
};

TEST_F(PostgresDeferredBegin, AReadTransactionSeesOneSnapshotFromItsFirstStatement) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE marks (n bigint);").ok());
  std::unique_ptr<store::Connection> other = Other();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(conn_->BeginRead().ok());
  EXPECT_EQ(Count(*conn_), 0);
  ASSERT_TRUE(Mark(*other, 1).ok());  // committed by itself
  EXPECT_EQ(Count(*conn_), 0) << "REPEATABLE READ: the first statement's snapshot holds";
  ASSERT_TRUE(conn_->Commit().ok());
  EXPECT_EQ(Count(*conn_), 1);
  // Read only: a write inside it is refused.
  ASSERT_TRUE(conn_->BeginRead().ok());
  absl::Status write = Mark(*conn_, 2);
  EXPECT_FALSE(write.ok());
  EXPECT_THAT(std::string(write.message()), ::testing::HasSubstr("read-only"));
  ASSERT_TRUE(conn_->Rollback().ok());
}

TEST_F(PostgresDeferredBegin, AWriteTransactionIsAtomicFromItsFirstStatement) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE marks (n bigint);").ok());
  std::unique_ptr<store::Connection> other = Other();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(conn_->Begin().ok());
  ASSERT_TRUE(Mark(*conn_, 1).ok());
  ASSERT_TRUE(Mark(*conn_, 2).ok());
  EXPECT_EQ(Count(*other), 0) << "nothing is seen before the commit";
  ASSERT_TRUE(conn_->Rollback().ok());
  EXPECT_EQ(Count(*other), 0) << "the rollback took both back";
  ASSERT_TRUE(conn_->Begin().ok());
  ASSERT_TRUE(Mark(*conn_, 3).ok());
  ASSERT_TRUE(conn_->Commit().ok());
  EXPECT_EQ(Count(*other), 1);
}

TEST_F(PostgresDeferredBegin, AFirstStatementThatFailsToRunFailsTheTransactionAlone) {
  ASSERT_TRUE(conn_->Begin().ok());
  // Prepared fine, fails when it runs: in the same round trip as BEGIN.
  const store::Value zero[] = {int64_t{0}};
  absl::StatusOr<std::vector<store::Row>> failed = conn_->Query("SELECT 1 / $1", zero);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()), ::testing::HasSubstr("division by zero"));
  EXPECT_FALSE(conn_->broken());
  // The transaction is failed (a COMMIT rolls it back), and the session is fine after it.
  EXPECT_FALSE(conn_->Commit().ok());
  absl::StatusOr<std::vector<store::Row>> after = conn_->Query("SELECT 2 AS marker_after", {});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(std::get<int64_t>((*after)[0][0]), 2);
}

TEST_F(PostgresDeferredBegin, ATransactionThatRanNothingLeavesNoneOpen) {
  ASSERT_TRUE(conn_->Begin().ok());
  ASSERT_TRUE(conn_->Commit().ok());
  ASSERT_TRUE(conn_->BeginRead().ok());
  ASSERT_TRUE(conn_->Rollback().ok());
  // Outside a transaction block a savepoint is refused: none was left open.
  EXPECT_FALSE(conn_->Savepoint("nothing_open").ok());
  // A savepoint as a transaction's first step starts it.
  ASSERT_TRUE(conn_->Begin().ok());
  EXPECT_TRUE(conn_->Savepoint("first").ok());
  EXPECT_TRUE(conn_->ReleaseSavepoint("first").ok());
  EXPECT_TRUE(conn_->Commit().ok());
}

// The webhook's look-up of a bundle's pending case fetches (PendingDue) reads
// a few index pages per key, however many other items are pending and however
// stale the planner's statistics: the queue's partial index fills with dead
// entries as fetches are claimed, and a merge join of the keys with that
// whole index read ~1,450 buffers per two keys under the bench (issue 21).
TEST(PostgresPendingDue, ProbesTheIndexOncePerKeyAmongThousandsOfPendingItems) {
  absl::StatusOr<pgtest::ScratchDatabase> db = pgtest::ScratchDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db->url(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(InsertTeam(**store, "t1").ok());
  // Thousands of pending items, half of them claimed (their keys leave the
  // index, their old entries stay until a vacuum).
  ASSERT_TRUE((*store)
                  ->Transact([&](UnitOfWork& u) -> absl::Status {
                    for (int i = 0; i < 4000; ++i) {
                      const WorkItem w = storetest::CaseFetchItem("t1", i, kT0);
                      absl::Status s = u.EnqueueWork(w);
                      if (!s.ok()) return s;
                      if (i % 2 == 1) continue;
                      s = u.ClaimWorkItem(TeamId("t1"), w.id, "w", kT0);
                      if (!s.ok()) return s;
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  // Two keys, one pending near the index's end and one claimed: the plan
  // the store's statement gets, run, with the pages it read. Without nested
  // loops and hash joins, as stale statistics can make the planner lean: a
  // join of the keys with the table then reads the whole index (~100 pages
  // here); each key's own LATERAL probe still reads a few.
  const std::string sql = store::PostgresDialect().Sql(
      store::SqlUnitOfWork::PendingDueSql(store::PostgresDialect(), 2));
  absl::StatusOr<std::string> plan = pgtest::QueryValue(
      db->url(), absl::StrCat("SET enable_nestloop = off; SET enable_hashjoin = off; "
                              "PREPARE due(text, text, text, text) AS ",
                              sql,
                              "; EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE due('t1', "
                              "'certn.fetch_case:check-3999', 't1', 'certn.fetch_case:check-10')"));
  ASSERT_TRUE(plan.ok()) << plan.status();
  // The top node's figures include its children's.
  rapidjson::Document doc;
  doc.Parse(plan->c_str());
  ASSERT_TRUE(!doc.HasParseError() && doc.IsArray() && !doc.Empty() && doc[0].IsObject() &&
              doc[0].HasMember("Plan"))
      << *plan;
  const rapidjson::Value& top = doc[0]["Plan"];
  ASSERT_TRUE(top.HasMember("Actual Rows") && top.HasMember("Shared Hit Blocks") &&
              top.HasMember("Shared Read Blocks"))
      << *plan;
  EXPECT_EQ(top["Actual Rows"].GetDouble(), 1) << *plan;
  const int64_t pages = top["Shared Hit Blocks"].GetInt64() + top["Shared Read Blocks"].GetInt64();
  EXPECT_GE(pages, 2) << *plan;
  EXPECT_LE(pages, 16) << *plan;
}

}  // namespace
}  // namespace stagecheck
