// Where a team's outbound webhooks may be sent, decided before any connection
// is made (issue 20, "safe to point anywhere"): an endpoint URL is parsed and
// checked when it is registered, and every address its host resolves to is
// checked again right before each delivery, so a name that later resolves to
// a private address (DNS rebinding) is refused at connect time too.
//
// The rules: https only; plain http only to a loopback host, and only when
// the operator allows it (tests, local development). No user info, no
// fragment, a host of at most 253 characters. Addresses must be public: not
// loopback, private (RFC 1918, unique-local fc00::/7), link-local, CGNAT
// (100.64/10), unspecified, multicast, broadcast, documentation or reserved
// ranges, IPv4-mapped or NAT64 forms of those - unless the operator allows
// private addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace stagecheck {

struct EndpointUrl {
  bool https = true;
  std::string host;    // lower-cased; IPv6 literals without brackets
  uint16_t port = 0;   // the scheme's default when the URL names none
  std::string target;  // path and query, at least "/"
};

struct EndpointPolicy {
  // http:// to 127.0.0.0/8, ::1 or "localhost" (tests, local development).
  bool allow_http_loopback = false;
  // Loopback, private and link-local addresses (a deployment whose ATS lives
  // on the same private network).
  bool allow_private_addresses = false;
};

// InvalidArgument with code "invalid_endpoint_url" and a message a person can
// act on ("must use https", "must not carry a user name or password", ...).
absl::StatusOr<EndpointUrl> ParseEndpointUrl(std::string_view url, const EndpointPolicy& policy);

enum class AddressKind {
  kPublic,
  kLoopback,
  kPrivate,     // RFC 1918, unique-local, CGNAT
  kLinkLocal,   // 169.254/16 (cloud metadata lives here), fe80::/10
  kUnroutable,  // unspecified, multicast, broadcast, documentation, reserved
};

// `bytes` is 4 (IPv4) or 16 (IPv6) bytes in network order; anything else is
// kUnroutable. IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible and NAT64
// (64:ff9b::/96) IPv6 addresses are judged by their IPv4 part.
AddressKind ClassifyAddress(std::string_view bytes);
std::string_view AddressKindName(AddressKind kind);

// Ok when a delivery may connect to the address; PermissionDenied with code
// "endpoint_address_refused" otherwise ("resolves to a private address").
absl::Status CheckDeliveryAddress(std::string_view bytes, const EndpointPolicy& policy);

// The check made on each resolved address right before connecting: a plain
// http endpoint (allowed for loopback only) must still resolve to loopback;
// an https one follows CheckDeliveryAddress.
absl::Status CheckConnectAddress(const EndpointUrl& url, std::string_view bytes,
                                 const EndpointPolicy& policy);

}  // namespace stagecheck
