// A small blocking pool of connections, shared by every back-end. A broken
// connection is dropped when returned, together with every idle one (after
// a server restart they are all stale), so the next caller gets a fresh one.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/store/sql/driver.h"

namespace stagecheck::store {

class ConnectionPool {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<Connection>>()>;

  // A borrowed connection that goes back to the pool when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn, bool fresh)
        : pool_(pool), conn_(std::move(conn)), fresh_(fresh) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }
    // True when the connection was opened for this lease (not reused).
    bool fresh() const { return fresh_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
    bool fresh_;
  };

  ConnectionPool(Factory factory, int max_size);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Blocks while all max_size connections are lent out.
  absl::StatusOr<Lease> Acquire();

 private:
  void Release(std::unique_ptr<Connection> conn);

  Factory factory_;
  const int max_size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // idle + lent
};

}  // namespace stagecheck::store
