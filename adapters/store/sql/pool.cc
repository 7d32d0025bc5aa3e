#include "adapters/store/sql/pool.h"

#include <utility>

namespace stagecheck::store {

absl::Status MarkRetryable(absl::Status status) {
  status.SetPayload(kRetryablePayload, absl::Cord("1"));
  return status;
}

bool IsRetryable(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kRetryablePayload).has_value();
}

ConnectionPool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

ConnectionPool::ConnectionPool(Factory factory, int max_size)
    : factory_(std::move(factory)), max_size_(max_size < 1 ? 1 : max_size) {}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_size_; });
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn), /*fresh=*/false);
    }
    ++open_;  // reserve the slot; connect outside the lock
  }
  absl::StatusOr<std::unique_ptr<Connection>> conn = factory_();
  if (!conn.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_one();
    return conn.status();
  }
  return Lease(this, *std::move(conn), /*fresh=*/true);
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  std::vector<std::unique_ptr<Connection>> stale;
  {
    std::lock_guard lock(mu_);
    if (conn->broken()) {
      // The server probably went away: every idle session is as stale.
      stale = std::move(idle_);
      idle_.clear();
      open_ -= 1 + static_cast<int>(stale.size());
      stale.push_back(std::move(conn));
    } else {
      idle_.push_back(std::move(conn));
    }
    cv_.notify_all();
  }
  // `stale` closes its connections here, outside the lock.
}

}  // namespace stagecheck::store
