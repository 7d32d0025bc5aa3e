// Reads the recorded-shape Certn payloads of fixtures/certn/.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace stagecheck::certn::testing {

inline std::string FixturePath(const std::string& name) {
  const char* root = std::getenv("STAGECHECK_SOURCE_DIR");
  return std::string(root != nullptr ? root : ".") + "/fixtures/certn/" + name;
}

inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace stagecheck::certn::testing
