#include "tests/support/store/test_store.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace stagecheck::storetest {

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(std::string_view backend) {
  std::unique_ptr<TestDatabase> db(new TestDatabase());
  if (backend == "postgres") {
    absl::StatusOr<pgtest::ScratchDatabase> scratch = pgtest::ScratchDatabase::Create();
    if (!scratch.ok()) return scratch.status();
    db->db_ = scratch->url();
    db->pg_.emplace(*std::move(scratch));
    return db;
  }
  if (backend != "sqlite") {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown store back-end '", absl::string_view(backend.data(), backend.size()), "'"));
  }
  char tmpl[] = "/tmp/stagecheck-sqlite.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  db->dir_ = tmpl;
  db->db_ = db->dir_ + "/stagecheck.db";
  return db;
}

TestDatabase::~TestDatabase() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

absl::StatusOr<FreshStore> OpenFreshStore(std::string_view backend, const StoreOptions& options) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create(backend);
  if (!db.ok()) return db.status();
  absl::StatusOr<std::unique_ptr<Store>> store = (*db)->Open(options);
  if (!store.ok()) return store.status();
  return FreshStore{*std::move(db), *std::move(store)};
}

WorkItem CaseFetchItem(std::string_view team, int i, absl::Time run_at) {
  WorkItem w;
  w.team = TeamId(std::string(team));
  w.id = WorkItemId(absl::StrCat("w", i));
  w.kind = "certn.fetch_case";
  w.subject = absl::StrCat("check-", i);
  w.dedupe_key = absl::StrCat("certn.fetch_case:check-", i);
  w.run_at = run_at;
  return w;
}

}  // namespace stagecheck::storetest
