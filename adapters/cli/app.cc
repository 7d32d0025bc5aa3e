#include "adapters/cli/app.h"

#include "plugin/certn/kind.h"

namespace stagecheck::cli {

absl::StatusOr<std::string> RefusingCipher::Encrypt(std::string_view) {
  return absl::FailedPreconditionError("no encryption key is configured for this command");
}
absl::StatusOr<std::string> RefusingCipher::Decrypt(std::string_view) {
  return absl::FailedPreconditionError("no encryption key is configured for this command");
}

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
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(options.db, StoreOptions{});
  if (!store.ok()) return store.status();
  rt->store_ = *std::move(store);
  rt->deps_ = std::make_unique<Deps>(Deps{*rt->store_, rt->clock_, rt->ids_, rt->crypto_, *rt->logger_,
                                          rt->metrics_, rt->kinds_});
  certn::CertnClientConfig certn_config;
  certn_config.ApplyEnvironment();
  if (options.certn_base_url) certn_config.base_url_override = *options.certn_base_url;
  rt->gateway_ = std::make_unique<certn::CertnHttpGateway>(certn_config, rt->logger_.get());
  rt->integrations_ = std::make_unique<certn_plugin::Integrations>(*rt->deps_, *rt->gateway_, *rt->cipher_,
                                                                   options.plugin);
  rt->checks_ = std::make_unique<certn_plugin::Checks>(*rt->deps_, *rt->gateway_, *rt->integrations_);
  if (absl::Status s = RegisterBuiltinKinds(rt->kinds_); !s.ok()) return s;
  // The Certn plugin's one registration line.
  if (absl::Status s = certn_plugin::RegisterCertnKind(rt->kinds_, *rt->checks_); !s.ok()) return s;
  rt->committer_ = std::make_unique<GroupCommitter>(*rt->store_);
  rt->webhook_ = std::make_unique<certn_plugin::WebhookReceiver>(*rt->checks_, *rt->committer_);
  rt->worker_ = std::make_unique<certn_plugin::Worker>(*rt->checks_, rt->ids_.NewId(), options.worker_threads,
                                                       absl::Seconds(1), options.plugin.reconcile_interval);
  rt->checks_->set_work_notifier([w = rt->worker_.get()] { w->Wake(); });
  rt->accounts_ = std::make_unique<Accounts>(*rt->deps_);
  rt->plans_ = std::make_unique<Plans>(*rt->deps_);
  rt->applications_ = std::make_unique<Applications>(*rt->deps_);
  return rt;
}

Runtime::~Runtime() {
  if (worker_) worker_->Stop();
  committer_.reset();  // commits what is queued
}

}  // namespace stagecheck::cli
