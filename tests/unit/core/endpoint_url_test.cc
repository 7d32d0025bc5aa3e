// The outbound-webhook URL policy (core/domain/endpoint_url.h): what a team
// may register, and which resolved addresses a delivery may connect to.
#include "core/domain/endpoint_url.h"

#include <arpa/inet.h>

#include <array>
#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

std::string Bytes(const char* literal) {
  std::array<unsigned char, 16> buf{};
  if (inet_pton(AF_INET, literal, buf.data()) == 1) {
    return std::string(reinterpret_cast<const char*>(buf.data()), 4);
  }
  EXPECT_EQ(inet_pton(AF_INET6, literal, buf.data()), 1) << literal;
  return std::string(reinterpret_cast<const char*>(buf.data()), 16);
}

TEST(EndpointUrlTest, AnHttpsUrlIsSplitIntoHostPortAndTarget) {
  auto url = ParseEndpointUrl("HTTPS://Hooks.Example.com:8443/ats/certn?x=1", {});
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_TRUE(url->https);
  EXPECT_EQ(url->host, "hooks.example.com");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/ats/certn?x=1");

  auto bare = ParseEndpointUrl("https://example.com", {});
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->port, 443);
  EXPECT_EQ(bare->target, "/");
  auto query_only = ParseEndpointUrl("https://example.com?a=b", {});
  ASSERT_TRUE(query_only.ok());
  EXPECT_EQ(query_only->target, "/?a=b");
}

TEST(EndpointUrlTest, BadUrlsAreRefusedWithAReasonAPersonCanActOn) {
  struct Case {
    const char* url;
    const char* reason;
  };
  for (const Case& c : {
           Case{"http://example.com/hook", "must use https"},
           Case{"ftp://example.com/", "must start with https://"},
           Case{"example.com/hook", "must start with https://"},
           Case{"", "must start with https://"},
           Case{"https://", "has no host"},
           Case{"https:///path", "has no host"},
           Case{"https://user:pw@example.com/", "user name or password"},
           Case{"https://example.com/#frag", "fragment"},
           Case{"https://example.com:0/", "invalid port"},
           Case{"https://example.com:65536/", "invalid port"},
           Case{"https://example.com:80a/", "invalid port"},
           Case{"https://example.com:/", "empty port"},
           Case{"https://exa mple.com/", "invalid host name"},
           Case{"https://-bad-.example.com/", "invalid host name"},
           Case{"https://a..b/", "invalid host name"},
           Case{"https://127.1/", "neither a name nor a valid IP address"},
           Case{"https://0x7f000001/", "neither a name nor a valid IP address"},
           Case{"https://[::1/", "unclosed IPv6"},
           Case{"https://[nonsense]/", "invalid IPv6"},
           Case{"https://example.com/a b", "spaces or control characters"},
       }) {
    auto url = ParseEndpointUrl(c.url, {});
    ASSERT_FALSE(url.ok()) << c.url;
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument) << c.url;
    EXPECT_EQ(ErrorCode(url.status()), "invalid_endpoint_url") << c.url;
    EXPECT_NE(url.status().message().find(c.reason), std::string::npos)
        << c.url << ": " << url.status().message();
  }
  EXPECT_FALSE(ParseEndpointUrl(std::string(3000, 'a'), {}).ok());
}

TEST(EndpointUrlTest, PrivateAndLoopbackLiteralsAreRefusedUnlessTheOperatorAllowsThem) {
  for (const char* url :
       {"https://127.0.0.1/", "https://10.1.2.3/", "https://192.168.0.10/", "https://172.20.0.1/",
        "https://169.254.169.254/latest/meta-data", "https://[::1]/", "https://[fd00::1]/",
        "https://[fe80::1]/", "https://[::ffff:10.0.0.1]/", "https://100.64.0.1/"}) {
    auto refused = ParseEndpointUrl(url, {});
    ASSERT_FALSE(refused.ok()) << url;
    EXPECT_EQ(ErrorCode(refused.status()), "endpoint_address_refused") << url;
    EXPECT_TRUE(ParseEndpointUrl(url, {.allow_private_addresses = true}).ok()) << url;
  }
  // Unroutable addresses are never an endpoint, whatever the operator allows.
  for (const char* url : {"https://0.0.0.0/", "https://224.0.0.1/", "https://[ff02::1]/"}) {
    EXPECT_FALSE(ParseEndpointUrl(url, {.allow_private_addresses = true}).ok()) << url;
  }
  EXPECT_TRUE(ParseEndpointUrl("https://93.184.216.34/hook", {}).ok());
  EXPECT_TRUE(ParseEndpointUrl("https://[2606:4700::6810:85e5]/hook", {}).ok());
}

TEST(EndpointUrlTest, PlainHttpIsOnlyForLoopbackWhenTheOperatorAllowsIt) {
  EndpointPolicy local{.allow_http_loopback = true};
  for (const char* url :
       {"http://127.0.0.1:8080/hook", "http://localhost:9/x", "http://[::1]:80/"}) {
    EXPECT_FALSE(ParseEndpointUrl(url, {}).ok()) << url;
    auto ok = ParseEndpointUrl(url, local);
    ASSERT_TRUE(ok.ok()) << url << ": " << ok.status();
    EXPECT_FALSE(ok->https);
  }
  EXPECT_FALSE(ParseEndpointUrl("http://example.com/", local).ok());
  EXPECT_FALSE(ParseEndpointUrl("http://10.0.0.1/", local).ok());
}

TEST(EndpointUrlTest, AddressesAreClassified) {
  EXPECT_EQ(ClassifyAddress(Bytes("8.8.8.8")), AddressKind::kPublic);
  EXPECT_EQ(ClassifyAddress(Bytes("127.0.0.53")), AddressKind::kLoopback);
  EXPECT_EQ(ClassifyAddress(Bytes("172.15.255.255")), AddressKind::kPublic);
  EXPECT_EQ(ClassifyAddress(Bytes("172.16.0.0")), AddressKind::kPrivate);
  EXPECT_EQ(ClassifyAddress(Bytes("172.31.255.255")), AddressKind::kPrivate);
  EXPECT_EQ(ClassifyAddress(Bytes("172.32.0.0")), AddressKind::kPublic);
  EXPECT_EQ(ClassifyAddress(Bytes("100.127.255.255")), AddressKind::kPrivate);
  EXPECT_EQ(ClassifyAddress(Bytes("100.128.0.0")), AddressKind::kPublic);
  EXPECT_EQ(ClassifyAddress(Bytes("169.254.169.254")), AddressKind::kLinkLocal);
  EXPECT_EQ(ClassifyAddress(Bytes("224.0.0.1")), AddressKind::kUnroutable);
  EXPECT_EQ(ClassifyAddress(Bytes("255.255.255.255")), AddressKind::kUnroutable);
  EXPECT_EQ(ClassifyAddress(Bytes("192.0.2.1")), AddressKind::kUnroutable);
  EXPECT_EQ(ClassifyAddress(Bytes("::1")), AddressKind::kLoopback);
  EXPECT_EQ(ClassifyAddress(Bytes("::")), AddressKind::kUnroutable);
  EXPECT_EQ(ClassifyAddress(Bytes("::ffff:127.0.0.1")), AddressKind::kLoopback);
  EXPECT_EQ(ClassifyAddress(Bytes("64:ff9b::a9fe:a9fe")), AddressKind::kLinkLocal);
  EXPECT_EQ(ClassifyAddress(Bytes("fc00::1")), AddressKind::kPrivate);
  EXPECT_EQ(ClassifyAddress(Bytes("febf::1")), AddressKind::kLinkLocal);
  EXPECT_EQ(ClassifyAddress(Bytes("ff02::1")), AddressKind::kUnroutable);
  EXPECT_EQ(ClassifyAddress(Bytes("2001:db8::1")), AddressKind::kUnroutable);
  EXPECT_EQ(ClassifyAddress(Bytes("2a00:1450::1")), AddressKind::kPublic);
  EXPECT_EQ(ClassifyAddress("abc"), AddressKind::kUnroutable);
}

TEST(EndpointUrlTest, AConnectionIsCheckedAgainstTheResolvedAddress) {
  auto https = ParseEndpointUrl("https://hooks.example.com/", {});
  ASSERT_TRUE(https.ok());
  EXPECT_TRUE(CheckConnectAddress(*https, Bytes("93.184.216.34"), {}).ok());
  // A public name that resolves to a private address (DNS rebinding).
  absl::Status rebound = CheckConnectAddress(*https, Bytes("10.0.0.7"), {});
  EXPECT_EQ(ErrorCode(rebound), "endpoint_address_refused");
  EXPECT_NE(rebound.message().find("private"), std::string::npos);

  EndpointPolicy local{.allow_http_loopback = true};
  auto http = ParseEndpointUrl("http://localhost:8080/", local);
  ASSERT_TRUE(http.ok());
  EXPECT_TRUE(CheckConnectAddress(*http, Bytes("127.0.0.1"), local).ok());
  EXPECT_FALSE(CheckConnectAddress(*http, Bytes("93.184.216.34"), local).ok());
}

}  // namespace
}  // namespace stagecheck
