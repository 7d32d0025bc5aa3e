// libFuzzer target for ParseRetryAfter (core/domain/retry_after.h), read from
// Certn's and the host ATS's answers: any bytes give a wait or none, never a
// crash, and a wait is never negative or infinite.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "absl/time/time.h"
#include "core/domain/retry_after.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto wait = stagecheck::ParseRetryAfter(text, absl::FromUnixSeconds(1'800'000'000));
  if (wait.has_value() && (*wait < absl::ZeroDuration() || *wait == absl::InfiniteDuration())) {
    std::abort();
  }
  return 0;
}
