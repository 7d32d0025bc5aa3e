#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "adapters/crypto/aes_gcm_cipher.h"
#include "adapters/crypto/api_token.h"
#include "adapters/crypto/codec.h"
#include "adapters/crypto/openssl_crypto.h"
#include "core/ports/crypto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stagecheck::crypto {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

std::string Hex(std::string_view bytes) { return HexEncode(bytes); }
std::string Unhex(std::string_view hex) { return HexDecode(hex).value(); }

// RFC 4231 section 4: HMAC-SHA-256 test cases 1-4, 6, 7 (5 is truncated, below).
struct HmacVector {
  std::string name;  // stable test name (ctest filters by it)
  std::string key;
  std::string data;
  std::string mac_hex;
};

// Keeps ctest's test names readable and stable (no byte dumps).
void PrintTo(const HmacVector& v, std::ostream* os) { *os << v.name; }

class Rfc4231 : public ::testing::TestWithParam<HmacVector> {};

TEST_P(Rfc4231, HmacSha256MatchesTheRfc) {
  const HmacVector& v = GetParam();
  EXPECT_EQ(Hex(OpenSslCrypto().HmacSha256(v.key, v.data)), v.mac_hex);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, Rfc4231,
    ::testing::Values(
        HmacVector{"Case1", std::string(20, '\x0b'), "Hi There",
                   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        HmacVector{"Case2", "Jefe", "what do ya want for nothing?",
                   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        HmacVector{"Case3", std::string(20, '\xaa'), std::string(50, '\xdd'),
                   "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        HmacVector{"Case4", Unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                   std::string(50, '\xcd'),
                   "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        HmacVector{"Case6", std::string(131, '\xaa'),
                   "Test Using Larger Than Block-Size Key - Hash Key First",
                   "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        HmacVector{"Case7", std::string(131, '\xaa'),
                   "This is a test using a larger than block-size key and a larger than "
                   "block-size data. The key needs to be hashed before being used by the HMAC "
                   "algorithm.",
                   "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"}),
    [](const auto& info) { return info.param.name; });

TEST(Hmac, Rfc4231TruncatedCase5) {
  std::string mac = OpenSslCrypto().HmacSha256(std::string(20, '\x0c'), "Test With Truncation");
  EXPECT_EQ(Hex(mac.substr(0, 16)), "a3b6167473100ee06e0c796c2955552b");
}

// The context is reused per thread: a new key must fully replace the last,
// and an empty key or message is still HMAC.
TEST(Hmac, ReusedContextCarriesNothingBetweenKeys) {
  OpenSslCrypto crypto;
  const std::string first = crypto.HmacSha256("key-one", "message");
  const std::string other = crypto.HmacSha256(std::string(200, 'k'), "message");  // hashed long key
  EXPECT_NE(first, other);
  EXPECT_EQ(crypto.HmacSha256("key-one", "message"), first);
  EXPECT_EQ(Hex(crypto.HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  std::string from_another_thread;
  std::thread t([&] { from_another_thread = crypto.HmacSha256("key-one", "message"); });
  t.join();
  EXPECT_EQ(from_another_thread, first);
}

TEST(Sha256, MatchesFips180Vectors) {
  OpenSslCrypto crypto;
  EXPECT_EQ(Hex(crypto.Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(crypto.Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// A thread's HMAC context stays keyed between calls with the same key; a
// different key, an empty one or a long one must each still give RFC 4231's
// answer whatever came before.
TEST(HmacSha256, InterleavedAndRepeatedKeysGiveTheSameAnswers) {
  OpenSslCrypto crypto;
  const std::string key1(20, '\x0b'), data1 = "Hi There";
  const std::string want1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  const std::string key2 = "Jefe", data2 = "what do ya want for nothing?";
  const std::string want2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const std::string long_key(131, '\xaa');
  const std::string long_data = "Test Using Larger Than Block-Size Key - Hash Key First";
  const std::string want_long = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
  const std::string want_empty = Hex(crypto.HmacSha256("", data1));
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(Hex(crypto.HmacSha256(key1, data1)), want1) << round;
    EXPECT_EQ(Hex(crypto.HmacSha256(key1, data1)), want1) << round;
    EXPECT_EQ(Hex(crypto.HmacSha256(key2, data2)), want2) << round;
    EXPECT_EQ(Hex(crypto.HmacSha256("", data1)), want_empty) << round;
    EXPECT_EQ(Hex(crypto.HmacSha256(long_key, long_data)), want_long) << round;
    EXPECT_EQ(Hex(crypto.HmacSha256(long_key, long_data)), want_long) << round;
  }
  // A key that starts like the last one but is longer is another key.
  EXPECT_NE(Hex(crypto.HmacSha256(key2 + "x", data2)), want2);
  EXPECT_EQ(Hex(crypto.HmacSha256(key2, data2)), want2);
}

TEST(RandomBytes, HaveTheRequestedLengthAndDiffer) {
  OpenSslCrypto crypto;
  EXPECT_EQ(crypto.RandomBytes(0), "");
  std::string a = crypto.RandomBytes(32);
  std::string b = crypto.RandomBytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(Uuid, IsVersion4AndUnique) {
  UuidGenerator ids;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = ids.NewId();
    EXPECT_THAT(
        id, MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(FormatUuidV4(std::string(16, '\xff')), "ffffffff-ffff-4fff-bfff-ffffffffffff");
}

TEST(Uuid, ThreadsDrawingAtOnceNeverRepeatAnId) {
  UuidGenerator ids;
  std::vector<std::vector<std::string>> drawn(4);
  std::vector<std::thread> threads;
  for (auto& mine : drawn) {
    threads.emplace_back([&ids, &mine] {
      for (int i = 0; i < 500; ++i) mine.push_back(ids.NewId());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> seen;
  for (const auto& mine : drawn) seen.insert(mine.begin(), mine.end());
  EXPECT_EQ(seen.size(), 2000u);
}

// Ids are cut from a per-thread pool of random bytes; a forked child must not
// go on cutting the pool its parent still holds.
TEST(Uuid, AForkedChildDoesNotRepeatItsParentsNextIds) {
  UuidGenerator ids;
  (void)ids.NewId();  // the pool is filled and partly used
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string out;
    for (int i = 0; i < 8; ++i) out += ids.NewId();
    ssize_t written = write(pipe_fds[1], out.data(), out.size());
    _exit(written == static_cast<ssize_t>(out.size()) ? 0 : 1);
  }
  close(pipe_fds[1]);
  std::string from_child(8 * 36, '\0');
  size_t got = 0;
  while (got < from_child.size()) {
    ssize_t n = read(pipe_fds[0], from_child.data() + got, from_child.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, from_child.size());
  std::set<std::string> child_ids;
  for (size_t at = 0; at < got; at += 36) child_ids.insert(from_child.substr(at, 36));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(child_ids.count(ids.NewId()), 0u);
}

// RFC 4648 section 10.
class Base64Vectors : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(Base64Vectors, EncodeAndDecode) {
  auto [plain, encoded] = GetParam();
  EXPECT_EQ(Base64Encode(plain), encoded);
  EXPECT_EQ(Base64Decode(encoded), plain);
  std::string unpadded = encoded.substr(0, encoded.find('='));
  EXPECT_EQ(Base64UrlEncode(plain), unpadded);
  EXPECT_EQ(Base64UrlDecode(unpadded), plain);
  EXPECT_EQ(Base64Decode(unpadded), plain);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc4648, Base64Vectors,
    ::testing::Values(std::make_tuple("", ""), std::make_tuple("f", "Zg=="),
                      std::make_tuple("fo", "Zm8="), std::make_tuple("foo", "Zm9v"),
                      std::make_tuple("foob", "Zm9vYg=="), std::make_tuple("fooba", "Zm9vYmE="),
                      std::make_tuple("foobar", "Zm9vYmFy")),
    [](const auto& info) { return "Length" + std::to_string(std::get<0>(info.param).size()); });

TEST(Base64, RoundTripsEveryByteAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 7) {
    std::string bytes = all.substr(0, n);
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes) << n;
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(bytes)), bytes) << n;
  }
  EXPECT_THAT(Base64UrlEncode(all), Not(HasSubstr("+")));
  EXPECT_THAT(Base64UrlEncode(all), Not(HasSubstr("/")));
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_FALSE(Base64Decode("Z").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v!").has_value());
  EXPECT_FALSE(Base64Decode("Zm=9").has_value());
  EXPECT_FALSE(Base64Decode("Zh==").has_value());  // non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecode("ab+/").has_value());
  EXPECT_FALSE(Base64Decode("ab-_").has_value());
}

TEST(Hex, DecodesAndRejects) {
  EXPECT_EQ(HexDecode("00fFa0"), std::string("\x00\xff\xa0", 3));
  EXPECT_EQ(HexDecode(""), std::string());
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_FALSE(HexDecode("0g").has_value());
  EXPECT_FALSE(HexDecode(std::string("\xff"
                                     "0",
                                     2))
                   .has_value());  // a high byte indexes no digit
  EXPECT_FALSE(HexDecode(std::string("0\0", 2)).has_value());
}

TEST(Hex, DigitValuesInEitherCase) {
  const std::string digits = "0123456789abcdef";
  for (int v = 0; v < 16; ++v) {
    EXPECT_EQ(HexDigitValue(digits[v]), v);
    EXPECT_EQ(HexDigitValue(static_cast<char>(std::toupper(digits[v]))), v);
  }
  for (int c = 0; c < 256; ++c) {
    if (digits.find(static_cast<char>(std::tolower(c))) != std::string::npos) continue;
    EXPECT_EQ(HexDigitValue(static_cast<char>(c)), -1) << "byte " << c;
  }
}

TEST(Hex, RoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(HexDecode(HexEncode(all)), all);
}

TEST(ApiToken, HasPrefixLengthAndHashes) {
  OpenSslCrypto crypto;
  std::string token = GenerateApiToken(crypto);
  EXPECT_THAT(token, MatchesRegex("sc_[A-Za-z0-9_-]{43}"));
  EXPECT_TRUE(LooksLikeApiToken(token));
  EXPECT_NE(token, GenerateApiToken(crypto));
  std::string hash = HashApiToken(crypto, token);
  EXPECT_THAT(hash, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(hash, HashApiToken(crypto, token));
  EXPECT_EQ(HashApiToken(crypto, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(LooksLikeApiToken("sc_short"));
  EXPECT_FALSE(LooksLikeApiToken("xx" + token.substr(2)));
}

constexpr char kHexKey[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::unique_ptr<AesGcmCipher> CipherFor(std::string_view text) {
  auto cipher = AesGcmCipher::FromKeyText(text);
  EXPECT_TRUE(cipher.ok()) << cipher.status();
  return cipher.ok() ? *std::move(cipher) : nullptr;
}

TEST(AesGcm, RoundTripsWithAFreshNonceEachTime) {
  auto cipher = CipherFor(kHexKey);
  ASSERT_NE(cipher, nullptr);
  for (std::string plain : {std::string(), std::string("certn-api-key-123"), std::string(5000, 'z'),
                            std::string("\0binary\xff", 8)}) {
    auto a = cipher->Encrypt(plain);
    auto b = cipher->Encrypt(plain);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_THAT(*a, ::testing::StartsWith("v1:"));
    EXPECT_NE(*a, *b);
    if (!plain.empty()) {
      EXPECT_THAT(*a, Not(HasSubstr(plain)));
    }
    EXPECT_EQ(cipher->Decrypt(*a).value(), plain);
    EXPECT_EQ(cipher->Decrypt(*b).value(), plain);
  }
}

TEST(AesGcm, DetectsTamperingAnywhere) {
  auto cipher = CipherFor(kHexKey);
  ASSERT_NE(cipher, nullptr);
  std::string sealed = cipher->Encrypt("the secret value").value();
  std::string raw = Base64Decode(sealed.substr(3)).value();
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string flipped = raw;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    auto result = cipher->Decrypt("v1:" + Base64Encode(flipped));
    ASSERT_FALSE(result.ok()) << "byte " << i;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(result.status().message()), Not(HasSubstr("secret value")));
  }
  EXPECT_FALSE(cipher->Decrypt("v1:" + Base64Encode(raw.substr(0, raw.size() - 1))).ok());
  EXPECT_FALSE(cipher->Decrypt("v2:" + sealed.substr(3)).ok());
  EXPECT_FALSE(cipher->Decrypt("v1:***").ok());
  EXPECT_FALSE(cipher->Decrypt("v1:" + Base64Encode("short")).ok());
  EXPECT_FALSE(cipher->Decrypt("").ok());
}

TEST(AesGcm, FailsUnderAnotherKeyWithTheSameMessage) {
  auto right = CipherFor(kHexKey);
  auto wrong = CipherFor(std::string(64, 'f'));
  ASSERT_NE(right, nullptr);
  ASSERT_NE(wrong, nullptr);
  std::string sealed = right->Encrypt("secret").value();
  auto result = wrong->Decrypt(sealed);
  ASSERT_FALSE(result.ok());
  auto tampered = right->Decrypt("v1:" + Base64Encode(std::string(40, 'x')));
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(result.status(), tampered.status());  // no hint which check failed
}

TEST(AesGcm, AcceptsHexAndBase64KeysToTheSameEffect) {
  std::string raw = HexDecode(kHexKey).value();
  auto from_hex = CipherFor(kHexKey);
  auto from_b64 = CipherFor("  " + Base64Encode(raw) + "\n");
  auto from_raw = AesGcmCipher::FromRawKey(raw);
  ASSERT_TRUE(from_raw.ok());
  ASSERT_NE(from_hex, nullptr);
  ASSERT_NE(from_b64, nullptr);
  std::string sealed = from_hex->Encrypt("x").value();
  EXPECT_EQ(from_b64->Decrypt(sealed).value(), "x");
  EXPECT_EQ((*from_raw)->Decrypt(sealed).value(), "x");
}

TEST(AesGcm, RejectsBadKeysWithoutEchoingThem) {
  for (std::string bad : {std::string(""), std::string(63, 'a'), std::string(64, 'g'),
                          Base64Encode(std::string(31, 'k')), std::string("not-a-key-SECRETish")}) {
    auto cipher = AesGcmCipher::FromKeyText(bad);
    ASSERT_FALSE(cipher.ok()) << bad;
    EXPECT_EQ(cipher.status().code(), absl::StatusCode::kInvalidArgument);
    if (!bad.empty()) {
      EXPECT_THAT(std::string(cipher.status().message()), Not(HasSubstr(bad)));
    }
  }
  EXPECT_FALSE(AesGcmCipher::FromRawKey("short").ok());
}

TEST(AesGcm, LoadsTheKeyFromTheEnvironmentOrAFile) {
  std::string path = ::testing::TempDir() + "/stagecheck_key_test";
  {
    std::ofstream out(path);
    out << kHexKey << "\n";
  }
  ::unsetenv(kEncryptionKeyEnv);
  EXPECT_EQ(AesGcmCipher::FromConfig("").status().code(), absl::StatusCode::kFailedPrecondition);
  auto from_file = AesGcmCipher::FromConfig(path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  std::string sealed = (*from_file)->Encrypt("k").value();

  ::setenv(kEncryptionKeyEnv, kHexKey, 1);
  auto from_env = AesGcmCipher::FromConfig("/nonexistent");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ((*from_env)->Decrypt(sealed).value(), "k");

  ::setenv(kEncryptionKeyEnv, "garbage-key-material", 1);
  auto bad_env = AesGcmCipher::FromConfig("");
  ASSERT_FALSE(bad_env.ok());
  EXPECT_THAT(std::string(bad_env.status().message()), Not(HasSubstr("garbage-key-material")));
  ::unsetenv(kEncryptionKeyEnv);

  EXPECT_EQ(AesGcmCipher::FromKeyFile("/nonexistent/key").status().code(),
            absl::StatusCode::kFailedPrecondition);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace stagecheck::crypto
