// Searches every text and byte column of every table of a test database, as
// its schema catalogue lists them (SQLite: sqlite_master and table_info;
// PostgreSQL: information_schema.columns), for a string: the erasure tests
// prove with it that no column anywhere still holds a candidate's words.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace stagecheck::storetest {

// "table.column" of every column with at least one value containing `needle`
// (case-sensitive, byte for byte; no wildcards).
absl::StatusOr<std::vector<std::string>> ColumnsContaining(std::string_view db,
                                                           std::string_view needle);

// How many text and byte columns the catalogue lists (so a test can see the
// search covered the schema).
absl::StatusOr<int> CountSearchableColumns(std::string_view db);

}  // namespace stagecheck::storetest
