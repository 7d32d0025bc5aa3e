// Store on any SQL back-end: transactions, savepoint batches and bounded
// retries of serialization failures, over a ConnectionPool and a Dialect.
#pragma once

#include <functional>
#include <memory>

#include "adapters/store/sql/dialect.h"
#include "adapters/store/sql/pool.h"
#include "core/ports/cipher.h"
#include "core/ports/store.h"

namespace stagecheck::store {

// Makes commits durable apart from the commit itself (SQLite in WAL mode with
// synchronous=NORMAL: sqlite/wal_flusher.h). Without one, a commit is durable.
class CommitFlusher {
 public:
  virtual ~CommitFlusher() = default;
  // `then` runs once an fsync that began after this call has finished.
  virtual void After(std::function<void(absl::Status)> then) = 0;
  // Returns once an fsync that began after this call has finished; a
  // flusher may run it on the calling thread.
  virtual absl::Status Sync();
};

class SqlStore final : public Store {
 public:
  // `max_attempts` bounds how often a transaction that hit a serialization
  // failure or deadlock is run.
  // `writers` (optional): where write transactions lease their connection,
  // reads keep `pool` (SQLite: one writer connection, whose page cache stays
  // valid because no other connection writes; see OpenSqliteStore).
  SqlStore(std::unique_ptr<ConnectionPool> pool, const Dialect& dialect, int max_attempts,
           Cipher* at_rest = nullptr, std::unique_ptr<CommitFlusher> flusher = nullptr,
           std::unique_ptr<ConnectionPool> writers = nullptr);

  absl::Status Transact(const std::function<absl::Status(UnitOfWork&)>& work) override;
  absl::Status Read(const std::function<absl::Status(UnitOfWork&)>& work) override;
  std::vector<absl::Status> TransactBatch(
      const std::vector<std::function<absl::Status(UnitOfWork&)>>& pieces) override;
  void WhenDurable(std::function<void(absl::Status)> then) override;
  absl::Status Ping() override;
  std::string_view backend() const override { return dialect_.name; }

 private:
  // A connection with an open transaction. A pooled connection that turns
  // out dead at BEGIN is replaced once: nothing ran on it yet.
  enum class Mode { kReadWrite, kReadOnly };
  absl::StatusOr<ConnectionPool::Lease> BeginTransaction(Mode mode = Mode::kReadWrite);
  absl::Status RunOnce(const std::function<absl::Status(UnitOfWork&)>& work, Mode mode);
  absl::Status RunWithRetries(const std::function<absl::Status(UnitOfWork&)>& work, Mode mode);
  // One attempt at a batch. Unless `isolate`, pieces share the transaction
  // without savepoints and the first failing piece rolls the attempt back
  // and sets `piece_failed`.
  std::vector<absl::Status> RunBatchOnce(
      const std::vector<std::function<absl::Status(UnitOfWork&)>>& pieces, bool isolate,
      absl::Status& commit, bool& piece_failed);
  // A batch, rerun while its commit hits a serialization failure or deadlock.
  std::vector<absl::Status> RunBatch(
      const std::vector<std::function<absl::Status(UnitOfWork&)>>& pieces);
  void Backoff(int attempt) const;

  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<ConnectionPool> writers_;  // null: writes use pool_ too
  const Dialect& dialect_;
  const int max_attempts_;
  Cipher* const at_rest_;
  std::unique_ptr<CommitFlusher> flusher_;  // destroyed first: it answers its waiters
};

}  // namespace stagecheck::store
