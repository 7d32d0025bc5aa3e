// libFuzzer target for the webhook's input path: the thin-event parser, the
// Certn-Signature header parser and signature verification in both schemes.
// Input layout: byte 0 picks the scheme, then the header value up to the
// first '\n', then the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/crypto/openssl_crypto.h"
#include "plugin/certn/signature.h"
#include "plugin/certn/webhook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stagecheck;
  using namespace stagecheck::certn_plugin;
  static const crypto::OpenSslCrypto crypto;
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  bool certn_scheme = (input[0] & 1) != 0;
  input.remove_prefix(1);
  size_t newline = input.find('\n');
  std::string_view header = input.substr(0, newline);
  std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  absl::StatusOr<WebhookEvent> event = ParseWebhookEvent(body);
  if (event.ok()) (void)IsKnownEvent(*event);
  (void)ParseCertnSignature(header);
  SignatureCheck check{
      certn_scheme ? SignatureScheme::kCertnSignature : SignatureScheme::kXSignature,
      std::string(header)};
  absl::Status verified =
      VerifySignature(crypto, check, body, {"whsec_fuzz_secret_0001", "whsec_fuzz_previous_02"},
                      absl::FromUnixSeconds(1700000000), absl::Minutes(5));
  // A signature made with the secret over this very body must verify.
  if (!certn_scheme) {
    std::string good = SignXSignature(crypto, "whsec_fuzz_secret_0001", body);
    if (!VerifySignature(crypto, {SignatureScheme::kXSignature, good}, body,
                         {"whsec_fuzz_secret_0001"}, absl::FromUnixSeconds(1700000000),
                         absl::Minutes(5))
             .ok()) {
      __builtin_trap();
    }
  }
  (void)verified;
  return 0;
}
