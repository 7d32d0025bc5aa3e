// Signing outbound webhooks the Standard Webhooks way (standardwebhooks.com,
// summarised in docs/outbound-webhooks.md), so that a host ATS can verify them
// with any of that project's libraries:
//
//   webhook-id:        msg_<unique id>; the same on every retry of one event
//   webhook-timestamp: seconds since the epoch of this attempt
//   webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>
//
// A secret is "whsec_" + base64 of 24 random bytes; the HMAC key is the
// decoded bytes. While a rotated secret's grace period lasts, both secrets
// sign and the header lists both signatures, space-separated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/ports/crypto.h"

namespace stagecheck {

inline constexpr std::string_view kWebhookSecretPrefix = "whsec_";

// A fresh "whsec_..." secret.
std::string NewWebhookSecret(const Crypto& crypto);

// The HMAC key inside a secret (the prefix is optional, as in the standard's
// libraries). InvalidArgument when the rest is not base64 of 24 to 64 bytes.
absl::StatusOr<std::string> WebhookSecretKey(std::string_view secret);

// "v1,<base64>" for one secret. The secret must be valid (WebhookSecretKey).
absl::StatusOr<std::string> SignWebhook(const Crypto& crypto, std::string_view secret,
                                        std::string_view msg_id, int64_t timestamp,
                                        std::string_view body);

// The webhook-signature header: one "v1,..." per secret, space-separated.
absl::StatusOr<std::string> WebhookSignatureHeader(const Crypto& crypto,
                                                   const std::vector<std::string>& secrets,
                                                   std::string_view msg_id, int64_t timestamp,
                                                   std::string_view body);

}  // namespace stagecheck
