// The column types the SQL dialects spell differently, so that a migration
// naming them is written once (portable_migrations.h): `{int64}` is SQLite's
// INTEGER and PostgreSQL's BIGINT, `{bytes}` SQLite's BLOB and PostgreSQL's
// BYTEA. Each back-end's migrations.cc states its spelling and spells the SQL
// at compile time; a placeholder other than these two does not compile.
#pragma once

#include <cstddef>
#include <string_view>

namespace stagecheck::store::portable {

struct ColumnTypes {
  std::string_view int64;
  std::string_view bytes;
};

namespace internal {

// Not constexpr: a migration that reaches it fails to compile.
inline void UnknownPlaceholder() {}

// The type named by the placeholder at sql[at] ('{'), and its length.
constexpr std::string_view TypeAt(std::string_view sql, size_t at, const ColumnTypes& types,
                                  size_t& placeholder_size) {
  constexpr std::string_view kInt64 = "{int64}";
  constexpr std::string_view kBytes = "{bytes}";
  if (sql.substr(at, kInt64.size()) == kInt64) {
    placeholder_size = kInt64.size();
    return types.int64;
  }
  if (sql.substr(at, kBytes.size()) == kBytes) {
    placeholder_size = kBytes.size();
    return types.bytes;
  }
  UnknownPlaceholder();
  return {};
}

constexpr size_t SpelledSize(std::string_view sql, const ColumnTypes& types) {
  size_t size = 0;
  for (size_t i = 0; i < sql.size();) {
    if (sql[i] != '{') {
      ++size;
      ++i;
      continue;
    }
    size_t skip = 0;
    size += TypeAt(sql, i, types, skip).size();
    i += skip;
  }
  return size;
}

}  // namespace internal

template <size_t N>
struct SpelledSql {
  char text[N] = {};
  constexpr std::string_view view() const { return std::string_view(text, N); }
};

// `sql` with `types` written in place of its placeholders:
//   constexpr auto kV1 = portable::Spelled<portable::kInitialSchema, kTypes>();
template <const std::string_view& sql, const ColumnTypes& types>
consteval auto Spelled() {
  SpelledSql<internal::SpelledSize(sql, types)> out;
  size_t o = 0;
  for (size_t i = 0; i < sql.size();) {
    if (sql[i] != '{') {
      out.text[o++] = sql[i++];
      continue;
    }
    size_t skip = 0;
    for (char c : internal::TypeAt(sql, i, types, skip)) out.text[o++] = c;
    i += skip;
  }
  return out;
}

}  // namespace stagecheck::store::portable
