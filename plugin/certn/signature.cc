#include "plugin/certn/signature.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck::certn_plugin {
namespace {

absl::Status Refuse(std::string_view code, std::string_view message) {
  return Error(absl::StatusCode::kUnauthenticated, code, message);
}

// The bytes a hex string spells, in either case: the encoding is a guess
// (docs/certn-api.md), and case carries no information. Empty when `s` is
// empty or not hex.
std::string HexBytes(std::string_view s) { return HexDecode(s).value_or(std::string()); }

// Compares raw HMACs (`provided` decoded from its hex): hex-encoding each
// one per delivery cost more than the comparison.
bool MatchesAny(const Crypto& crypto, std::string_view message, std::string_view provided,
                std::span<const std::string_view> secrets) {
  bool matched = false;
  for (std::string_view secret : secrets) {
    // No early exit: the time taken does not tell which secret matched.
    matched |= ConstantTimeEquals(crypto.HmacSha256Digest(secret, message).view(), provided);
  }
  return matched;
}

}  // namespace

absl::StatusOr<ParsedCertnSignature> ParseCertnSignature(std::string_view header) {
  ParsedCertnSignature parsed;
  bool have_t = false;
  for (absl::string_view element : absl::StrSplit(ToAbsl(header), ',')) {
    element = absl::StripAsciiWhitespace(element);
    size_t eq = element.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError("Certn-Signature element without '='");
    }
    absl::string_view prefix = element.substr(0, eq);
    absl::string_view value = element.substr(eq + 1);
    if (prefix == "t") {
      if (have_t || !absl::SimpleAtoi(value, &parsed.timestamp) || parsed.timestamp < 0) {
        return absl::InvalidArgumentError("Certn-Signature has a bad or repeated timestamp");
      }
      have_t = true;
    } else if (prefix == "v1") {
      std::string hmac = value.size() == 64 ? HexBytes(ToStd(value)) : std::string();
      if (hmac.empty()) {
        return absl::InvalidArgumentError("Certn-Signature v1 is not a hex SHA-256 HMAC");
      }
      parsed.v1.push_back(std::move(hmac));
    }
    // Other schemes (v0, v2, ...) are ignored, as Certn documents.
  }
  if (!have_t) return absl::InvalidArgumentError("Certn-Signature has no timestamp");
  if (parsed.v1.empty()) return absl::InvalidArgumentError("Certn-Signature has no v1 signature");
  return parsed;
}

absl::Status VerifySignature(const Crypto& crypto, const SignatureCheck& check,
                             std::string_view body, std::span<const std::string_view> secrets,
                             absl::Time now, absl::Duration tolerance) {
  if (secrets.empty()) return Refuse("no_secret", "the team has no webhook secret");
  if (check.scheme == SignatureScheme::kXSignature) {
    std::string_view value = check.header_value;
    if (value.size() != 64)
      return Refuse("malformed_signature", "X-Signature is not a hex SHA-256 HMAC");
    // Not hex: decodes to nothing, which no HMAC equals.
    const std::optional<Sha256Digest> provided = HexDecodeDigest(value);
    if (!MatchesAny(crypto, body, provided.has_value() ? provided->view() : std::string_view(),
                    secrets)) {
      return Refuse("bad_signature", "X-Signature does not match");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<ParsedCertnSignature> parsed = ParseCertnSignature(check.header_value);
  if (!parsed.ok()) return Refuse("malformed_signature", ToStd(parsed.status().message()));
  absl::Time signed_at = absl::FromUnixSeconds(parsed->timestamp);
  if (signed_at < now - tolerance || signed_at > now + tolerance) {
    return Refuse("stale_signature", "Certn-Signature timestamp is outside the tolerance window");
  }
  std::string message = absl::StrCat(parsed->timestamp, ".", ToAbsl(body));
  bool matched = false;
  for (const std::string& v1 : parsed->v1) matched |= MatchesAny(crypto, message, v1, secrets);
  if (!matched) return Refuse("bad_signature", "no Certn-Signature v1 value matches");
  return absl::OkStatus();
}

std::string SignXSignature(const Crypto& crypto, std::string_view secret, std::string_view body) {
  return HexEncode(crypto.HmacSha256(secret, body));
}

std::string SignCertnSignature(const Crypto& crypto, std::string_view secret, int64_t timestamp,
                               std::string_view body) {
  std::string message = absl::StrCat(timestamp, ".", ToAbsl(body));
  return absl::StrCat("t=", timestamp, ",v1=", HexEncode(crypto.HmacSha256(secret, message)));
}

}  // namespace stagecheck::certn_plugin
