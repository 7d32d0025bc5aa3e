// One HTTP exchange, as plain values. The only implementation that touches
// cpprestsdk is cpprest_transport.cc, so its heavy headers (and its `U()`
// macro) stay out of every other file. The fake Certn and the test-support
// library reuse it as their HTTP client.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace stagecheck::certn {

struct HttpCall {
  std::string method = "GET";
  std::string url;  // absolute: scheme://host[:port]/path[?query]
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;                           // set with a body
  absl::Duration connect_timeout = absl::Seconds(5);  // also each read's inactivity limit
  absl::Duration total_timeout = absl::Seconds(30);
  // Larger bodies stop the read: ResourceExhausted. Negative: no cap.
  int64_t max_response_bytes = 16 << 20;
};

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::optional<std::string> Header(std::string_view name) const;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Any HTTP status is a reply. Errors: Unavailable (cannot connect, reset),
  // DeadlineExceeded (total or inactivity timeout), ResourceExhausted (body
  // past the cap), InvalidArgument (bad URL). Never throws.
  virtual absl::StatusOr<HttpReply> Send(const HttpCall& call) = 0;
};

std::unique_ptr<Transport> MakeCpprestTransport();

}  // namespace stagecheck::certn
