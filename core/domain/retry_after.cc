#include "core/domain/retry_after.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace stagecheck {
namespace {

// A week: longer than any server means, short enough that Seconds() of a
// huge number can never overflow a Duration into infinity.
constexpr double kLongestSeconds = 7 * 24 * 3600;
constexpr absl::Duration kLongest = absl::Hours(7 * 24);

std::optional<absl::Duration> DeltaSeconds(const std::string& text) {
  double seconds = 0;
  if (!absl::SimpleAtod(text, &seconds) || !std::isfinite(seconds) || seconds < 0) {
    return std::nullopt;
  }
  return absl::Seconds(std::min(seconds, kLongestSeconds));
}

}  // namespace

std::optional<absl::Duration> ParseRetryAfter(std::string_view value, absl::Time now) {
  std::string text(absl::StripAsciiWhitespace(absl::string_view(value.data(), value.size())));
  if (text.empty()) return std::nullopt;
  if (absl::ascii_isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.') {
    return DeltaSeconds(text);
  }
  absl::Time when;
  std::string error;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", text, &when, &error)) return std::nullopt;
  // ParseTime also accepts "infinite-future" and "infinite-past": no date.
  if (when == absl::InfiniteFuture() || when == absl::InfinitePast()) return std::nullopt;
  return std::clamp(when - now, absl::ZeroDuration(), kLongest);
}

}  // namespace stagecheck
