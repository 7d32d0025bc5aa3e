// Reads the recorded-shape Certn payloads of fixtures/certn/.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace stagecheck::certn::testing {

// STAGECHECK_CERTN_FIXTURES_DIR is compiled in (tests/unit/certn/CMakeLists.txt),
// so the tests find the fixtures however they are started.
inline std::string FixturePath(const std::string& name) {
  const char* root = std::getenv("STAGECHECK_SOURCE_DIR");
  if (root != nullptr) return std::string(root) + "/fixtures/certn/" + name;
  return std::string(STAGECHECK_CERTN_FIXTURES_DIR) + "/" + name;
}

inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace stagecheck::certn::testing
