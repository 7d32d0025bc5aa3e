// Posting one signed event to a host ATS's endpoint (issue 20). The caller
// has parsed and checked the URL (core/domain/endpoint_url.h); the poster
// checks every address the host resolves to right before connecting, never
// follows a redirect (a 3xx is just a reply that is not a success), and
// bounds the time and the bytes it reads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/domain/endpoint_url.h"

namespace stagecheck {

struct WebhookPost {
  EndpointUrl url;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Host, Content-*
  std::string body;                                          // JSON
  absl::Duration timeout = absl::Seconds(15);                // connect + send + answer
  size_t max_reply_bytes = 64 << 10;                         // the rest is not read
};

struct WebhookReply {
  int status = 0;
  absl::Duration latency;
  std::optional<absl::Duration> retry_after;  // from Retry-After, seconds or HTTP-date
  std::string excerpt;                        // the first bytes of the body, for the log
};

class WebhookPoster {
 public:
  virtual ~WebhookPoster() = default;
  // Any HTTP status is a reply. Errors: PermissionDenied
  // ("endpoint_address_refused") when the host resolves only to addresses the
  // policy refuses; Unavailable (cannot resolve, connect or complete TLS);
  // DeadlineExceeded (the timeout passed). Never throws.
  virtual absl::StatusOr<WebhookReply> Post(const WebhookPost& post) = 0;
};

}  // namespace stagecheck
