#include "adapters/certn/config.h"

#include <cstdlib>

#include "absl/strings/str_replace.h"
#include "core/strings.h"

namespace stagecheck::certn {

std::string CertnClientConfig::BaseUrlFor(CertnRegion region) const {
  std::string url;
  if (base_url_override.has_value()) {
    url = *base_url_override;
  } else if (auto it = base_urls.find(region); it != base_urls.end()) {
    url = it->second;
  }
  url = absl::StrReplaceAll(url, {{"{region}", ToAbsl(RegionName(region))}});
  while (!url.empty() && url.back() == '/') url.pop_back();  // paths start with '/'
  return url;
}

CertnClientConfig& CertnClientConfig::ApplyEnvironment() {
  const char* value = std::getenv(std::string(kBaseUrlEnv).c_str());
  if (value != nullptr && *value != '\0') base_url_override = value;
  return *this;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string ExpandPath(std::string_view path_template, std::string_view id) {
  return absl::StrReplaceAll(ToAbsl(path_template), {{"{id}", PercentEncode(id)}});
}

}  // namespace stagecheck::certn
