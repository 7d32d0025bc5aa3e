#include "tests/conformance/store/backend_under_test.h"

namespace stagecheck::storetest {

std::string_view BackendUnderTest() { return "postgres"; }

}  // namespace stagecheck::storetest
