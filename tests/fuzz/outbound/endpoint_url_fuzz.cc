// libFuzzer target for ParseEndpointUrl (core/domain/endpoint_url.h): any
// string gives a URL or an error, never a crash; an accepted URL is
// consistent (a host, a port, a target starting with '/', https unless the
// loopback exception applied) and parses again to the same pieces.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "core/domain/endpoint_url.h"

namespace {

void CheckOne(std::string_view text, const stagecheck::EndpointPolicy& policy) {
  auto url = stagecheck::ParseEndpointUrl(text, policy);
  if (!url.ok()) return;
  if (url->host.empty() || url->port == 0 || url->target.empty() || url->target[0] != '/') {
    std::abort();
  }
  if (!url->https && !policy.allow_http_loopback) std::abort();
  const bool v6 = url->host.find(':') != std::string::npos;
  std::string again = absl::StrCat(url->https ? "https://" : "http://", v6 ? "[" : "", url->host,
                                   v6 ? "]" : "", ":", url->port, url->target);
  auto reparsed = stagecheck::ParseEndpointUrl(again, policy);
  if (!reparsed.ok() || reparsed->host != url->host || reparsed->port != url->port ||
      reparsed->target != url->target || reparsed->https != url->https) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckOne(text, {});
  CheckOne(text, {.allow_http_loopback = true, .allow_private_addresses = true});
  return 0;
}
