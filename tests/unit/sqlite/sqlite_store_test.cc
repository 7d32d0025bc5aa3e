// SQLite specifics: where the file may live, how it is configured, and that
// one store is safe from many threads.
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "adapters/store/open_store.h"
#include "adapters/store/sql/dialect.h"
#include "adapters/store/sql/unit_of_work.h"
#include "adapters/store/sqlite/sqlite_store.h"
#include "core/services/deps.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/store/faulty_store.h"
#include "tests/support/store/test_store.h"

namespace stagecheck {
namespace {

namespace fs = std::filesystem;
const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<storetest::TestDatabase>> db =
        storetest::TestDatabase::Create("sqlite");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  // Reads one value with the plain sqlite3 API, outside the store.
  std::string Pragma(const std::string& sql) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_->db().c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
    return out;
  }
  // SQLite's plan for `sql`: each step's detail, joined by "; ".
  std::string QueryPlan(const std::string& sql) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_->db().c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(raw, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &stmt, nullptr) ==
        SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
        out += "; ";
      }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
    return out;
  }

  std::unique_ptr<storetest::TestDatabase> db_;
};

TEST_F(SqliteStoreTest, AMissingDirectoryIsInvalidArgumentAndCreatesNothing) {
  const fs::path missing = fs::path(db_->dir()) / "no" / "such" / "dir";
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore((missing / "x.db").string(), {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << store.status();
  EXPECT_NE(store.status().message().find("does not exist"), absl::string_view::npos);
  EXPECT_FALSE(fs::exists(fs::path(db_->dir()) / "no"));
  EXPECT_TRUE(fs::is_empty(db_->dir()));
}

TEST_F(SqliteStoreTest, AFileInPlaceOfTheDirectoryIsInvalidArgument) {
  const fs::path file = fs::path(db_->dir()) / "plain-file";
  std::ofstream(file) << "x";
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore((file / "x.db").string(), {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << store.status();
  EXPECT_EQ(fs::file_size(file), 1u);
}

TEST_F(SqliteStoreTest, ADirectoryAsTheDatabaseIsInvalidArgument) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->dir(), {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << store.status();
}

TEST_F(SqliteStoreTest, AnEmptyPathOrMemoryIsInvalidArgument) {
  EXPECT_EQ(OpenStore("", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore(":memory:", {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, AForeignFileIsRefusedAndKept) {
  { std::ofstream(db_->db()) << std::string(4096, 'z'); }
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->db(), {});
  EXPECT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  ASSERT_TRUE(fs::exists(db_->db()));  // never delete what we did not create
  EXPECT_EQ(fs::file_size(db_->db()), 4096u);
}

TEST_F(SqliteStoreTest, OpensInWalWithTheSchemaLedger) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->db(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(Pragma("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Pragma("SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(store::SqliteMigrations().size()));
  // Re-opening applies nothing twice.
  store->reset();
  absl::StatusOr<std::unique_ptr<Store>> again = OpenStore(db_->db(), {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Pragma("SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(store::SqliteMigrations().size()));
  EXPECT_EQ(Pragma("SELECT MAX(version) FROM schema_migrations"),
            std::to_string(store::SqliteMigrations().back().version));
}

TEST_F(SqliteStoreTest, ADatabaseFromANewerBinaryIsRefused) {
  ASSERT_TRUE(OpenStore(db_->db(), {}).ok());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_->db().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "INSERT INTO schema_migrations (version, name, applied_at) "
                         "VALUES (999, 'from the future', 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->db(), {});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
}

// v14 rebuilds webhook_deliveries with (team_id, delivery_id) as its only
// key: a delivery stored at v13 is still there, whole, and a second copy of it
// is still refused as a duplicate.
TEST_F(SqliteStoreTest, DeliveriesStoredBeforeV14SurviveItsRebuildAndStayUnique) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_->db().c_str(), &raw), SQLITE_OK);
  auto exec = [&](const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &error);
    std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    return rc == SQLITE_OK ? std::string() : message + " in: " + sql.substr(0, 80);
  };
  ASSERT_EQ(exec("CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, "
                 "name TEXT NOT NULL, applied_at BIGINT NOT NULL)"),
            "");
  for (const store::Migration& m : store::SqliteMigrations()) {
    if (m.version >= 14) break;
    ASSERT_EQ(exec(std::string(m.sql)), "");
    ASSERT_EQ(
        exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 'v', 0)"),
        "");
  }
  ASSERT_EQ(exec("INSERT INTO teams (team_id, name, created_at) VALUES ('t1', 'T', 0)"), "");
  ASSERT_EQ(exec("INSERT INTO webhook_deliveries (team_id, delivery_id, received_at, scheme, "
                 "event_type, object_type, object_id, body, verdict, check_id, headers) VALUES "
                 "('t1', 'd1', 5, 'x-signature', 'CASE_STATUS_CHANGED', 'CASE', 'case-1', "
                 "X'7B7D', 'orphan', NULL, 'X-Signature: ab')"),
            "");
  sqlite3_close(raw);

  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->db(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(Pragma("SELECT MAX(version) FROM schema_migrations"),
            std::to_string(store::SqliteMigrations().back().version));
  absl::StatusOr<WebhookDelivery> kept = InTransaction<WebhookDelivery>(
      **store, [](UnitOfWork& u) { return u.GetDelivery(TeamId("t1"), "d1"); });
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->body, "{}");
  EXPECT_EQ(kept->headers, "X-Signature: ab");
  EXPECT_EQ(kept->object_id, "case-1");
  EXPECT_EQ(kept->verdict, DeliveryVerdict::kOrphan);
  WebhookDelivery again = *kept;
  again.received_at = kT0;
  absl::Status twice = (*store)->Transact([&](UnitOfWork& u) { return u.InsertDelivery(again); });
  EXPECT_EQ(twice.code(), absl::StatusCode::kAlreadyExists) << twice;
  // The orphan index came back with the table: the order's adoption finds it.
  absl::StatusOr<std::vector<WebhookDelivery>> orphans =
      InTransaction<std::vector<WebhookDelivery>>(
          **store, [](UnitOfWork& u) { return u.ListOrphans(TeamId("t1"), "case-1"); });
  ASSERT_TRUE(orphans.ok()) << orphans.status();
  EXPECT_EQ(orphans->size(), 1u);
}

// v15: a delivery's insert writes the table's key, the per-team time index
// and (for an orphan) the orphan index, not a global time index; the team's
// deliveries page and retention still find their rows through an index.
TEST_F(SqliteStoreTest, DeliveriesHaveNoGlobalTimeIndexAndTeamReadsStayIndexed) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->db(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(Pragma("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE "
                   "type = 'index' AND tbl_name = 'webhook_deliveries' ORDER BY name)"),
            "sqlite_autoindex_webhook_deliveries_1,webhook_deliveries_by_team_received,"
            "webhook_deliveries_orphans");
  EXPECT_THAT(QueryPlan("SELECT delivery_id FROM webhook_deliveries WHERE team_id = 't1' AND "
                        "received_at < 5 ORDER BY received_at LIMIT 10"),
              ::testing::HasSubstr("USING INDEX webhook_deliveries_by_team_received"));
}

// Runs the store's claim statement (`sql`, SQLite placeholders) for 16 items
// in a transaction it rolls back, on a connection of its own: the rows it
// claimed and the virtual machine steps it took.
std::pair<int, int> ClaimSteps(const std::string& path, const std::string& sql, absl::Time now) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  const int64_t micros = absl::ToUnixMicros(now);
  sqlite3_bind_text(stmt, 1, "test-worker", -1, SQLITE_STATIC);
  sqlite3_bind_int64(stmt, 2, micros + 60'000'000);
  sqlite3_bind_int64(stmt, 3, micros);
  sqlite3_bind_int64(stmt, 4, micros);
  sqlite3_bind_int64(stmt, 5, 16);
  int rows = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) ++rows;
  const int steps = sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_VM_STEP, 0);
  sqlite3_finalize(stmt);
  EXPECT_EQ(sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  return {rows, steps};
}

// The worker's claim, one statement in the group commit's batches, walks the
// pending items by run_at and stops at its limit: thousands of case fetches
// not yet due cost it nothing. Without a hint SQLite took the equality on
// work_items_by_state, read every pending item and sorted them all for each
// claim (~170 µs at 2,000 pending fetches, issue 21).
TEST_F(SqliteStoreTest, AClaimWalksOnlyTheDueItemsAmongThousandsPending) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->db(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)
                  ->Transact([&](UnitOfWork& u) -> absl::Status {
                    absl::Status s = u.InsertTeam(Team{TeamId("t1"), "t", std::nullopt, kT0});
                    for (int i = 0; s.ok() && i < 4020; ++i) {
                      // 20 due, the rest a second or more away.
                      s = u.EnqueueWork(storetest::CaseFetchItem(
                          "t1", i, i < 20 ? kT0 - absl::Seconds(i) : kT0 + absl::Seconds(1 + i)));
                    }
                    return s;
                  })
                  .ok());
  const std::string sql =
      store::SqliteDialect().Sql(store::SqlUnitOfWork::ClaimWorkSql(store::SqliteDialect()));
  const std::string plan = QueryPlan(sql);
  EXPECT_THAT(plan, ::testing::HasSubstr("USING INDEX work_items_due"));
  EXPECT_THAT(plan, ::testing::Not(::testing::HasSubstr("work_items_by_state")));
  const auto [claimed, steps] = ClaimSteps(db_->db(), sql, kT0);
  EXPECT_EQ(claimed, 16);
  // 1,788 steps here with the index walked; 21,739 with every pending item read.
  EXPECT_LE(steps, 4000) << "VM steps for a claim of 16";
}

TEST_F(SqliteStoreTest, ForeignKeysAreEnforced) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->db(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  absl::Status s = (*store)->Transact([](UnitOfWork& u) {
    return u.InsertUser(
        User{TeamId("ghost"), UserId("u"), "n", Role::kAdmin, kT0, std::nullopt, std::nullopt});
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
}

TEST_F(SqliteStoreTest, ManyThreadsShareOneStore) {
  StoreOptions options;
  options.pool_size = 3;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->db(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)
                  ->Transact([](UnitOfWork& u) {
                    return u.InsertTeam(Team{TeamId("t"), "t", std::nullopt, kT0});
                  })
                  .ok());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Candidate c;
        c.team = TeamId("t");
        c.id = CandidateId("c" + std::to_string(t) + "-" + std::to_string(i));
        c.created_at = kT0 + absl::Seconds(i);
        absl::Status s = (*store)->Transact([&](UnitOfWork& u) -> absl::Status {
          if (auto st = u.InsertCandidate(c); !st.ok()) return st;
          return u.GetCandidate(c.team, c.id).status();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  int seen = 0;
  PageRequest page{.limit = 500, .after = ""};
  ASSERT_TRUE((*store)
                  ->Transact([&](UnitOfWork& u) -> absl::Status {
                    absl::StatusOr<Page<Candidate>> all = u.ListCandidates(TeamId("t"), page);
                    if (!all.ok()) return all.status();
                    seen = static_cast<int>(all->items.size());
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(seen, kThreads * kPerThread);
}

TEST_F(SqliteStoreTest, FaultyStoreInjectsUnavailableAndCounts) {
  absl::StatusOr<std::unique_ptr<Store>> real = OpenStore(db_->db(), {});
  ASSERT_TRUE(real.ok()) << real.status();
  storetest::FaultyStore store(**real);
  auto insert = [&](const std::string& id) {
    return store.Transact([&](UnitOfWork& u) {
      return u.InsertTeam(Team{TeamId(id), id, std::nullopt, kT0});
    });
  };
  EXPECT_TRUE(insert("a").ok());
  store.FailNext(1);
  EXPECT_EQ(insert("b").code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(insert("b").ok());
  store.SetDown(true);
  EXPECT_EQ(insert("c").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.Ping().code(), absl::StatusCode::kUnavailable);
  std::vector<absl::Status> batch = store.TransactBatch(
      {[](UnitOfWork&) { return absl::OkStatus(); }, [](UnitOfWork&) { return absl::OkStatus(); }});
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[1].code(), absl::StatusCode::kUnavailable);
  store.SetDown(false);
  EXPECT_TRUE(store.Ping().ok());
  EXPECT_EQ(store.transact_calls(), 4);
  EXPECT_EQ(store.batch_calls(), 1);
  EXPECT_EQ(store.failed_calls(), 3);
  EXPECT_EQ(store.backend(), "sqlite");
  // Nothing of the refused work reached the database.
  EXPECT_EQ((*real)->Transact([](UnitOfWork& u) { return u.GetTeam(TeamId("c")).status(); }).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace stagecheck
