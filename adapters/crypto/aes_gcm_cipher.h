// AES-256-GCM implementation of the Cipher port, for secrets at rest (Certn
// API keys, webhook secrets).
//
// Ciphertext text: "v1:" + base64(nonce[12] | ciphertext | tag[16]); a fresh
// random nonce per message. The version prefix leaves room for key rotation.
//
//   auto cipher = AesGcmCipher::FromConfig(flags.key_file);  // env var or file
//   if (!cipher.ok()) return cipher.status();
//   absl::StatusOr<std::string> stored = (*cipher)->Encrypt(api_key);
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/ports/cipher.h"

namespace stagecheck::crypto {

inline constexpr char kEncryptionKeyEnv[] = "STAGECHECK_ENCRYPTION_KEY";

// Parses key text: 64 hex characters or base64 of exactly 32 bytes,
// surrounding whitespace ignored. Errors never echo the text.
absl::StatusOr<std::string> ParseEncryptionKey(std::string_view text);

class AesGcmCipher final : public Cipher {
 public:
  // `key` is 32 raw bytes.
  static absl::StatusOr<std::unique_ptr<AesGcmCipher>> FromRawKey(std::string_view key);
  // Key text as accepted by ParseEncryptionKey.
  static absl::StatusOr<std::unique_ptr<AesGcmCipher>> FromKeyText(std::string_view text);
  // Reads the key text from a file (e.g. a mounted secret).
  static absl::StatusOr<std::unique_ptr<AesGcmCipher>> FromKeyFile(const std::string& path);
  // STAGECHECK_ENCRYPTION_KEY when set, else `key_file` when non-empty, else
  // FailedPrecondition naming both options.
  static absl::StatusOr<std::unique_ptr<AesGcmCipher>> FromConfig(const std::string& key_file);

  ~AesGcmCipher() override;

  absl::StatusOr<std::string> Encrypt(std::string_view plaintext) override;
  // DataLoss with a fixed message on a wrong key, tampering or bad format.
  absl::StatusOr<std::string> Decrypt(std::string_view ciphertext) override;

 private:
  explicit AesGcmCipher(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace stagecheck::crypto
