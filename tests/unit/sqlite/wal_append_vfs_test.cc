// The VFS that writes a commit's WAL frames with one call (wal_append_vfs.h):
// every commit is in the file, for other connections and for recovery, the
// moment it returns; what a transaction spills, rewrites or rolls back reads
// back as SQLite wrote it; and a write that fails fails its commit.
#include "adapters/store/sqlite/wal_append_vfs.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/store/test_store.h"

namespace stagecheck::store {
namespace {

namespace fs = std::filesystem;

struct Db {
  sqlite3* handle = nullptr;
  ~Db() { sqlite3_close_v2(handle); }
};

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error != nullptr ? error : "");
  sqlite3_free(error);
}

int64_t Int(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW) << sql;
  const int64_t value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return value;
}

std::string Text(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW) << sql;
  const auto* text = sqlite3_column_text(stmt, 0);
  std::string value = text != nullptr ? reinterpret_cast<const char*>(text) : "";
  sqlite3_finalize(stmt);
  return value;
}

// A connection as the store opens one: WAL, synchronous=NORMAL; `vfs` null
// for SQLite's default. No automatic checkpoint: the frames stay in the WAL,
// where recovery reads them.
void Open(Db& db, const std::string& path, const char* vfs) {
  ASSERT_EQ(
      sqlite3_open_v2(path.c_str(), &db.handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
      SQLITE_OK);
  EXPECT_EQ(Text(db.handle, "PRAGMA journal_mode=WAL"), "wal");
  Exec(db.handle, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0");
}

// What the rows add up to, as one connection reads them.
std::string Digest(sqlite3* db) {
  return absl::StrCat(Int(db, "SELECT count(*) FROM t"), "/",
                      Int(db, "SELECT coalesce(sum(length(b)), 0) FROM t"), "/",
                      Int(db, "SELECT coalesce(sum(n), 0) FROM t"));
}

class WalAppendVfsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(WalAppendVfsName(), nullptr);
    auto dir = storetest::TestDatabase::Create("sqlite");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *std::move(dir);
    path_ = dir_->db();
    Open(writer_, path_, WalAppendVfsName());
    Exec(writer_.handle, "CREATE TABLE t (n INTEGER, b BLOB); CREATE INDEX t_n ON t (n)");
  }

  // Inserts `rows` rows of `bytes` random bytes each in one transaction.
  void Insert(int rows, int bytes, int n = 1) {
    Exec(writer_.handle,
         absl::StrCat("INSERT INTO t SELECT ", n, ", randomblob(", bytes,
                      ") FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r "
                      "WHERE i < ",
                      rows, ") SELECT i FROM r)"));
  }

  // Recovery from the files alone: the database and its WAL copied as they
  // are on disk now (no -shm: SQLite rebuilds the index from the WAL,
  // checking every frame's checksum), as after a crash.
  std::string RecoveredDigest() {
    const fs::path copy = fs::path(path_).parent_path() / "copy";
    fs::create_directories(copy);
    const std::string db = (copy / "copy.db").string();
    fs::remove(db + "-shm");
    fs::copy_file(path_, db, fs::copy_options::overwrite_existing);
    fs::copy_file(path_ + "-wal", db + "-wal", fs::copy_options::overwrite_existing);
    Db recovered;
    Open(recovered, db, nullptr);
    EXPECT_EQ(Text(recovered.handle, "PRAGMA integrity_check"), "ok");
    return Digest(recovered.handle);
  }

  std::unique_ptr<storetest::TestDatabase> dir_;
  std::string path_;
  Db writer_;
};

TEST_F(WalAppendVfsTest, EveryCommitIsInTheFileForOtherConnectionsWhenItReturns) {
  Db reader;
  Open(reader, path_, nullptr);
  for (int i = 1; i <= 60; ++i) {
    // One page to several per row, one row to several per transaction.
    Insert(1 + i % 4, 100 + 997 * i, i);
    EXPECT_EQ(WalAppendVfsBufferedBytes(), 0u) << "commit " << i;
    ASSERT_EQ(Digest(reader.handle), Digest(writer_.handle)) << "commit " << i;
  }
  EXPECT_EQ(RecoveredDigest(), Digest(writer_.handle));
}

TEST_F(WalAppendVfsTest, ATransactionLargerThanTheBufferSpillingItsCacheRecoversWhole) {
  // A page cache of 20 pages: the transaction writes its pages to the WAL
  // before its commit, reads them back and rewrites some in place (SQLite
  // then recomputes the frames' checksums); 6 MiB also outgrows the buffer.
  Exec(writer_.handle, "PRAGMA cache_size=20");
  Insert(10, 500);
  Exec(writer_.handle, "BEGIN");
  Insert(1500, 4000, 2);
  Exec(writer_.handle, "UPDATE t SET n = n + 10 WHERE n = 1");
  Exec(writer_.handle, "COMMIT");
  EXPECT_EQ(WalAppendVfsBufferedBytes(), 0u);
  const std::string written = Digest(writer_.handle);
  EXPECT_EQ(written, absl::StrCat(1510, "/", 10 * 500 + 1500 * 4000, "/", 10 * 11 + 1500 * 2));
  Db reader;
  Open(reader, path_, nullptr);
  EXPECT_EQ(Digest(reader.handle), written);
  EXPECT_EQ(RecoveredDigest(), written);
}

TEST_F(WalAppendVfsTest, ARolledBackTransactionLeavesNothingAndTheNextCommitRecovers) {
  Exec(writer_.handle, "PRAGMA cache_size=20");
  Insert(5, 300);
  const std::string before = Digest(writer_.handle);
  Exec(writer_.handle, "BEGIN");
  Insert(400, 3000, 7);
  Exec(writer_.handle, "ROLLBACK");
  EXPECT_EQ(WalAppendVfsBufferedBytes(), 0u);
  EXPECT_EQ(Digest(writer_.handle), before);
  EXPECT_EQ(RecoveredDigest(), before);
  Insert(3, 5000, 8);
  EXPECT_EQ(RecoveredDigest(), Digest(writer_.handle));
}

TEST_F(WalAppendVfsTest, TheWalStartedAgainAfterACheckpointRecovers) {
  for (int round = 0; round < 3; ++round) {
    Insert(20, 2000, round);
    EXPECT_EQ(Int(writer_.handle, "PRAGMA wal_checkpoint(RESTART)"), 0);
    Insert(2, 700, round + 100);  // the first frames of the WAL begun again
    EXPECT_EQ(WalAppendVfsBufferedBytes(), 0u);
    EXPECT_EQ(RecoveredDigest(), Digest(writer_.handle)) << "round " << round;
  }
}

// A commit whose frames cannot be written fails, and nothing of it is seen;
// the next commit, once the disk takes it, is whole. The file-size limit
// makes the write fail (EFBIG) where a full disk would (ENOSPC).
TEST_F(WalAppendVfsTest, AFailedWriteFailsItsCommitAndLeavesTheDatabaseAsItWas) {
  Insert(4, 1000);
  const std::string before = Digest(writer_.handle);
  const auto wal_size = static_cast<rlim_t>(fs::file_size(path_ + "-wal"));
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGXFSZ, &ignore, &previous), 0);
  rlimit tight = old;
  tight.rlim_cur = wal_size + 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &tight), 0);
  const int rc =
      sqlite3_exec(writer_.handle, "INSERT INTO t SELECT 9, randomblob(1000000) FROM (SELECT 1)",
                   nullptr, nullptr, nullptr);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  ASSERT_EQ(sigaction(SIGXFSZ, &previous, nullptr), 0);
  EXPECT_NE(rc, SQLITE_OK);
  if (sqlite3_get_autocommit(writer_.handle) == 0) Exec(writer_.handle, "ROLLBACK");
  EXPECT_EQ(WalAppendVfsBufferedBytes(), 0u);
  EXPECT_EQ(Digest(writer_.handle), before);
  Db reader;
  Open(reader, path_, nullptr);
  EXPECT_EQ(Digest(reader.handle), before);
  Insert(2, 3000, 5);
  EXPECT_EQ(Digest(reader.handle), Digest(writer_.handle));
  EXPECT_EQ(RecoveredDigest(), Digest(writer_.handle));
}

}  // namespace
}  // namespace stagecheck::store
