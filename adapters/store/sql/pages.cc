#include "adapters/store/sql/pages.h"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck::store::pages {
namespace {

// The rows strictly after the cursor's keys in the order: "k1 <= ? AND (k1 <
// ? OR (k1 = ? AND (k2 < ? OR ...)))" (">" ascending); the leading bound lets
// both databases seek the index instead of scanning it from the start.
absl::Status AppendAfter(const Keyset& order, const Cursor& cursor, std::string& sql,
                         std::vector<Value>& params) {
  const absl::Status bad = absl::InvalidArgumentError("invalid pagination cursor");
  if (cursor.order != order.name || cursor.keys.size() != order.keys.size()) return bad;
  std::vector<Value> values;
  for (size_t i = 0; i < order.keys.size(); ++i) {
    const std::string& text = cursor.keys[i];
    if (!order.keys[i].integer) {
      values.push_back(text);
      continue;
    }
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || ptr != text.data() + text.size()) return bad;
    values.emplace_back(n);
  }
  const char* op = order.descending ? " < ?" : " > ?";
  absl::StrAppend(&sql, " AND ", ToAbsl(order.keys[0].column),
                  order.descending ? " <= ?" : " >= ?");
  params.push_back(values[0]);
  std::string tail;
  for (size_t i = order.keys.size(); i-- > 0;) {
    std::string_view col = order.keys[i].column;
    tail = tail.empty()
               ? absl::StrCat(ToAbsl(col), op)
               : absl::StrCat("(", ToAbsl(col), op, " OR (", ToAbsl(col), " = ? AND ", tail, "))");
  }
  absl::StrAppend(&sql, " AND ", tail);
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    params.push_back(values[i]);
    params.push_back(values[i]);
  }
  params.push_back(values.back());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PageQuery> BuildPage(std::string_view select_from, std::string_view filter,
                                    std::vector<Value> params, const Keyset& order,
                                    const PageRequest& page) {
  absl::StatusOr<std::optional<Cursor>> cursor = DecodeCursor(page.after);
  if (!cursor.ok()) return cursor.status();
  PageQuery q;
  q.limit = PageLimit(page.limit);
  q.sql = absl::StrCat(ToAbsl(select_from), " WHERE ", ToAbsl(filter));
  if (cursor->has_value()) RETURN_IF_ERROR(AppendAfter(order, **cursor, q.sql, params));
  const char* dir = order.descending ? " DESC" : " ASC";
  absl::StrAppend(&q.sql, " ORDER BY ",
                  absl::StrJoin(order.keys, ", ",
                                [dir](std::string* out, const SortKey& k) {
                                  absl::StrAppend(out, ToAbsl(k.column), dir);
                                }),
                  " LIMIT ?");
  params.emplace_back(int64_t{q.limit + 1});
  q.params = std::move(params);
  return q;
}

absl::StatusOr<PageQuery> BuildPage(std::string_view select_from, std::string_view filter,
                                    std::vector<Value> params, std::string_view sort_col,
                                    std::string_view id_col, const PageRequest& page) {
  return BuildPage(select_from, filter, std::move(params),
                   Keyset{"", {{sort_col, true}, {id_col, false}}, true}, page);
}

}  // namespace stagecheck::store::pages
