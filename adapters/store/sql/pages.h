// Keyset pages, shared by every list of the SQL unit of work: a page is
// "WHERE <filter> [AND after cursor] ORDER BY <keys> LIMIT n+1", so every
// list is stable under inserts and both databases seek an index range.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/driver.h"
#include "core/ports/store.h"

namespace stagecheck::store::pages {

// One column of a keyset order; an order's last key is unique (the id).
struct SortKey {
  std::string_view column;
  bool integer = false;  // bound as int64 (times, ranks), else as text
};
struct Keyset {
  std::string_view name;  // "" for a list with one order (Cursor::order)
  std::vector<SortKey> keys;
  bool descending = true;
};

struct PageQuery {
  std::string sql;
  std::vector<Value> params;
  int limit = 0;
};

// `select_from` WHERE `filter` (whose `?` are `params`), after the page's
// cursor, in `order`, one row more than the page holds.
absl::StatusOr<PageQuery> BuildPage(std::string_view select_from, std::string_view filter,
                                    std::vector<Value> params, const Keyset& order,
                                    const PageRequest& page);

// The lists ordered by (time, id), newest first.
absl::StatusOr<PageQuery> BuildPage(std::string_view select_from, std::string_view filter,
                                    std::vector<Value> params, std::string_view sort_col,
                                    std::string_view id_col, const PageRequest& page);

// Trims the look-ahead row and sets the cursor of the next page.
template <typename T, typename KeyFn>
Page<T> FinishPage(std::vector<T> items, int limit, KeyFn key) {
  Page<T> page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(limit);
    page.next = EncodeCursor(key(items.back()));
  }
  page.items = std::move(items);
  return page;
}

}  // namespace stagecheck::store::pages
