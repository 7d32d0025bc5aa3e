#include "adapters/crypto/aes_gcm_cipher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>

#include "absl/status/status.h"
#include "adapters/crypto/codec.h"
#include "core/ports/crypto.h"

namespace stagecheck::crypto {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr std::string_view kPrefix = "v1:";
// Bound to every message, so a v1 payload cannot be replayed as another format.
constexpr std::string_view kAad = "stagecheck-cipher-v1";

using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CtxPtr NewCtx() { return CtxPtr(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free); }

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

absl::Status CannotDecrypt() {
  // One message for every failure: which check failed is itself information.
  return absl::DataLossError("stored secret cannot be decrypted (wrong key or corrupted data)");
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

absl::StatusOr<std::string> ParseEncryptionKey(std::string_view text) {
  text = Trim(text);
  if (text.size() == kKeyBytes * 2) {
    if (std::optional<std::string> key = HexDecode(text)) return *std::move(key);
  }
  if (std::optional<std::string> key = Base64Decode(text); key && key->size() == kKeyBytes) {
    return *std::move(key);
  }
  return absl::InvalidArgumentError(
      "encryption key must be 64 hex characters or base64 of 32 bytes");
}

absl::StatusOr<std::unique_ptr<AesGcmCipher>> AesGcmCipher::FromRawKey(std::string_view key) {
  if (key.size() != kKeyBytes) {
    return absl::InvalidArgumentError("encryption key must be 32 bytes");
  }
  return std::unique_ptr<AesGcmCipher>(new AesGcmCipher(std::string(key)));
}

absl::StatusOr<std::unique_ptr<AesGcmCipher>> AesGcmCipher::FromKeyText(std::string_view text) {
  absl::StatusOr<std::string> key = ParseEncryptionKey(text);
  if (!key.ok()) return key.status();
  auto cipher = FromRawKey(*key);
  OPENSSL_cleanse(key->data(), key->size());
  return cipher;
}

absl::StatusOr<std::unique_ptr<AesGcmCipher>> AesGcmCipher::FromKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError("cannot read encryption key file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto cipher = FromKeyText(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!cipher.ok()) {
    return absl::InvalidArgumentError("encryption key file " + path +
                                      ": must hold 64 hex characters or base64 of 32 bytes");
  }
  return cipher;
}

absl::StatusOr<std::unique_ptr<AesGcmCipher>> AesGcmCipher::FromConfig(
    const std::string& key_file) {
  if (const char* env = std::getenv(kEncryptionKeyEnv); env != nullptr && *env != '\0') {
    auto cipher = FromKeyText(env);
    if (!cipher.ok()) {
      return absl::InvalidArgumentError(std::string(kEncryptionKeyEnv) +
                                        ": must be 64 hex characters or base64 of 32 bytes");
    }
    return cipher;
  }
  if (!key_file.empty()) return FromKeyFile(key_file);
  return absl::FailedPreconditionError(std::string("no encryption key: set ") + kEncryptionKeyEnv +
                                       " or pass a key file");
}

AesGcmCipher::~AesGcmCipher() { OPENSSL_cleanse(key_.data(), key_.size()); }

absl::StatusOr<std::string> AesGcmCipher::Encrypt(std::string_view plaintext) {
  std::string raw(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  unsigned char* nonce = U(raw);
  if (RAND_bytes(nonce, kNonceBytes) != 1) return absl::InternalError("random generator failed");
  CtxPtr ctx = NewCtx();
  int len = 0;
  int total = 0;
  bool ok = ctx &&
            EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key_), nonce) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(kAad), kAad.size()) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nonce + kNonceBytes, &len, U(plaintext),
                              static_cast<int>(plaintext.size())) == 1;
  total = len;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), nonce + kNonceBytes + total, &len) == 1;
  total += len;
  ok = ok && static_cast<size_t>(total) == plaintext.size() &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                           nonce + kNonceBytes + total) == 1;
  if (!ok) return absl::InternalError("encryption failed");
  return std::string(kPrefix) + Base64Encode(raw);
}

absl::StatusOr<std::string> AesGcmCipher::Decrypt(std::string_view ciphertext) {
  if (ciphertext.substr(0, kPrefix.size()) != kPrefix) return CannotDecrypt();
  std::optional<std::string> raw = Base64Decode(ciphertext.substr(kPrefix.size()));
  if (!raw.has_value() || raw->size() < kNonceBytes + kTagBytes) return CannotDecrypt();
  const size_t body = raw->size() - kNonceBytes - kTagBytes;
  unsigned char* nonce = U(*raw);
  unsigned char* tag = nonce + kNonceBytes + body;
  std::string plaintext(body, '\0');
  CtxPtr ctx = NewCtx();
  int len = 0;
  bool ok = ctx &&
            EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key_), nonce) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(kAad), kAad.size()) == 1 &&
            EVP_DecryptUpdate(ctx.get(), U(plaintext), &len, nonce + kNonceBytes,
                              static_cast<int>(body)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) == 1;
  int final_len = 0;
  // The tag is checked here; a failure means wrong key or tampering.
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), U(plaintext) + len, &final_len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return CannotDecrypt();
  }
  return plaintext;
}

}  // namespace stagecheck::crypto
