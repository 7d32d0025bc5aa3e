#pragma once
// The Store back-end a conformance binary runs the suite against: "sqlite" or
// "postgres". The suite's files are compiled once (an object library) and
// linked into one binary per back-end; each binary adds the one small file
// that defines this function (sqlite/backend.cc, postgres/backend.cc).
#include <string_view>

namespace stagecheck::storetest {

std::string_view BackendUnderTest();

}  // namespace stagecheck::storetest
