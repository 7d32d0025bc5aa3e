// Report data at rest (issue 19): a check's per-check results and a
// candidate's file contents are sealed with the deployment key (the Cipher
// that also seals vendor credentials: AES-256-GCM, "v1:" + base64), so a
// copied database file does not disclose reports. Rows written before v11,
// or by a command run without the key, are in clear and read as they are.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "core/ports/cipher.h"

namespace stagecheck::store {

// Sealed text starts with the cipher's version prefix; JSON never does.
inline bool IsSealed(std::string_view stored) { return stored.starts_with("v1:"); }

// `plain` sealed under `at_rest`, or as it is without a cipher.
inline absl::StatusOr<std::string> Seal(Cipher* at_rest, std::string plain) {
  if (at_rest == nullptr) return plain;
  return at_rest->Encrypt(plain);
}

// Results as stored (sealed or not) back to JSON. Without a cipher, sealed
// results read as none: the commands run without the key never show or
// write them (docs/operations.md).
inline absl::StatusOr<std::string> OpenResults(Cipher* at_rest, std::string stored) {
  if (!IsSealed(stored)) return stored;
  if (at_rest == nullptr) return std::string("[]");
  return at_rest->Decrypt(stored);
}

}  // namespace stagecheck::store
