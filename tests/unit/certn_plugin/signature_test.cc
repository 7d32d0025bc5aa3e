// Signature vectors computed independently with the OpenSSL CLI:
//   printf '%s' "$BODY" | openssl dgst -sha256 -hmac whsec_test_secret_0001
//   printf '%s' "1700000000.$BODY" | openssl dgst -sha256 -hmac whsec_test_secret_0001
#include "plugin/certn/signature.h"

#include "adapters/crypto/openssl_crypto.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace stagecheck::certn_plugin {
namespace {

constexpr char kBody[] =
    R"({"id":"d-1","event_type":"CASE_STATUS_CHANGED","object_id":"case-1","object_type":"CASE"})";
constexpr char kSecret[] = "whsec_test_secret_0001";
constexpr char kRotated[] = "whsec_rotated_secret_02";
constexpr char kXSig[] = "72d9c560e8ce30e5e74accb32ffe6ee30bdd30ca4b89dae363f8728d7d84cd11";
constexpr char kV1[] = "1c6c77bd9db50beefbea95e07244f553f46eea61cb6d13eefd07fcd4cd314839";
constexpr char kV1Rotated[] = "60db18bebc1e0379a0d4011cb237c641694c2f0b503d0f78d830e41a47bb7357";
constexpr int64_t kT = 1700000000;

class SignatureTest : public testing::Test {
 protected:
  absl::Status VerifyX(std::string sig, std::string body = kBody,
                       std::vector<std::string_view> secrets = {kSecret}) {
    return VerifySignature(crypto_, {SignatureScheme::kXSignature, sig}, body, secrets, now_,
                           absl::Minutes(5));
  }
  absl::Status VerifyC(std::string header, std::string body = kBody,
                       std::vector<std::string_view> secrets = {kSecret}) {
    return VerifySignature(crypto_, {SignatureScheme::kCertnSignature, header}, body, secrets, now_,
                           absl::Minutes(5));
  }
  crypto::OpenSslCrypto crypto_;
  absl::Time now_ = absl::FromUnixSeconds(kT + 30);
};

TEST_F(SignatureTest, SigningMatchesTheIndependentVectors) {
  EXPECT_EQ(SignXSignature(crypto_, kSecret, kBody), kXSig);
  EXPECT_EQ(SignCertnSignature(crypto_, kSecret, kT, kBody), std::string("t=1700000000,v1=") + kV1);
}

TEST_F(SignatureTest, XSignatureValid) { EXPECT_TRUE(VerifyX(kXSig).ok()); }

TEST_F(SignatureTest, XSignatureUpperCaseHexAccepted) {
  std::string upper = kXSig;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(VerifyX(upper).ok());
}

// The header is decoded once and compared as bytes: either case, or a mix,
// spells the same HMAC; 64 characters that are not hex match nothing.
TEST_F(SignatureTest, HexOfEitherCaseIsTheSameSignatureAndNonHexMatchesNothing) {
  std::string mixed = kXSig;
  for (size_t i = 0; i < mixed.size(); i += 2) mixed[i] = static_cast<char>(std::toupper(mixed[i]));
  EXPECT_TRUE(VerifyX(mixed).ok());
  std::string v1 = kV1;
  for (char& c : v1) c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(VerifyC("t=1700000000,v1=" + v1).ok());
  std::string not_hex = kXSig;
  not_hex[63] = 'g';
  EXPECT_EQ(ErrorCode(VerifyX(not_hex)), "bad_signature");
  EXPECT_EQ(ErrorCode(VerifyX(std::string(64, 'z'))), "bad_signature");
  EXPECT_EQ(ErrorCode(VerifyC("t=1700000000,v1=" + not_hex)), "malformed_signature");
}

TEST_F(SignatureTest, XSignatureWrongSecretRefused) {
  absl::Status s = VerifyX(kXSig, kBody, {"whsec_some_other_secret"});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorCode(s), "bad_signature");
}

TEST_F(SignatureTest, XSignatureTamperedBodyRefused) {
  std::string tampered = kBody;
  tampered[10] = 'X';
  EXPECT_EQ(ErrorCode(VerifyX(kXSig, tampered)), "bad_signature");
}

TEST_F(SignatureTest, XSignatureMalformedRefused) {
  EXPECT_EQ(ErrorCode(VerifyX("")), "malformed_signature");
  EXPECT_EQ(ErrorCode(VerifyX("abc")), "malformed_signature");
}

TEST_F(SignatureTest, CertnSignatureValid) {
  EXPECT_TRUE(VerifyC(std::string("t=1700000000,v1=") + kV1).ok());
}

TEST_F(SignatureTest, CertnSignatureWrongSecretRefused) {
  EXPECT_EQ(ErrorCode(VerifyC(std::string("t=1700000000,v1=") + kV1, kBody, {kRotated})),
            "bad_signature");
}

TEST_F(SignatureTest, CertnSignatureTamperedBodyRefused) {
  EXPECT_EQ(ErrorCode(VerifyC(std::string("t=1700000000,v1=") + kV1, std::string(kBody) + " ")),
            "bad_signature");
}

TEST_F(SignatureTest, CertnSignatureTimestampIsSigned) {
  // The same v1 with another t no longer matches.
  now_ = absl::FromUnixSeconds(kT + 1);
  EXPECT_EQ(ErrorCode(VerifyC(std::string("t=1700000001,v1=") + kV1)), "bad_signature");
}

TEST_F(SignatureTest, StaleAndFutureTimestampsRefused) {
  now_ = absl::FromUnixSeconds(kT) + absl::Minutes(5) + absl::Seconds(1);
  EXPECT_EQ(ErrorCode(VerifyC(std::string("t=1700000000,v1=") + kV1)), "stale_signature");
  now_ = absl::FromUnixSeconds(kT) - absl::Minutes(5) - absl::Seconds(1);
  EXPECT_EQ(ErrorCode(VerifyC(std::string("t=1700000000,v1=") + kV1)), "stale_signature");
  now_ = absl::FromUnixSeconds(kT) + absl::Minutes(5);
  EXPECT_TRUE(VerifyC(std::string("t=1700000000,v1=") + kV1).ok());
}

TEST_F(SignatureTest, UnknownSchemesAreIgnored) {
  EXPECT_TRUE(VerifyC(std::string("t=1700000000,v0=deadbeef,v1=") + kV1 + ",v2=zzz").ok());
}

TEST_F(SignatureTest, OnlyUnknownSchemesIsRefused) {
  EXPECT_EQ(ErrorCode(VerifyC("t=1700000000,v0=deadbeef")), "malformed_signature");
}

TEST_F(SignatureTest, SeveralV1ValuesAnyMayMatch) {
  std::string wrong(64, 'a');
  EXPECT_TRUE(VerifyC("t=1700000000,v1=" + wrong + ",v1=" + kV1).ok());
  EXPECT_EQ(ErrorCode(VerifyC("t=1700000000,v1=" + wrong + ",v1=" + wrong)), "bad_signature");
}

TEST_F(SignatureTest, MalformedHeadersRefused) {
  const std::string v1 = kV1;
  for (const std::string& header : std::vector<std::string>{
           "", "garbage", "v1=abc", std::string("v1=") + kV1, "t=,v1=" + std::string(kV1),
           "t=abc,v1=" + std::string(kV1), "t=1700000000",
           "t=1700000000,t=1700000000,v1=" + std::string(kV1), "t=1700000000,v1=xyz"}) {
    EXPECT_EQ(ErrorCode(VerifyC(header)), "malformed_signature") << header;
  }
}

TEST_F(SignatureTest, RotatedSecretsBothAccepted) {
  std::vector<std::string_view> both = {kRotated, kSecret};
  EXPECT_TRUE(VerifyC(std::string("t=1700000000,v1=") + kV1, kBody, both).ok());
  EXPECT_TRUE(VerifyC(std::string("t=1700000000,v1=") + kV1Rotated, kBody, both).ok());
  EXPECT_EQ(ErrorCode(VerifyC(std::string("t=1700000000,v1=") + kV1, kBody, {kRotated})),
            "bad_signature");
}

TEST_F(SignatureTest, NoSecretRefused) {
  EXPECT_EQ(ErrorCode(VerifyX(kXSig, kBody, {})), "no_secret");
}

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace stagecheck::certn_plugin
