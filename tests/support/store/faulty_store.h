// A Store decorator for "the database is down" tests: forwards to a real
// store until told to fail, then answers Transact/Read/TransactBatch (and Ping)
// with the injected status. Counts calls. Thread-safe.
//
//   FaultyStore store(*real);
//   store.SetDown(true);                 // every call → Unavailable (HTTP 503)
//   store.FailNext(2);                   // or only the next two transactions
//   EXPECT_EQ(store.transact_calls(), 3);
#pragma once

#include <atomic>
#include <functional>
#include <mutex>

#include "absl/status/status.h"
#include "core/ports/store.h"

namespace stagecheck::storetest {

class FaultyStore final : public Store {
 public:
  // `inner` must outlive this decorator.
  explicit FaultyStore(Store& inner) : inner_(inner) {}

  // While down, every Transact, TransactBatch and Ping fails with `status`
  // and `work` is not run.
  void SetDown(bool down, absl::Status status = DefaultFault());
  // The next `n` transactions (Transact or TransactBatch) fail with `status`.
  void FailNext(int n, absl::Status status = DefaultFault());

  int transact_calls() const { return transact_calls_.load(); }  // Transact and Read
  int read_calls() const { return read_calls_.load(); }
  int batch_calls() const { return batch_calls_.load(); }
  int ping_calls() const { return ping_calls_.load(); }
  // Calls answered with the injected fault (not forwarded).
  int failed_calls() const { return failed_calls_.load(); }

  absl::Status Transact(const std::function<absl::Status(UnitOfWork&)>& work) override;
  // A Read counts (and fails) as a transaction, like Transact.
  absl::Status Read(const std::function<absl::Status(UnitOfWork&)>& work) override;
  std::vector<absl::Status> TransactBatch(
      const std::vector<std::function<absl::Status(UnitOfWork&)>>& pieces) override;
  void WhenDurable(std::function<void(absl::Status)> then) override {
    inner_.WhenDurable(std::move(then));
  }
  absl::Status Ping() override;
  std::string_view backend() const override { return inner_.backend(); }

  static absl::Status DefaultFault() {
    return absl::UnavailableError("injected fault: store unavailable");
  }

 private:
  // The fault for this transaction, or OK to forward it.
  absl::Status TakeFault();
  // Counts a Transact or Read and forwards it unless a fault is due.
  absl::Status CountedTransaction(const std::function<absl::Status()>& forward);

  Store& inner_;
  mutable std::mutex mu_;
  bool down_ = false;
  int fail_next_ = 0;
  absl::Status fault_;
  std::atomic<int> transact_calls_{0};
  std::atomic<int> read_calls_{0};
  std::atomic<int> batch_calls_{0};
  std::atomic<int> ping_calls_{0};
  std::atomic<int> failed_calls_{0};
};

}  // namespace stagecheck::storetest
