// The Certn plugin as one unit: built over the ports it is given, it
// registers its activity kind ("certn_background_check") and its durable
// work (orders, case fetches, reports) with the core, and schedules its
// reconciliation. Production (adapters/cli/app.cc) and the test harness build
// it through Create, so both run the same wiring.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "core/activity_kind.h"
#include "core/ports/cipher.h"
#include "core/services/bulk_sends.h"
#include "core/services/group_commit.h"
#include "core/services/work_runner.h"
#include "plugin/certn/checks.h"
#include "plugin/certn/integrations.h"
#include "plugin/certn/webhook.h"

namespace stagecheck::certn_plugin {

// A bulk send's one check (core/services/bulk_sends.h), sent as the
// application tab sends it (Checks::Send), with the bulk send's key.
class BulkSender final : public CheckSender {
 public:
  explicit BulkSender(Checks& checks) : checks_(checks) {}
  absl::StatusOr<CheckId> SendForBulk(const Principal& who, const ApplicationId& application,
                                      const std::optional<std::string>& package_id,
                                      const IdempotencyKey& key) override;
  absl::Status CheckPackage(const TeamId& team, const std::string& package_id) override;

 private:
  Checks& checks_;
};

class CertnPlugin {
 public:
  // Every reference must outlive the plugin. Registers into `kinds` and
  // `runner` (before the runner starts).
  static absl::StatusOr<std::unique_ptr<CertnPlugin>> Create(
      const Deps& deps, CertnGateway& gateway, Cipher& cipher, GroupCommitter& committer,
      const PluginConfig& config, ActivityKindRegistry& kinds, WorkRunner& runner);

  Integrations& integrations() { return *integrations_; }
  Checks& checks() { return *checks_; }
  WebhookReceiver& webhook() { return *webhook_; }
  CheckSender& sender() { return *sender_; }

 private:
  CertnPlugin() = default;
  // `reconcile_every`: PluginConfig::reconcile_interval.
  absl::Status RegisterWork(WorkRunner& runner, absl::Duration reconcile_every);

  std::unique_ptr<Integrations> integrations_;
  std::unique_ptr<Checks> checks_;
  std::unique_ptr<WebhookReceiver> webhook_;
  std::unique_ptr<BulkSender> sender_;
};

// The options of the core's work runner that this plugin's config sets
// (lease, attempts, backoff).
WorkRunnerOptions WorkOptions(const PluginConfig& config, std::string owner, int threads);

}  // namespace stagecheck::certn_plugin
