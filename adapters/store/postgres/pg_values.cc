#include "adapters/store/postgres/pg_values.h"

#include <cstdint>
#include <utility>
#include <variant>

namespace stagecheck::store::pg {
namespace {

// Type oids from PostgreSQL's pg_type.dat (stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;

uint64_t ReadBigEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

Value Cell(PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return std::monostate{};
  const char* p = PQgetvalue(res, row, col);
  const int len = PQgetlength(res, row, col);
  switch (PQftype(res, col)) {
    case kInt8Oid:
    case kInt4Oid:
    case kInt2Oid: {
      // Sign-extend from the column's width.
      uint64_t u = ReadBigEndian(p, len);
      const int shift = 64 - 8 * len;
      return static_cast<int64_t>(u << shift) >> shift;
    }
    case kBoolOid:
      return int64_t{len > 0 && p[0] != 0};
    case kByteaOid:
      return Blob{std::string(p, len)};
    default:
      return std::string(p, len);
  }
}

}  // namespace

PgParams::PgParams(std::span<const Value> params)
    : types(params.size(), 0),
      values(params.size(), nullptr),
      lengths(params.size(), 0),
      formats(params.size(), kBinary),
      ints(params.size()) {
  auto text = [&](size_t i, Oid type, std::string_view bytes) {
    types[i] = type;
    values[i] = bytes.data();
    lengths[i] = static_cast<int>(bytes.size());
  };
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    if (const int64_t* x = std::get_if<int64_t>(&v)) {
      uint64_t u = static_cast<uint64_t>(*x);
      for (int b = 7; b >= 0; --b, u >>= 8) ints[i][b] = static_cast<char>(u & 0xff);
      text(i, kInt8Oid, std::string_view(ints[i].data(), ints[i].size()));
    } else if (const std::string* s = std::get_if<std::string>(&v)) {
      text(i, kTextOid, *s);
    } else if (const TextRef* t = std::get_if<TextRef>(&v)) {
      text(i, kTextOid, t->text);
    } else if (const Blob* b = std::get_if<Blob>(&v)) {
      text(i, kByteaOid, b->bytes);
    } else if (const BlobRef* r = std::get_if<BlobRef>(&v)) {
      text(i, kByteaOid, r->bytes);
    }
  }
}

std::vector<Row> ReadRows(PGresult* res) {
  const int nrows = PQntuples(res);
  const int ncols = PQnfields(res);
  std::vector<Row> rows;
  rows.reserve(nrows);
  for (int r = 0; r < nrows; ++r) {
    Row row;
    row.reserve(ncols);
    for (int c = 0; c < ncols; ++c) row.push_back(Cell(res, r, c));
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::Status FromSqlState(std::string_view state, std::string msg) {
  if (state == "23505") return absl::AlreadyExistsError(msg);
  if (state == "23503") return absl::FailedPreconditionError(msg);
  if (state == "40001" || state == "40P01") return MarkRetryable(absl::AbortedError(msg));
  if (state == "57014") return absl::DeadlineExceededError(msg);  // statement_timeout
  if (state.starts_with("23") || state.starts_with("22")) return absl::InvalidArgumentError(msg);
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57P")) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

const std::string* StatementCache::Find(const std::string& key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);  // now the most recent
  return &it->second->second;
}

const std::string* StatementCache::Add(std::string key, std::string name,
                                       std::optional<std::string>& evicted) {
  if (order_.size() >= capacity_) {
    evicted = std::move(order_.back().second);
    by_key_.erase(order_.back().first);
    order_.pop_back();
  }
  order_.emplace_front(std::move(key), std::move(name));
  by_key_[order_.front().first] = order_.begin();
  return &order_.front().second;
}

void StatementCache::Clear() {
  by_key_.clear();
  order_.clear();
}

void StatementCache::Forget(const std::string& name) {
  for (auto it = order_.begin(); it != order_.end(); ++it) {
    if (it->second != name) continue;
    by_key_.erase(it->first);
    order_.erase(it);
    return;
  }
}

}  // namespace stagecheck::store::pg
