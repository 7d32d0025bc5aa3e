// libFuzzer target for the webhook's input path: the thin-event parser (and
// that its fast and tolerant readers agree), the Certn-Signature header parser
// and signature verification in both schemes.
// Input layout: byte 0 picks the scheme, then the header value up to the
// first '\n', then the body.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "adapters/crypto/openssl_crypto.h"
#include "core/errors.h"
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
  // Differential: what both parsers read as JSON, they read the same
  // (webhook_event.cc), so the fast one never changes an answer. rapidjson
  // refuses some numbers simdjson reads (0e872); there only simdjson counts.
  absl::StatusOr<WebhookEvent> fast = ParseWebhookEventWith(EventParser::kFast, body);
  if (fast.ok() || fast.status().message() != "body is not JSON") {
    absl::StatusOr<WebhookEvent> tolerant = ParseWebhookEventWith(EventParser::kTolerant, body);
    if (tolerant.ok() || ErrorCode(tolerant.status()) != "invalid_json") {
      if (fast.ok() != tolerant.ok()) __builtin_trap();
      if (!fast.ok() && fast.status() != tolerant.status()) __builtin_trap();
      if (fast.ok() &&
          (fast->id != tolerant->id || fast->event_type != tolerant->event_type ||
           fast->object_id != tolerant->object_id || fast->object_type != tolerant->object_type)) {
        __builtin_trap();
      }
    }
    if (fast.ok() && (!event.ok() || event->id != fast->id)) __builtin_trap();
  }
  (void)ParseCertnSignature(header);
  SignatureCheck check{
      certn_scheme ? SignatureScheme::kCertnSignature : SignatureScheme::kXSignature, header};
  constexpr std::string_view kBoth[] = {"whsec_fuzz_secret_0001", "whsec_fuzz_previous_02"};
  absl::Status verified = VerifySignature(crypto, check, body, kBoth,
                                          absl::FromUnixSeconds(1700000000), absl::Minutes(5));
  // A signature made with the secret over this very body must verify.
  if (!certn_scheme) {
    std::string good = SignXSignature(crypto, "whsec_fuzz_secret_0001", body);
    if (!VerifySignature(crypto, {SignatureScheme::kXSignature, good}, body, std::span(kBoth, 1),
                         absl::FromUnixSeconds(1700000000), absl::Minutes(5))
             .ok()) {
      __builtin_trap();
    }
  }
  (void)verified;
  return 0;
}
