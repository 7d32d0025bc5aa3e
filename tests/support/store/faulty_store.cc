#include "tests/support/store/faulty_store.h"

namespace stagecheck::storetest {

void FaultyStore::SetDown(bool down, absl::Status status) {
  std::lock_guard lock(mu_);
  down_ = down;
  fault_ = std::move(status);
}

void FaultyStore::FailNext(int n, absl::Status status) {
  std::lock_guard lock(mu_);
  fail_next_ = n;
  fault_ = std::move(status);
}

absl::Status FaultyStore::TakeFault() {
  std::lock_guard lock(mu_);
  if (down_) return fault_;
  if (fail_next_ > 0) {
    --fail_next_;
    return fault_;
  }
  return absl::OkStatus();
}

absl::Status FaultyStore::CountedTransaction(const std::function<absl::Status()>& forward) {
  ++transact_calls_;
  if (absl::Status fault = TakeFault(); !fault.ok()) {
    ++failed_calls_;
    return fault;
  }
  return forward();
}

absl::Status FaultyStore::Transact(const std::function<absl::Status(UnitOfWork&)>& work) {
  return CountedTransaction([&] { return inner_.Transact(work); });
}

absl::Status FaultyStore::Read(const std::function<absl::Status(UnitOfWork&)>& work) {
  ++read_calls_;
  return CountedTransaction([&] { return inner_.Read(work); });
}

std::vector<absl::Status> FaultyStore::TransactBatch(
    const std::vector<std::function<absl::Status(UnitOfWork&)>>& pieces) {
  ++batch_calls_;
  if (absl::Status fault = TakeFault(); !fault.ok()) {
    ++failed_calls_;
    return std::vector<absl::Status>(pieces.size(), fault);
  }
  return inner_.TransactBatch(pieces);
}

absl::Status FaultyStore::Ping() {
  ++ping_calls_;
  std::lock_guard lock(mu_);
  if (down_) return fault_;
  return inner_.Ping();
}

}  // namespace stagecheck::storetest
