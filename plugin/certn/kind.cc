#include "plugin/certn/kind.h"

#include <algorithm>

#include "core/errors.h"
#include "core/status_macros.h"

namespace stagecheck::certn_plugin {
namespace {

// The optional result rules: a stage id to move to on CLEAR (that it is a
// stage of the plan is checked when the rule runs: a stage removed later
// leaves the application where it is, with a feed line saying so), and
// whether REVIEW or REJECT flags the application.
absl::Status NormalizeResultRules(const ActivitySettings& raw, ActivitySettings& normalized) {
  const std::string move_to(kOnClearMoveTo);
  if (raw.Has(move_to)) {
    std::optional<std::string> stage = raw.GetString(move_to);
    if (!stage || stage->empty() || stage->size() > 100) {
      return Error(absl::StatusCode::kInvalidArgument, "invalid_settings",
                   "settings.on_clear_move_to_stage must be a stage id");
    }
    normalized.Set(move_to, *stage);
  }
  const std::string flag(kFlagForReview);
  if (raw.Has(flag)) {
    if (!raw.GetBool(flag)) {
      return Error(absl::StatusCode::kInvalidArgument, "invalid_settings",
                   "settings.flag_for_review must be true or false");
    }
    normalized.Set(flag, *raw.GetBool(flag));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ActivitySettings> CertnActivityKind::ValidateSettings(
    const ActivitySettings& raw) const {
  for (const auto& [key, _] : raw.values()) {
    if (key != "package_id" && key != "auto_send" && key != kOnClearMoveTo &&
        key != kFlagForReview) {
      return Error(absl::StatusCode::kInvalidArgument, "invalid_settings",
                   "unknown setting '" + key +
                       "' (allowed: package_id, auto_send, on_clear_move_to_stage, "
                       "flag_for_review)");
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
  RETURN_IF_ERROR(NormalizeResultRules(raw, normalized));
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
