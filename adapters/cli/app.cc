#include "adapters/cli/app.h"

#include "adapters/outbound/beast_webhook_poster.h"
#include "adapters/store/sqlite/wal_flusher.h"
#include "core/services/call_budgets.h"
#include "plugin/certn/kind.h"

namespace stagecheck::cli {

absl::StatusOr<std::string> RefusingCipher::Encrypt(std::string_view) {
  return absl::FailedPreconditionError("no encryption key is configured for this command");
}
absl::StatusOr<std::string> RefusingCipher::Decrypt(std::string_view) {
  return absl::FailedPreconditionError("no encryption key is configured for this command");
}

namespace {

// The group committer's histograms, with buckets for what they measure: a
// batch's pieces (1 to max_batch) and times well under the default 5 ms
// first bucket (a SQLite commit takes a fraction of a millisecond).
void DescribeCommitMetrics(PrometheusMetrics& metrics) {
  metrics.DescribeHistogram(GroupCommitter::kBatchPiecesMetric,
                            "Pieces (deliveries, work outcomes) per group-commit batch.",
                            {1, 2, 4, 8, 16, 32, 64, 128, 256});
  const std::vector<double> seconds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                       0.01,   0.025,   0.05,   0.1,   0.25,   1};
  metrics.DescribeHistogram(GroupCommitter::kBatchSecondsMetric,
                            "Time to write and commit one group-commit batch.", seconds);
  metrics.DescribeHistogram(GroupCommitter::kDurableWaitMetric,
                            "Time from a batch's commit until the store says it is durable.",
                            seconds);
  metrics.DescribeHistogram(store::WalFlusher::kFsyncMetric,
                            "SQLite: time of one fdatasync of the WAL (the disk's part of the "
                            "wait until durable).",
                            seconds);
  metrics.DescribeHistogram(certn_plugin::WebhookReceiver::kBundleDeliveriesMetric,
                            "Webhook deliveries written together as one piece of a batch.",
                            {1, 2, 4, 8, 16, 32, 64, 128, 256});
}

}  // namespace

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Open(const RuntimeOptions& options) {
  std::unique_ptr<Runtime> rt(new Runtime());
  rt->logger_ = std::make_unique<JsonLogger>(std::make_shared<FileSink>(stderr), options.log_level);
  if (options.need_cipher) {
    absl::StatusOr<std::unique_ptr<crypto::AesGcmCipher>> cipher =
        crypto::AesGcmCipher::FromConfig(options.key_file);
    if (!cipher.ok()) return cipher.status();
    rt->cipher_ = *std::move(cipher);
  } else {
    rt->cipher_ = std::make_unique<RefusingCipher>();
  }
  // Report data is sealed at rest with the same key as the secrets; commands
  // run without it neither read nor write report data.
  StoreOptions store_options;
  store_options.at_rest = options.need_cipher ? rt->cipher_.get() : nullptr;
  DescribeCommitMetrics(rt->metrics_);  // before the store, whose flusher observes at once
  store_options.metrics = &rt->metrics_;
  const bool postgres = IsPostgresUrl(options.db);
  // SQLite has one writer: a second lane would only wait for its lock.
  const int committers =
      !postgres ? 1 : (options.committers > 0 ? options.committers : kPostgresCommitters);
  if (postgres) store_options.pool_size = kPostgresPoolBase + committers;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(options.db, store_options);
  if (!store.ok()) return store.status();
  rt->store_ = *std::move(store);
  rt->deps_ = std::make_unique<Deps>(
      Deps{*rt->store_, rt->clock_, rt->ids_, rt->crypto_, *rt->logger_, rt->metrics_, rt->kinds_});
  certn::CertnClientConfig certn_config;
  certn_config.ApplyEnvironment();
  if (options.certn_base_url) certn_config.base_url_override = *options.certn_base_url;
  if (options.certn_rate_window) certn_config.rate_limit.window = *options.certn_rate_window;
  // A vendor's rate limit is per account, whoever calls: replicas on one
  // PostgreSQL database share the budget through it; a SQLite file has one
  // process, which keeps its own.
  if (rt->store_->backend() == "postgres")
    rt->call_budget_ = std::make_unique<SharedCallBudget>(*rt->store_);
  rt->gateway_ = std::make_unique<certn::CertnHttpGateway>(certn_config, rt->logger_.get(), nullptr,
                                                           rt->call_budget_.get());
  if (absl::Status s = RegisterBuiltinKinds(rt->kinds_); !s.ok()) return s;
  rt->committer_ = std::make_unique<GroupCommitter>(*rt->store_, 256, committers, &rt->metrics_);
  WorkRunnerOptions work_options =
      certn_plugin::WorkOptions(options.plugin, rt->ids_.NewId(), options.worker_threads);
  work_options.express_threads = options.express_threads;
  // The worker's claims and outcomes share the deliveries' batches (issue 21).
  work_options.committer = rt->committer_.get();
  rt->work_ = std::make_unique<WorkRunner>(*rt->deps_, std::move(work_options));
  if (absl::Status s = rt->LoadPlugins(options); !s.ok()) return s;
  rt->accounts_ = std::make_unique<Accounts>(*rt->deps_);
  rt->plans_ = std::make_unique<Plans>(*rt->deps_);
  rt->applications_ = std::make_unique<Applications>(*rt->deps_);
  if (absl::Status s = rt->applications_->RegisterWork(*rt->work_); !s.ok()) return s;
  // Vendor-neutral: the drain sends through the plugin's CheckSender.
  rt->bulk_sends_ = std::make_unique<BulkSends>(*rt->deps_, rt->certn_->sender());
  rt->bulk_sends_->set_work_notifier([work = rt->work_.get()] { work->Wake(); });
  if (absl::Status s = rt->bulk_sends_->RegisterWork(*rt->work_); !s.ok()) return s;
  rt->lifecycle_ = std::make_unique<CheckLifecycle>(*rt->deps_);
  if (absl::Status s = rt->OpenOutbound(options); !s.ok()) return s;
  if (absl::Status s = rt->WireRetention(options); !s.ok()) return s;
  return rt;
}

// The plugins of this build, listed explicitly: static libraries make
// self-registration fragile (an unreferenced object file is dropped).
absl::Status Runtime::LoadPlugins(const RuntimeOptions& options) {
  absl::StatusOr<std::unique_ptr<certn_plugin::CertnPlugin>> certn =
      certn_plugin::CertnPlugin::Create(*deps_, *gateway_, *cipher_, *committer_, options.plugin,
                                        kinds_, *work_);
  if (!certn.ok()) return certn.status();
  certn_ = *std::move(certn);
  return absl::OkStatus();
}

// Retention and erasure: an erasure cancels an active check through its
// plugin first (durably, as a person's cancel would).
absl::Status Runtime::WireRetention(const RuntimeOptions& options) {
  RetentionOptions retention_options;
  retention_options.interval = options.retention_interval;
  retention_ = std::make_unique<Retention>(*deps_, retention_options);
  retention_->set_canceller(
      [checks = &certn_->checks()](const Principal& who, const BackgroundCheck& check) {
        absl::StatusOr<BackgroundCheck> cancelled = checks->Cancel(
            who, check.id, certn_plugin::CancelRequest{.reason = "The candidate is being erased."});
        // Ended meanwhile (completed, failed): nothing left to cancel.
        if (cancelled.status().code() == absl::StatusCode::kAborted) return absl::OkStatus();
        return cancelled.status();
      });
  retention_->set_refused_forgetter([webhook = &certn_->webhook()](const auto& cutoff) {
    return webhook->ForgetRefused(cutoff);
  });
  if (absl::Status s = retention_->RegisterWork(*work_); !s.ok()) return s;
  // The other periodic per-team job: notices of checks past their expected date.
  delay_notices_ = std::make_unique<DelayNotices>(
      *deps_, DelayScanOptions{.interval = options.delay_scan_interval});
  return delay_notices_->RegisterWork(*work_);
}

// Outbound webhooks to the host ATS: endpoints, and the deliverer of the
// outbox the core's check and application changes fill (issue 20).
absl::Status Runtime::OpenOutbound(const RuntimeOptions& options) {
  poster_ = outbound::MakeBeastWebhookPoster(options.outbound_policy);
  endpoints_ = std::make_unique<WebhookEndpoints>(*deps_, *cipher_, options.outbound_policy);
  notifications_ = std::make_unique<Notifications>(*deps_);
  endpoints_->set_work_notifier([work = work_.get()] { work->Wake(); });
  deliverer_ = std::make_unique<OutboundDeliverer>(
      *deps_, *cipher_, *poster_, options.outbound_policy, options.outbound_delivery);
  return deliverer_->RegisterWork(*work_);
}

Runtime::~Runtime() {
  if (work_) work_->Stop();
  committer_.reset();  // commits what is queued
}

}  // namespace stagecheck::cli
