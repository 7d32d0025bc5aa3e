// The "certn_background_check" activity kind: settings {package_id, auto_send},
// offered only while Certn is connected, and auto-send on stage entry.
#pragma once

#include "core/activity_kind.h"
#include "plugin/certn/checks.h"

namespace stagecheck::certn_plugin {

class CertnActivityKind final : public ActivityKind {
 public:
  explicit CertnActivityKind(Checks& checks) : checks_(checks) {}

  std::string_view name() const override { return kKindName; }
  std::string_view display_name() const override { return "Certn background check"; }
  absl::StatusOr<ActivitySettings> ValidateSettings(const ActivitySettings& raw) const override;
  absl::StatusOr<bool> IsOffered(const TeamId& team) const override;
  absl::Status CheckAdmissible(const TeamId& team, const ActivitySettings& settings) const override;
  absl::Status OnStageEntered(const StageEntry& entry) const override;

 private:
  Checks& checks_;
};

// Registers the activity kind (CertnPlugin::Create, plugin.cc, calls it).
absl::Status RegisterCertnKind(ActivityKindRegistry& registry, Checks& checks);

}  // namespace stagecheck::certn_plugin
