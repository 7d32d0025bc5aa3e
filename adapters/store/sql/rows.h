// What every statement of the SQL unit of work shares: parameters from domain
// values (P, Bytes), a left-to-right reader of result rows (Cells) and the
// readers of whole results (MapRows, Single), so that each aggregate's
// statements and row mappers can live in a file of their own. Keyset pages
// are in pages.h.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/driver.h"
#include "core/ids.h"
#include "core/strings.h"

namespace stagecheck::store::rows {

// ---- Parameters -----------------------------------------------------------

inline Value P(const std::string& s) { return s; }
inline Value P(const char* s) { return std::string(s); }
inline Value P(std::string_view s) { return std::string(s); }
inline Value P(int64_t i) { return i; }
inline Value P(int i) { return int64_t{i}; }
inline Value P(absl::Time t) { return ToMicros(t); }
template <typename Tag>
Value P(const Id<Tag>& id) {
  return id.value();
}
template <typename T>
Value P(const std::optional<T>& v) {
  if (!v.has_value()) return std::monostate{};
  return P(*v);
}
// Borrowed: the string must outlive the statement (driver.h, TextRef).
inline Value PRef(const std::string& s) { return TextRef{s}; }
template <typename Tag>
Value PRef(const Id<Tag>& id) {
  return TextRef{id.value()};
}
template <typename T>
Value PRef(const std::optional<T>& v) {
  if (!v.has_value()) return std::monostate{};
  return PRef(*v);
}
inline Value BytesRef(const std::string& s) { return BlobRef{s}; }
inline Value Bytes(const std::string& s) { return Blob{s}; }
inline Value Bytes(const std::optional<std::string>& s) {
  if (!s.has_value()) return std::monostate{};
  return Blob{*s};
}

// ---- Result cells ---------------------------------------------------------

// Reads a row left to right, so that column lists and readers stay in step.
class Cells {
 public:
  explicit Cells(const Row& row, size_t first = 0) : row_(row), i_(first) {}

  std::optional<std::string> OptText() {
    const Value& v = row_.at(i_++);
    if (const std::string* s = std::get_if<std::string>(&v)) return *s;
    if (const Blob* b = std::get_if<Blob>(&v)) return b->bytes;
    if (const int64_t* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
    return std::nullopt;
  }
  std::string Text() { return OptText().value_or(std::string()); }
  std::optional<int64_t> OptInt() {
    const Value& v = row_.at(i_++);
    if (const int64_t* n = std::get_if<int64_t>(&v)) return *n;
    return std::nullopt;
  }
  int64_t Int() { return OptInt().value_or(0); }
  absl::Time Time() { return FromMicros(Int()); }
  std::optional<absl::Time> OptTime() {
    std::optional<int64_t> us = OptInt();
    if (!us.has_value()) return std::nullopt;
    return FromMicros(*us);
  }
  template <typename IdT>
  IdT IdOf() {
    return IdT(Text());
  }
  template <typename IdT>
  std::optional<IdT> OptId() {
    std::optional<std::string> s = OptText();
    if (!s.has_value()) return std::nullopt;
    return IdT(*std::move(s));
  }

 private:
  const Row& row_;
  size_t i_;
};

inline absl::Status Corrupt(std::string_view column, std::string_view value) {
  return absl::DataLossError(
      absl::StrCat("unexpected stored ", ToAbsl(column), " '", ToAbsl(value), "'"));
}

// Maps every row, stopping at the first that cannot be read.
template <typename T, typename Fn>
absl::StatusOr<std::vector<T>> MapRows(const std::vector<Row>& rows, Fn read) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    absl::StatusOr<T> item = read(row);
    if (!item.ok()) return item.status();
    out.push_back(*std::move(item));
  }
  return out;
}

// The one row a keyed SELECT finds, or NotFound.
inline absl::StatusOr<Row> Single(absl::StatusOr<std::vector<Row>> rows, std::string_view what) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError(absl::StrCat(ToAbsl(what), " not found"));
  return std::move(rows->front());
}

// ---- Statements over many rows or keys ------------------------------------

// A statement over a varying number of rows or keys (a multi-row INSERT, an
// IN list) is cut into runs of 16, 8, 4, 2 and 1, largest first, so that it
// has only five shapes, each prepared once per connection on PostgreSQL.
inline constexpr size_t kMaxRun = 16;

// The statements `shape(n)` builds for n = 1, 2, 4, 8 and 16, indexed by n.
inline std::vector<std::string> RunShapes(const std::function<std::string(size_t n)>& shape) {
  std::vector<std::string> sql(kMaxRun + 1);
  for (size_t n = 1; n <= kMaxRun; n *= 2) sql[n] = shape(n);
  return sql;
}

// `keys` sorted, each once: a look-up in runs asks for a key once.
template <typename Key>
std::vector<Key> SortedDistinct(std::span<const Key> keys) {
  std::vector<Key> distinct(keys.begin(), keys.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  return distinct;
}

// Calls `run(at, n)` for each run of `count` items, in order; stops at the
// first error and returns it.
inline absl::Status ForEachRun(size_t count,
                               const std::function<absl::Status(size_t at, size_t n)>& run) {
  for (size_t at = 0; at < count;) {
    size_t n = kMaxRun;
    while (n > count - at) n /= 2;
    if (absl::Status s = run(at, n); !s.ok()) return s;
    at += n;
  }
  return absl::OkStatus();
}

}  // namespace stagecheck::store::rows
