// A fresh, empty database for a test, on either back-end:
//
//   auto db = stagecheck::storetest::TestDatabase::Create("sqlite");  // or "postgres"
//   ASSERT_TRUE(db.ok()) << db.status();
//   auto store = stagecheck::OpenStore(db->db(), {});
//
// SQLite: a file in a new temp directory (removed afterwards). PostgreSQL: a
// scratch database on the `postgres` ctest fixture's server (dropped
// afterwards); the test must be registered with stagecheck_pg_test().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "adapters/store/open_store.h"
#include "tests/support/pg/pg_test_support.h"

namespace stagecheck::storetest {

class TestDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(std::string_view backend);
  ~TestDatabase();

  // What OpenStore takes: a file path or a postgres URL.
  const std::string& db() const { return db_; }
  // SQLite only: the directory holding the file.
  const std::string& dir() const { return dir_; }
  std::string_view backend() const { return pg_.has_value() ? "postgres" : "sqlite"; }

  absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options = {}) const {
    return OpenStore(db_, options);
  }

 private:
  TestDatabase() = default;
  std::string db_;
  std::string dir_;
  std::optional<pgtest::ScratchDatabase> pg_;
};

// A fresh database with a store open on it.
struct FreshStore {
  std::unique_ptr<TestDatabase> db;
  std::unique_ptr<Store> store;
};
absl::StatusOr<FreshStore> OpenFreshStore(std::string_view backend,
                                          const StoreOptions& options = {});

// Team `team`'s case fetch number `i` (work item "w<i>", deduplicated per
// check), due at `run_at`: the queue's commonest item, for tests that fill it.
WorkItem CaseFetchItem(std::string_view team, int i, absl::Time run_at);

}  // namespace stagecheck::storetest
