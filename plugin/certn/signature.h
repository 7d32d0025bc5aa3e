// Verification of Certn's two webhook signature schemes (docs/certn-api.md):
//   X-Signature: hex(HMAC-SHA256(secret, body))
//   Certn-Signature: t=<unix>,v1=<hex(HMAC-SHA256(secret, t + "." + body))>[,v1=...]
// Comparison is constant-time; several secrets may be valid during rotation.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/ports/crypto.h"

namespace stagecheck::certn_plugin {

enum class SignatureScheme { kXSignature, kCertnSignature };

struct ParsedCertnSignature {
  int64_t timestamp = 0;
  // Every v1 value, decoded once: the 32 bytes of an HMAC-SHA256. Other
  // schemes are ignored.
  std::vector<std::string> v1;
};

// InvalidArgument (naming what is wrong, never echoing values) when malformed.
absl::StatusOr<ParsedCertnSignature> ParseCertnSignature(std::string_view header);

struct SignatureCheck {
  SignatureScheme scheme = SignatureScheme::kXSignature;
  std::string_view header_value;  // the X-Signature or Certn-Signature header
};

// OK when any of `secrets` signed `body`; Unauthenticated otherwise (stale
// timestamp, no match, malformed header), with a message safe to log.
absl::Status VerifySignature(const Crypto& crypto, const SignatureCheck& check,
                             std::string_view body, std::span<const std::string_view> secrets,
                             absl::Time now, absl::Duration tolerance);

// What the fake Certn and the tests use to sign.
std::string SignXSignature(const Crypto& crypto, std::string_view secret, std::string_view body);
std::string SignCertnSignature(const Crypto& crypto, std::string_view secret, int64_t timestamp,
                               std::string_view body);

}  // namespace stagecheck::certn_plugin
