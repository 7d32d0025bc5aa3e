#include "core/domain/candidate.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "core/strings.h"

namespace stagecheck {

std::string NormalizeTag(std::string_view tag) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(ToAbsl(tag)));
}

bool Candidate::HasTag(std::string_view tag) const {
  std::string want = NormalizeTag(tag);
  return std::any_of(tags.begin(), tags.end(),
                     [&](const std::string& t) { return NormalizeTag(t) == want; });
}

void Candidate::AddTag(std::string tag) {
  std::string trimmed(absl::StripAsciiWhitespace(tag));
  if (trimmed.empty() || HasTag(trimmed)) return;
  tags.push_back(std::move(trimmed));
}

void Candidate::RemoveTagsWithPrefix(std::string_view prefix) {
  std::erase_if(tags, [&](const std::string& t) { return absl::StartsWith(t, ToAbsl(prefix)); });
}

namespace {

// Written while plugins are built, read by every request afterwards.
struct SystemTagPrefixes {
  absl::Mutex mutex;
  std::vector<std::string> prefixes ABSL_GUARDED_BY(mutex);
};

SystemTagPrefixes& Registered() {
  // Never destroyed: a request thread may still ask while the process exits.
  static SystemTagPrefixes* registered = new SystemTagPrefixes;
  return *registered;
}

}  // namespace

void RegisterSystemTagPrefix(std::string_view prefix) {
  SystemTagPrefixes& registered = Registered();
  absl::MutexLock lock(&registered.mutex);
  if (std::find(registered.prefixes.begin(), registered.prefixes.end(), prefix) ==
      registered.prefixes.end()) {
    registered.prefixes.emplace_back(prefix);
  }
}

bool IsSystemTag(std::string_view tag) {
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(ToAbsl(tag));
  SystemTagPrefixes& registered = Registered();
  absl::ReaderMutexLock lock(&registered.mutex);
  return std::any_of(registered.prefixes.begin(), registered.prefixes.end(),
                     [&](const std::string& prefix) { return absl::StartsWith(trimmed, prefix); });
}

std::vector<std::string> Candidate::SystemTags() const {
  std::vector<std::string> out;
  std::copy_if(tags.begin(), tags.end(), std::back_inserter(out),
               [](const std::string& t) { return IsSystemTag(t); });
  return out;
}

std::vector<std::string> Candidate::RecruiterTags() const {
  std::vector<std::string> out;
  std::copy_if(tags.begin(), tags.end(), std::back_inserter(out),
               [](const std::string& t) { return !IsSystemTag(t); });
  return out;
}

void Candidate::ReplaceRecruiterTags(const std::vector<std::string>& recruiter_tags) {
  std::vector<std::string> system = SystemTags();
  tags.clear();
  for (const std::string& tag : recruiter_tags) {
    if (!IsSystemTag(tag)) AddTag(tag);
  }
  for (std::string& tag : system) tags.push_back(std::move(tag));
}

absl::Status ValidateEmail(std::string_view email) {
  // Deliberately simple: one @, something before it, a dot after it, no spaces.
  size_t at = email.find('@');
  if (email.size() > 254 || at == std::string_view::npos || at == 0 ||
      email.find('@', at + 1) != std::string_view::npos ||
      email.find('.', at) == std::string_view::npos || email.back() == '.' ||
      email.find_first_of(" \t\r\n") != std::string_view::npos) {
    return absl::InvalidArgumentError("email is not a valid email address");
  }
  return absl::OkStatus();
}

std::string_view ApplicationStatusName(ApplicationStatus status) {
  switch (status) {
    case ApplicationStatus::kActive:
      return "active";
    case ApplicationStatus::kRejected:
      return "rejected";
    case ApplicationStatus::kHired:
      return "hired";
  }
  return "active";
}

std::optional<ApplicationStatus> ParseApplicationStatus(std::string_view name) {
  if (name == "active") return ApplicationStatus::kActive;
  if (name == "rejected") return ApplicationStatus::kRejected;
  if (name == "hired") return ApplicationStatus::kHired;
  return std::nullopt;
}

}  // namespace stagecheck
