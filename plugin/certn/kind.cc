#include "plugin/certn/kind.h"

#include <algorithm>

#include "core/errors.h"

namespace stagecheck::certn_plugin {

absl::StatusOr<ActivitySettings> CertnActivityKind::ValidateSettings(
    const ActivitySettings& raw) const {
  for (const auto& [key, _] : raw.values()) {
    if (key != "package_id" && key != "auto_send") {
      return Error(absl::StatusCode::kInvalidArgument, "invalid_settings",
                   "unknown setting '" + key + "' (allowed: package_id, auto_send)");
    }
  }
  std::optional<std::string> package = raw.GetString("package_id");
  if (!package || package->empty() || package->size() > 200) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_settings",
                 "settings.package_id must be a non-empty string");
  }
  if (raw.Has("auto_send") && !raw.GetBool("auto_send")) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_settings",
                 "settings.auto_send must be true or false");
  }
  ActivitySettings normalized;
  normalized.Set("package_id", *package);
  normalized.Set("auto_send", raw.GetBool("auto_send").value_or(false));
  return normalized;
}

absl::StatusOr<bool> CertnActivityKind::IsOffered(const TeamId& team) const {
  return checks_.integrations().IsConnected(team);
}

absl::Status CertnActivityKind::CheckAdmissible(const TeamId& team,
                                                const ActivitySettings& settings) const {
  absl::StatusOr<bool> connected = checks_.integrations().IsConnected(team);
  if (!connected.ok()) return connected.status();
  if (!*connected) {
    return Error(absl::StatusCode::kFailedPrecondition, "certn_not_connected",
                 "Connect Certn before adding a Certn background check.");
  }
  return checks_.integrations().FindPackage(team, *settings.GetString("package_id")).status();
}

absl::Status CertnActivityKind::OnStageEntered(const StageEntry& entry) const {
  if (!entry.activity.settings.GetBool("auto_send").value_or(false)) return absl::OkStatus();
  return checks_.AutoSend(entry);
}

absl::Status RegisterCertnKind(ActivityKindRegistry& registry, Checks& checks) {
  return registry.Register(std::make_unique<CertnActivityKind>(checks));
}

}  // namespace stagecheck::certn_plugin
