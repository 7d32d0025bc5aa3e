#include "core/services/standard_webhooks.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

constexpr size_t kSecretBytes = 24;

}  // namespace

std::string NewWebhookSecret(const Crypto& crypto) {
  return absl::StrCat(ToAbsl(kWebhookSecretPrefix),
                      absl::Base64Escape(crypto.RandomBytes(kSecretBytes)));
}

absl::StatusOr<std::string> WebhookSecretKey(std::string_view secret) {
  if (secret.substr(0, kWebhookSecretPrefix.size()) == kWebhookSecretPrefix) {
    secret.remove_prefix(kWebhookSecretPrefix.size());
  }
  std::string key;
  if (!absl::Base64Unescape(ToAbsl(secret), &key) || key.size() < kSecretBytes || key.size() > 64) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_webhook_secret",
                 "A webhook secret is \"whsec_\" followed by base64 of 24 to 64 bytes.");
  }
  return key;
}

absl::StatusOr<std::string> SignWebhook(const Crypto& crypto, std::string_view secret,
                                        std::string_view msg_id, int64_t timestamp,
                                        std::string_view body) {
  ASSIGN_OR_RETURN(std::string key, WebhookSecretKey(secret));
  std::string signed_content = absl::StrCat(ToAbsl(msg_id), ".", timestamp, ".", ToAbsl(body));
  return absl::StrCat("v1,", absl::Base64Escape(crypto.HmacSha256(key, signed_content)));
}

absl::StatusOr<std::string> WebhookSignatureHeader(const Crypto& crypto,
                                                   const std::vector<std::string>& secrets,
                                                   std::string_view msg_id, int64_t timestamp,
                                                   std::string_view body) {
  std::string header;
  for (const std::string& secret : secrets) {
    ASSIGN_OR_RETURN(std::string signature, SignWebhook(crypto, secret, msg_id, timestamp, body));
    absl::StrAppend(&header, header.empty() ? "" : " ", signature);
  }
  return header;
}

}  // namespace stagecheck
