#include "core/activity_kind.h"

#include "absl/strings/str_cat.h"
#include "core/strings.h"

namespace stagecheck {

absl::StatusOr<ActivitySettings> PlainActivityKind::ValidateSettings(
    const ActivitySettings& raw) const {
  if (!raw.values().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("activity kind '", ToAbsl(name_), "' takes no settings"));
  }
  return raw;
}

absl::Status ActivityKindRegistry::Register(std::unique_ptr<ActivityKind> kind) {
  std::string name(kind->name());
  if (kinds_.contains(name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("activity kind '", name, "' is already registered"));
  }
  kinds_.emplace(std::move(name), std::move(kind));
  return absl::OkStatus();
}

const ActivityKind* ActivityKindRegistry::Find(std::string_view name) const {
  auto it = kinds_.find(name);
  return it == kinds_.end() ? nullptr : it->second.get();
}

std::vector<const ActivityKind*> ActivityKindRegistry::All() const {
  std::vector<const ActivityKind*> out;
  for (const auto& [_, kind] : kinds_) out.push_back(kind.get());
  return out;
}

absl::Status RegisterBuiltinKinds(ActivityKindRegistry& registry) {
  if (auto s = registry.Register(std::make_unique<PlainActivityKind>("interview", "Interview"));
      !s.ok()) {
    return s;
  }
  return registry.Register(
      std::make_unique<PlainActivityKind>("take_home", "Take-home assignment"));
}

}  // namespace stagecheck
