#include "adapters/store/sql/sql_store.h"

#include <future>
#include <random>
#include <string>

#include "absl/time/clock.h"
#include "adapters/store/sql/unit_of_work.h"

namespace stagecheck::store {

absl::Status CommitFlusher::Sync() {
  std::promise<absl::Status> flushed;
  std::future<absl::Status> result = flushed.get_future();
  After([&flushed](absl::Status f) { flushed.set_value(f); });
  return result.get();
}

SqlStore::SqlStore(std::unique_ptr<ConnectionPool> pool, const Dialect& dialect, int max_attempts,
                   Cipher* at_rest, std::unique_ptr<CommitFlusher> flusher,
                   std::unique_ptr<ConnectionPool> writers)
    : pool_(std::move(pool)),
      writers_(std::move(writers)),
      dialect_(dialect),
      max_attempts_(max_attempts < 1 ? 1 : max_attempts),
      at_rest_(at_rest),
      flusher_(std::move(flusher)) {}

absl::StatusOr<ConnectionPool::Lease> SqlStore::BeginTransaction(Mode mode) {
  ConnectionPool& pool = mode == Mode::kReadWrite && writers_ ? *writers_ : *pool_;
  for (int tries = 0;; ++tries) {
    absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire();
    if (!lease.ok()) return lease.status();
    absl::Status s = mode == Mode::kReadOnly ? (*lease)->BeginRead() : (*lease)->Begin();
    if (s.ok()) return lease;
    // A stale pooled session (server restarted): the pool drops it, and all
    // idle ones, when the lease returns; one fresh attempt is safe.
    if (lease->fresh() || !(*lease)->broken() || tries > 0) return s;
  }
}

absl::Status SqlStore::RunOnce(const std::function<absl::Status(UnitOfWork&)>& work, Mode mode) {
  absl::StatusOr<ConnectionPool::Lease> lease = BeginTransaction(mode);
  if (!lease.ok()) return lease.status();
  SqlUnitOfWork uow(**lease, dialect_, mode == Mode::kReadOnly, at_rest_);
  absl::Status s = work(uow);
  if (!s.ok()) {
    (*lease)->Rollback().IgnoreError();
    return s;
  }
  return (*lease)->Commit();
}

absl::Status SqlStore::RunWithRetries(const std::function<absl::Status(UnitOfWork&)>& work,
                                      Mode mode) {
  absl::Status s;
  for (int attempt = 1; attempt <= max_attempts_; ++attempt) {
    s = RunOnce(work, mode);
    if (!IsRetryable(s)) return s;
    if (attempt < max_attempts_) Backoff(attempt);
  }
  return s;
}

absl::Status SqlStore::Transact(const std::function<absl::Status(UnitOfWork&)>& work) {
  absl::Status s = RunWithRetries(work, Mode::kReadWrite);
  if (!s.ok() || flusher_ == nullptr) return s;
  // Committed: returns once it is on disk too (transactions committing at
  // the same time share the fsync).
  return flusher_->Sync();
}

void SqlStore::WhenDurable(std::function<void(absl::Status)> then) {
  if (flusher_ == nullptr) return then(absl::OkStatus());
  flusher_->After(std::move(then));
}

absl::Status SqlStore::Read(const std::function<absl::Status(UnitOfWork&)>& work) {
  return RunWithRetries(work, Mode::kReadOnly);
}

std::vector<absl::Status> SqlStore::RunBatchOnce(
    const std::vector<std::function<absl::Status(UnitOfWork&)>>& pieces, bool isolate,
    absl::Status& commit, bool& piece_failed) {
  std::vector<absl::Status> out(pieces.size());
  piece_failed = false;
  absl::StatusOr<ConnectionPool::Lease> lease = BeginTransaction();
  if (!lease.ok()) {
    commit = lease.status();
    return out;
  }
  Connection& conn = **lease;
  SqlUnitOfWork uow(conn, dialect_, false, at_rest_);
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (!isolate) {
      out[i] = pieces[i](uow);
      if (!out[i].ok()) {
        // Its writes are mixed with the others': drop the whole attempt
        // (a lone piece's failure is simply its answer).
        conn.Rollback().IgnoreError();
        if (pieces.size() == 1) {
          commit = absl::OkStatus();
        } else {
          piece_failed = true;
        }
        return out;
      }
      continue;
    }
    const std::string savepoint = "piece_" + std::to_string(i);
    if (absl::Status s = conn.Savepoint(savepoint); !s.ok()) {
      // The session itself failed: nothing after this can commit.
      conn.Rollback().IgnoreError();
      commit = s;
      return out;
    }
    out[i] = pieces[i](uow);
    absl::Status end = out[i].ok() ? absl::OkStatus() : conn.RollbackToSavepoint(savepoint);
    if (end.ok()) end = conn.ReleaseSavepoint(savepoint);
    if (!end.ok()) {
      conn.Rollback().IgnoreError();
      commit = end;
      return out;
    }
  }
  commit = conn.Commit();
  return out;
}

std::vector<absl::Status> SqlStore::RunBatch(
    const std::vector<std::function<absl::Status(UnitOfWork&)>>& pieces) {
  if (pieces.empty()) return {};
  absl::Status commit;
  std::vector<absl::Status> out;
  // Pieces almost never fail (a duplicate delivery is an OK piece), so the
  // batch first runs without a savepoint per piece (two statements each);
  // only when a piece fails is it rerun with every piece isolated.
  bool isolate = false;
  for (int attempt = 1; attempt <= max_attempts_; ++attempt) {
    bool piece_failed = false;
    out = RunBatchOnce(pieces, isolate, commit, piece_failed);
    if (piece_failed) {
      isolate = true;
      --attempt;  // not a database conflict: does not use up an attempt
      continue;
    }
    if (!IsRetryable(commit)) break;
    if (attempt < max_attempts_) Backoff(attempt);
  }
  // Nothing is durable unless the commit is: every piece then carries its error.
  if (!commit.ok()) out.assign(pieces.size(), commit);
  return out;
}

std::vector<absl::Status> SqlStore::TransactBatch(
    const std::vector<std::function<absl::Status(UnitOfWork&)>>& pieces) {
  std::vector<absl::Status> out = RunBatch(pieces);
  // A piece that alone hit a deadlock or a serialization failure (with
  // another transaction, e.g. another committer's batch on PostgreSQL) wrote
  // nothing while the rest committed: it runs again, in a batch of the
  // pieces that failed so.
  for (int attempt = 1; attempt < max_attempts_; ++attempt) {
    std::vector<size_t> again;
    for (size_t i = 0; i < out.size(); ++i) {
      if (IsRetryable(out[i])) again.push_back(i);
    }
    if (again.empty()) break;
    Backoff(attempt);
    std::vector<std::function<absl::Status(UnitOfWork&)>> rerun;
    rerun.reserve(again.size());
    for (size_t i : again) rerun.push_back(pieces[i]);
    std::vector<absl::Status> results = RunBatch(rerun);
    for (size_t j = 0; j < again.size(); ++j) out[again[j]] = results[j];
  }
  return out;
}

absl::Status SqlStore::Ping() {
  for (int tries = 0;; ++tries) {
    absl::StatusOr<ConnectionPool::Lease> lease = pool_->Acquire();
    if (!lease.ok()) return lease.status();
    absl::Status s = (*lease)->Query("SELECT 1", {}).status();
    // A stale pooled session is dropped with its lease; ask a fresh one
    // before reporting the database down.
    if (s.ok() || lease->fresh() || !(*lease)->broken() || tries > 0) return s;
  }
}

void SqlStore::Backoff(int attempt) const {
  // Jitter keeps two deadlocked transactions from colliding again in step.
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<int> jitter(1, 5 * attempt);
  absl::SleepFor(absl::Milliseconds(jitter(rng)));
}

}  // namespace stagecheck::store
