#include "core/domain/endpoint_url.h"

#include <arpa/inet.h>  // inet_pton: parsing only, no I/O

#include <array>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

constexpr size_t kMaxUrlLength = 2048;
constexpr size_t kMaxHostLength = 253;

absl::Status Invalid(std::string_view why) {
  return Error(absl::StatusCode::kInvalidArgument, "invalid_endpoint_url",
               absl::StrCat("The endpoint URL ", ToAbsl(why), "."));
}

// The 4 or 16 bytes of an IP literal, or nullopt for a name.
std::optional<std::string> IpLiteralBytes(const std::string& host) {
  std::array<unsigned char, 16> buf{};
  if (inet_pton(AF_INET, host.c_str(), buf.data()) == 1) {
    return std::string(reinterpret_cast<const char*>(buf.data()), 4);
  }
  if (inet_pton(AF_INET6, host.c_str(), buf.data()) == 1) {
    return std::string(reinterpret_cast<const char*>(buf.data()), 16);
  }
  return std::nullopt;
}

bool IsHostnameLabel(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

// A DNS name: labels of letters, digits and hyphens. A name whose last label
// is all digits ("127.1", "0x7f.1") is refused: resolvers read such names as
// IP addresses in forms the policy would not see.
absl::Status CheckHostname(std::string_view host) {
  if (host.empty()) return Invalid("has no host");
  if (host.size() > kMaxHostLength) return Invalid("has a host name longer than 253 characters");
  std::string_view rest = host;
  std::string_view last;
  while (true) {
    size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    if (!IsHostnameLabel(label)) return Invalid("has an invalid host name");
    last = label;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  bool all_digits = true;
  for (char c : last) all_digits = all_digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (all_digits) return Invalid("has a host that is neither a name nor a valid IP address");
  if (absl::StartsWithIgnoreCase(ToAbsl(last), "0x")) {
    return Invalid("has a host that is neither a name nor a valid IP address");
  }
  return absl::OkStatus();
}

struct Authority {
  std::string host;
  std::optional<uint16_t> port;
};

absl::StatusOr<Authority> ParseAuthority(std::string_view authority) {
  if (authority.find('@') != std::string_view::npos) {
    return Invalid("must not carry a user name or password");
  }
  Authority out;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid("has an unclosed IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return Invalid("has text after its IPv6 address");
    if (!after.empty()) port_text = after.substr(1);
    if (!IpLiteralBytes(out.host) || out.host.find(':') == std::string::npos) {
      return Invalid("has an invalid IPv6 address");
    }
  } else {
    size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) return Invalid("has an invalid host");
  }
  out.host = absl::AsciiStrToLower(out.host);
  if (authority.find(':') != std::string_view::npos && authority.back() == ':') {
    return Invalid("has an empty port");
  }
  if (!port_text.empty()) {
    uint32_t port = 0;
    bool digits = port_text.size() <= 5;
    for (char c : port_text) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (!digits || !absl::SimpleAtoi(ToAbsl(port_text), &port) || port == 0 || port > 65535) {
      return Invalid("has an invalid port");
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  std::optional<std::string> bytes = IpLiteralBytes(host);
  return bytes && ClassifyAddress(*bytes) == AddressKind::kLoopback;
}

absl::Status CheckTarget(std::string_view target) {
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return Invalid("must not contain spaces or control characters");
  }
  return absl::OkStatus();
}

bool InRange(const unsigned char* a, std::initializer_list<unsigned char> prefix, int bits) {
  int i = 0;
  for (unsigned char p : prefix) {
    int take = bits - i * 8;
    if (take <= 0) break;
    unsigned char mask = take >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - take));
    if ((a[i] & mask) != (p & mask)) return false;
    ++i;
  }
  return true;
}

AddressKind ClassifyV4(const unsigned char* a) {
  if (InRange(a, {127}, 8)) return AddressKind::kLoopback;
  if (InRange(a, {10}, 8) || InRange(a, {172, 16}, 12) || InRange(a, {192, 168}, 16) ||
      InRange(a, {100, 64}, 10)) {
    return AddressKind::kPrivate;
  }
  if (InRange(a, {169, 254}, 16)) return AddressKind::kLinkLocal;
  if (InRange(a, {0}, 8) || InRange(a, {224}, 4) || InRange(a, {240}, 4) ||  // incl. broadcast
      InRange(a, {192, 0, 0}, 24) || InRange(a, {192, 0, 2}, 24) || InRange(a, {198, 18}, 15) ||
      InRange(a, {198, 51, 100}, 24) || InRange(a, {203, 0, 113}, 24)) {
    return AddressKind::kUnroutable;
  }
  return AddressKind::kPublic;
}

AddressKind ClassifyV6(const unsigned char* a) {
  static constexpr unsigned char kZero[16] = {};
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b};
  if (std::memcmp(a, kZero, 15) == 0 && a[15] == 1) return AddressKind::kLoopback;
  if (std::memcmp(a, kZero, 16) == 0) return AddressKind::kUnroutable;
  // IPv4-mapped, NAT64 and IPv4-compatible forms reach an IPv4 host.
  if (std::memcmp(a, kMapped, 12) == 0 || std::memcmp(a, kNat64, 12) == 0 ||
      std::memcmp(a, kZero, 12) == 0) {
    return ClassifyV4(a + 12);
  }
  if (InRange(a, {0xfc}, 7)) return AddressKind::kPrivate;
  if (InRange(a, {0xfe, 0x80}, 10)) return AddressKind::kLinkLocal;
  if (InRange(a, {0xff}, 8) || InRange(a, {0x20, 0x01, 0x0d, 0xb8}, 32) ||
      InRange(a, {0xfe, 0xc0}, 10) || InRange(a, {0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64)) {
    return AddressKind::kUnroutable;  // multicast, documentation, site-local, discard
  }
  return AddressKind::kPublic;
}

}  // namespace

AddressKind ClassifyAddress(std::string_view bytes) {
  const auto* a = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() == 4) return ClassifyV4(a);
  if (bytes.size() == 16) return ClassifyV6(a);
  return AddressKind::kUnroutable;
}

std::string_view AddressKindName(AddressKind kind) {
  switch (kind) {
    case AddressKind::kPublic:
      return "public";
    case AddressKind::kLoopback:
      return "loopback";
    case AddressKind::kPrivate:
      return "private";
    case AddressKind::kLinkLocal:
      return "link-local";
    case AddressKind::kUnroutable:
      return "unroutable";
  }
  return "unroutable";
}

absl::Status CheckDeliveryAddress(std::string_view bytes, const EndpointPolicy& policy) {
  AddressKind kind = ClassifyAddress(bytes);
  if (kind == AddressKind::kPublic) return absl::OkStatus();
  bool allowed = policy.allow_private_addresses &&
                 (kind == AddressKind::kLoopback || kind == AddressKind::kPrivate ||
                  kind == AddressKind::kLinkLocal);
  if (allowed) return absl::OkStatus();
  return Error(absl::StatusCode::kPermissionDenied, "endpoint_address_refused",
               absl::StrCat("The endpoint resolves to a ", ToAbsl(AddressKindName(kind)),
                            " address, which webhooks are not sent to."));
}

absl::StatusOr<EndpointUrl> ParseEndpointUrl(std::string_view url, const EndpointPolicy& policy) {
  if (url.size() > kMaxUrlLength) return Invalid("is longer than 2048 characters");
  EndpointUrl out;
  std::string_view rest;
  if (absl::StartsWithIgnoreCase(ToAbsl(url), "https://")) {
    rest = url.substr(8);
  } else if (absl::StartsWithIgnoreCase(ToAbsl(url), "http://")) {
    out.https = false;
    rest = url.substr(7);
  } else {
    return Invalid("must start with https://");
  }
  if (rest.find('#') != std::string_view::npos) return Invalid("must not carry a fragment (#)");
  size_t path_start = rest.find_first_of("/?");
  ASSIGN_OR_RETURN(Authority authority, ParseAuthority(rest.substr(0, path_start)));
  out.host = std::move(authority.host);
  out.port = authority.port.value_or(out.https ? 443 : 80);
  std::string_view target = path_start == std::string_view::npos ? "/" : rest.substr(path_start);
  out.target = absl::StrCat(target.front() == '?' ? "/" : "", ToAbsl(target));
  RETURN_IF_ERROR(CheckTarget(out.target));

  std::optional<std::string> literal = IpLiteralBytes(out.host);
  if (!literal) RETURN_IF_ERROR(CheckHostname(out.host));
  if (!out.https && !(policy.allow_http_loopback && IsLoopbackHost(out.host))) {
    return Invalid("must use https");
  }
  bool loopback_test_endpoint = !out.https && policy.allow_http_loopback;
  if (literal && !loopback_test_endpoint) RETURN_IF_ERROR(CheckDeliveryAddress(*literal, policy));
  return out;
}

absl::Status CheckConnectAddress(const EndpointUrl& url, std::string_view bytes,
                                 const EndpointPolicy& policy) {
  if (!url.https && policy.allow_http_loopback) {
    if (ClassifyAddress(bytes) == AddressKind::kLoopback) return absl::OkStatus();
    return Error(absl::StatusCode::kPermissionDenied, "endpoint_address_refused",
                 "A plain-http endpoint must resolve to a loopback address.");
  }
  return CheckDeliveryAddress(bytes, policy);
}

}  // namespace stagecheck
