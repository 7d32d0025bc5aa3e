// The small driver interface the SQL store is written against. A back-end
// (SQLite, PostgreSQL) implements Connection; everything above it (the unit
// of work, transactions, retries, migrations) is written once in sql/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace stagecheck::store {

// Bytes that must travel as a BLOB/BYTEA rather than as text.
struct Blob {
  std::string bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};

// Text or bytes a parameter borrows from the caller instead of copying: for
// the large, per-row values of a hot statement (a webhook delivery's body),
// whose owner outlives the statement. Never a result cell.
struct TextRef {
  std::string_view text;
  friend bool operator==(const TextRef&, const TextRef&) = default;
};
struct BlobRef {
  std::string_view bytes;
  friend bool operator==(const BlobRef&, const BlobRef&) = default;
};

// A parameter or a result cell: NULL, 64-bit integer, text or blob (a
// parameter may also borrow its text or blob).
using Value = std::variant<std::monostate, int64_t, std::string, Blob, TextRef, BlobRef>;
using Row = std::vector<Value>;

// One database session. Not thread-safe: a pool lends it to one caller at a time.
class Connection {
 public:
  virtual ~Connection() = default;

  // Runs one statement; returns the number of rows it changed.
  virtual absl::StatusOr<int64_t> Exec(std::string_view sql, std::span<const Value> params) = 0;
  virtual absl::StatusOr<std::vector<Row>> Query(std::string_view sql,
                                                 std::span<const Value> params) = 0;
  // Runs several parameterless statements (migrations).
  virtual absl::Status ExecScript(std::string_view sql) = 0;

  virtual absl::Status Begin() = 0;
  // A read-only transaction: one consistent snapshot that never waits for a
  // writer (SQLite WAL readers; PostgreSQL REPEATABLE READ READ ONLY).
  virtual absl::Status BeginRead() = 0;
  virtual absl::Status Commit() = 0;
  virtual absl::Status Rollback() = 0;
  virtual absl::Status Savepoint(std::string_view name) = 0;
  virtual absl::Status ReleaseSavepoint(std::string_view name) = 0;
  virtual absl::Status RollbackToSavepoint(std::string_view name) = 0;

  // True once the session is unusable (server gone): the pool then drops it.
  virtual bool broken() const = 0;
};

// Errors the store may retry the whole transaction for (serialization
// failure, deadlock) carry this payload.
inline constexpr char kRetryablePayload[] = "https://stagecheck.dev/store/retryable";
absl::Status MarkRetryable(absl::Status status);
bool IsRetryable(const absl::Status& status);

}  // namespace stagecheck::store
