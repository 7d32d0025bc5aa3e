// What the PostgreSQL driver (postgres_store.cc) sends and reads: parameters
// in binary with explicit types, result cells, SQLSTATEs as statuses, and
// the bounded set of statements a session keeps prepared.
#pragma once

#include <libpq-fe.h>

#include <array>
#include <cstddef>
#include <list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "adapters/store/sql/driver.h"

namespace stagecheck::store::pg {

inline constexpr int kBinary = 1;

// A statement's parameters as libpq takes them. Every parameter travels in
// binary with an explicit type, so text keeps embedded bytes exactly (or is
// refused) instead of being cut at a NUL. Text and bytes point into `params`,
// which must outlive this.
struct PgParams {
  explicit PgParams(std::span<const Value> params);
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::vector<std::array<char, 8>> ints;  // integers in network order
};

// The rows of a result, each cell by its column's type.
std::vector<Row> ReadRows(PGresult* res);

// A SQLSTATE (the PostgreSQL manual's appendix "Error Codes") as a status.
absl::Status FromSqlState(std::string_view state, std::string msg);

// Prepared statements one connection keeps: the SQL of a page or a search
// varies with its filters, so the set is bounded, least recently used out.
inline constexpr size_t kPreparedPerConnection = 256;

// Statement names by key (SQL and parameter types), least recently used
// first out.
class StatementCache {
 public:
  explicit StatementCache(size_t capacity) : capacity_(capacity) {}

  const std::string* Find(const std::string& key);
  // Adds `name` for `key` and returns it; `evicted` is the name that made
  // room, if the cache was full.
  const std::string* Add(std::string key, std::string name, std::optional<std::string>& evicted);
  // A new session (after a reconnect) has none of the old one's statements.
  void Clear();
  void Forget(const std::string& name);

 private:
  using Entry = std::pair<std::string, std::string>;  // key, statement name
  size_t capacity_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
};

}  // namespace stagecheck::store::pg
