// Our interfaces speak std::string_view. Debian's Abseil is built with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW=0), so this is the one
// place where the two are converted.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace stagecheck {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace stagecheck
