// Every route table the service registers, core and plugins, in one list:
// adapters/cli/main.cc registers them, and the access test walks them all
// (tests/unit/http/route_table_test.cc), so a new table is added here once.
#pragma once

#include <span>
#include <vector>

#include "adapters/http/api/route_table.h"

namespace stagecheck::http {

std::vector<std::span<const Route>> AllRouteTables();

}  // namespace stagecheck::http
