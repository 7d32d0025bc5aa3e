#include "plugin/certn/plugin.h"

#include "core/domain/candidate.h"
#include "core/status_macros.h"
#include "plugin/certn/domain/status_labels.h"
#include "plugin/certn/kind.h"

namespace stagecheck::certn_plugin {

absl::StatusOr<std::unique_ptr<CertnPlugin>> CertnPlugin::Create(
    const Deps& deps, CertnGateway& gateway, Cipher& cipher, GroupCommitter& committer,
    const PluginConfig& config, ActivityKindRegistry& kinds, WorkRunner& runner) {
  std::unique_ptr<CertnPlugin> plugin(new CertnPlugin());
  plugin->integrations_ = std::make_unique<Integrations>(deps, gateway, cipher, config);
  plugin->checks_ = std::make_unique<Checks>(deps, gateway, *plugin->integrations_);
  plugin->webhook_ = std::make_unique<WebhookReceiver>(*plugin->checks_, committer);
  plugin->sender_ = std::make_unique<BulkSender>(*plugin->checks_);
  plugin->checks_->set_work_notifier([&runner] { runner.Wake(); });
  plugin->checks_->set_work_runner(&runner);
  RETURN_IF_ERROR(RegisterCertnKind(kinds, *plugin->checks_));
  // The Lever status tags the checks keep current are system tags: a
  // recruiter's edit of a candidate's tags neither drops nor adds them.
  RegisterSystemTagPrefix(kLeverTagPrefix);
  RETURN_IF_ERROR(plugin->RegisterWork(runner, config.reconcile_interval));
  return plugin;
}

absl::Status CertnPlugin::RegisterWork(WorkRunner& runner, absl::Duration reconcile_every) {
  Checks& checks = *checks_;
  auto failed = [&checks](const WorkItem& item, const absl::Status& error) {
    checks.WorkFailed(item, error);
  };
  const struct {
    std::string_view kind;
    absl::Status (Checks::*run)(const WorkItem&);
  } kWork[] = {
      {kWorkOrder, &Checks::RunOrder},
      {kWorkFetchCase, &Checks::RunFetch},
      {kWorkGenerateReport, &Checks::RunGenerateReport},
      {kWorkDownloadReport, &Checks::RunDownload},
      {kWorkReadEvents, &Checks::RunReadEvents},
      {kWorkCancel, &Checks::RunCancel},
  };
  for (const auto& work : kWork) {
    // Copies, not structured bindings: clang 14 (the fuzz build) cannot capture those.
    const std::string_view kind = work.kind;
    const auto run = work.run;
    WorkHandler handler{.run = [&checks, run](const WorkItem& item) { return (checks.*run)(item); },
                        .on_failed = failed};
    // Only an order can wait for Certn's daily budget in a way a recruiter should see.
    if (kind == kWorkOrder) {
      handler.on_deferred = [&checks](const WorkItem& item, const absl::Status& why,
                                      absl::Time until) { checks.WorkDeferred(item, why, until); };
    }
    RETURN_IF_ERROR(runner.Register(std::string(kind), std::move(handler)));
  }
  runner.AddPeriodic(reconcile_every, [&checks] { (void)checks.Reconcile(); });
  return absl::OkStatus();
}

absl::StatusOr<CheckId> BulkSender::SendForBulk(const Principal& who,
                                                const ApplicationId& application,
                                                const std::optional<std::string>& package_id,
                                                const IdempotencyKey& key) {
  SendRequest request;
  request.package_id = package_id;
  ASSIGN_OR_RETURN(Created<CheckId> created, checks_.Send(who, application, request, key));
  return created.id;
}

absl::Status BulkSender::CheckPackage(const TeamId& team, const std::string& package_id) {
  return checks_.integrations().FindPackage(team, package_id).status();
}

WorkRunnerOptions WorkOptions(const PluginConfig& config, std::string owner, int threads) {
  return WorkRunnerOptions{.owner = std::move(owner),
                           .threads = threads,
                           .lease = config.work_lease,
                           .max_attempts = config.max_attempts,
                           .initial_backoff = config.retry_initial_backoff,
                           .max_backoff = config.retry_max_backoff};
}

}  // namespace stagecheck::certn_plugin
