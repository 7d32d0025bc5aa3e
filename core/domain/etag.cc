#include "core/domain/etag.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

// FNV-1a (64 bit): tiny, stable across builds and machines, and enough to
// tell one version of a row from the next (this is no security boundary).
class Fingerprint {
 public:
  Fingerprint& Add(std::string_view bytes) {
    for (unsigned char c : bytes) Mix(c);
    Mix(0x1f);  // a field separator, so ("ab","c") differs from ("a","bc")
    return *this;
  }
  Fingerprint& AddOptional(const std::optional<std::string>& value) {
    Mix(value ? 1 : 0);
    return value ? Add(*value) : *this;
  }
  Fingerprint& AddList(const std::vector<std::string>& values) {
    for (const std::string& v : values) Add(v);
    Mix(0x1e);
    return *this;
  }
  Fingerprint& AddNumber(int64_t value) { return Add(std::to_string(value)); }
  std::string Tag() const { return absl::StrFormat("\"%016x\"", hash_); }

 private:
  void Mix(unsigned char c) {
    hash_ ^= c;
    hash_ *= 0x100000001b3ULL;
  }
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

std::string EtagOf(const Candidate& c) {
  return Fingerprint()
      .Add("candidate")
      .Add(c.id.value())
      .Add(c.first_name)
      .Add(c.last_name)
      .AddOptional(c.email)
      .AddOptional(c.phone)
      .AddList(c.tags)
      .AddNumber(absl::ToUnixMicros(c.updated_at))
      .Tag();
}

std::string EtagOf(const Job& j) {
  return Fingerprint()
      .Add("job")
      .Add(j.id.value())
      .Add(j.title)
      .AddOptional(j.default_package_id)
      .AddList(j.tags)
      .Tag();
}

std::string EtagOf(const Team& t) {
  return Fingerprint()
      .Add("team")
      .Add(t.id.value())
      .Add(t.name)
      .AddOptional(t.default_package_id)
      .Tag();
}

std::string EtagOf(const InterviewPlan& p) {
  return Fingerprint().Add("plan").Add(p.job().value()).AddNumber(p.version()).Tag();
}

absl::Status CheckIfMatch(const std::optional<std::string>& if_match, std::string_view current) {
  if (!if_match) return absl::OkStatus();
  for (absl::string_view candidate : absl::StrSplit(ToAbsl(*if_match), ',')) {
    candidate = absl::StripAsciiWhitespace(candidate);
    if (candidate == "*" || candidate == ToAbsl(current)) return absl::OkStatus();
  }
  return Error(absl::StatusCode::kFailedPrecondition, "precondition_failed",
               "This was changed by someone else since you loaded it. Reload to see the change, "
               "then try again.");
}

}  // namespace stagecheck
