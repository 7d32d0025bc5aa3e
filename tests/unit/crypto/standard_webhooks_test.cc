// Outbound webhook signatures against the Standard Webhooks project's own
// test vector (its Python library's test_sign_function), and the secret format.
#include "core/services/standard_webhooks.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "adapters/crypto/openssl_crypto.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kMsgId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
constexpr char kBody[] = R"({"test": 2432232314})";

TEST(StandardWebhooksTest, SignsTheStandardsTestVector) {
  crypto::OpenSslCrypto crypto;
  auto signature = SignWebhook(crypto, kSecret, kMsgId, kTimestamp, kBody);
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(*signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // The prefix is optional, as in the standard's libraries.
  auto unprefixed =
      SignWebhook(crypto, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", kMsgId, kTimestamp, kBody);
  ASSERT_TRUE(unprefixed.ok());
  EXPECT_EQ(*unprefixed, *signature);
}

TEST(StandardWebhooksTest, EachPartOfTheSignedContentChangesTheSignature) {
  crypto::OpenSslCrypto crypto;
  std::string base = *SignWebhook(crypto, kSecret, kMsgId, kTimestamp, kBody);
  EXPECT_NE(*SignWebhook(crypto, kSecret, "msg_other", kTimestamp, kBody), base);
  EXPECT_NE(*SignWebhook(crypto, kSecret, kMsgId, kTimestamp + 1, kBody), base);
  EXPECT_NE(*SignWebhook(crypto, kSecret, kMsgId, kTimestamp, R"({"test": 1})"), base);
}

TEST(StandardWebhooksTest, DuringARotationBothSecretsSign) {
  crypto::OpenSslCrypto crypto;
  std::string fresh = NewWebhookSecret(crypto);
  auto header = WebhookSignatureHeader(crypto, {fresh, kSecret}, kMsgId, kTimestamp, kBody);
  ASSERT_TRUE(header.ok()) << header.status();
  std::string old_signature = *SignWebhook(crypto, kSecret, kMsgId, kTimestamp, kBody);
  std::string new_signature = *SignWebhook(crypto, fresh, kMsgId, kTimestamp, kBody);
  EXPECT_EQ(*header, new_signature + " " + old_signature);
}

TEST(StandardWebhooksTest, NewSecretsAreWhsecAndBase64Of24RandomBytes) {
  crypto::OpenSslCrypto crypto;
  std::string a = NewWebhookSecret(crypto);
  std::string b = NewWebhookSecret(crypto);
  EXPECT_NE(a, b);
  ASSERT_TRUE(absl::StartsWith(a, "whsec_")) << a;
  auto key = WebhookSecretKey(a);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->size(), 24u);
}

TEST(StandardWebhooksTest, MalformedSecretsAreRefusedWithoutEchoingThem) {
  crypto::OpenSslCrypto crypto;
  for (const char* secret :
       {"", "whsec_", "whsec_!!!notbase64!!!", "whsec_c2hvcnQ=",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}) {
    auto signature = SignWebhook(crypto, secret, kMsgId, kTimestamp, kBody);
    ASSERT_FALSE(signature.ok()) << secret;
    EXPECT_EQ(ErrorCode(signature.status()), "invalid_webhook_secret");
    if (std::string(secret).size() > 6) {
      EXPECT_EQ(signature.status().message().find(secret), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace stagecheck
