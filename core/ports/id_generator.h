#pragma once

#include <string>

namespace stagecheck {

// Produces unique, unguessable identifiers (random UUIDs in production).
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string NewId() = 0;
};

}  // namespace stagecheck
