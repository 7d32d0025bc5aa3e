#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace stagecheck {

// Authenticated encryption of secrets at rest (AES-256-GCM in production).
// Ciphertext is opaque text, safe to store in a TEXT column.
class Cipher {
 public:
  virtual ~Cipher() = default;
  virtual absl::StatusOr<std::string> Encrypt(std::string_view plaintext) = 0;
  // Fails (without revealing anything) when the ciphertext was tampered with
  // or made under another key.
  virtual absl::StatusOr<std::string> Decrypt(std::string_view ciphertext) = 0;
};

}  // namespace stagecheck
