#include "plugin/certn/integrations.h"

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/services/plans.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "plugin/certn/checks.h"
#include "plugin/certn/ports/certn_store.h"

namespace stagecheck::certn_plugin {
namespace {

bool PrintableWithoutSpaces(std::string_view s) {
  for (char c : s) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

absl::Status CertnNotConnected() {
  return Error(absl::StatusCode::kFailedPrecondition, "certn_not_connected",
               "Certn is not connected for this team.");
}

absl::Status FromCertn(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return Error(absl::StatusCode::kFailedPrecondition,
                   ErrorCode(status) == "wrong_region" ? "wrong_region" : "invalid_key",
                   "Certn refused this team's API key; an admin should reconnect Certn.");
    case absl::StatusCode::kNotFound:
      return Error(absl::StatusCode::kFailedPrecondition, "certn_case_not_found",
                   "Certn no longer knows this case.");
    case absl::StatusCode::kInvalidArgument:
      return Error(absl::StatusCode::kFailedPrecondition, "certn_rejected",
                   ToStd(status.message()));
    default:
      return status;
  }
}

WorkItem EventFeedReadItem(const TeamId& team, absl::Time run_at) {
  WorkItem item;
  item.team = team;
  item.id = WorkItemId(std::string(kReadEventsWorkId));
  item.kind = std::string(kWorkReadEvents);
  item.subject = team.value();
  item.run_at = run_at;
  return item;
}

absl::Status ValidateApiKey(std::string_view key) {
  if (key.size() < 8 || key.size() > 512 || !PrintableWithoutSpaces(key)) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_api_key_format",
                 "api_key must be 8 to 512 printable characters without spaces");
  }
  return absl::OkStatus();
}

absl::Status ValidateWebhookSecret(std::string_view secret) {
  if (secret.size() < 16 || secret.size() > 512 || !PrintableWithoutSpaces(secret)) {
    return Error(absl::StatusCode::kInvalidArgument, "invalid_webhook_secret",
                 "webhook_secret must be 16 to 512 printable characters without spaces");
  }
  return absl::OkStatus();
}

std::string Integrations::WebhookUrl() const {
  std::string base = config_.public_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return absl::StrCat(base, ToAbsl(kWebhookPath));
}

IntegrationView Integrations::ToView(const CertnIntegration& in) const {
  IntegrationView view;
  view.region = in.region;
  view.status = in.status;
  view.status_reason = in.status_reason;
  view.masked_api_key = MaskSecret(in.api_key_last4);
  view.webhook_url = WebhookUrl();
  view.certn_team_id = in.certn_team_id;
  view.verified_at = in.verified_at;
  view.last_delivery_at = in.last_delivery_at;
  view.requests_per_minute = in.requests_per_minute;
  view.requests_per_day = in.requests_per_day;
  if (in.previous_secret_valid_until && *in.previous_secret_valid_until > deps_.clock.Now()) {
    view.previous_secret_valid_until = in.previous_secret_valid_until;
  }
  return view;
}

absl::StatusOr<CertnCredentials> Integrations::Credentials(const CertnIntegration& integration) {
  absl::StatusOr<std::shared_ptr<const std::string>> key = Decrypt(integration.api_key_encrypted);
  if (!key.ok()) {
    return Error(absl::StatusCode::kInternal, "secret_unreadable",
                 "the stored Certn API key cannot be decrypted (was the encryption key changed?)");
  }
  return CertnCredentials{**key, integration.region, integration.requests_per_minute,
                          integration.requests_per_day};
}

absl::StatusOr<std::shared_ptr<const std::string>> Integrations::Decrypt(
    const std::string& sealed) {
  {
    std::lock_guard<std::mutex> lock(secrets_mu_);
    auto it = opened_.find(sealed);
    if (it != opened_.end()) return it->second;
  }
  absl::StatusOr<std::string> plain = cipher_.Decrypt(sealed);
  if (!plain.ok()) return plain.status();
  auto opened = std::make_shared<const std::string>(*std::move(plain));
  std::lock_guard<std::mutex> lock(secrets_mu_);
  // Bounded: rotated secrets' entries are dropped wholesale, never reached again.
  if (opened_.size() >= kMaxOpenedSecrets) opened_.clear();
  opened_.emplace(sealed, opened);
  return opened;
}

absl::StatusOr<Integrations::SecretList> Integrations::WebhookSecrets(
    const CertnIntegration& integration, absl::Time now) {
  SecretList secrets;
  auto add = [&secrets](std::shared_ptr<const std::string> secret) {
    secrets.views[secrets.count] = *secret;
    secrets.held[secrets.count++] = std::move(secret);
  };
  absl::StatusOr<std::shared_ptr<const std::string>> current =
      Decrypt(integration.webhook_secret_encrypted);
  if (!current.ok()) {
    return Error(absl::StatusCode::kInternal, "secret_unreadable",
                 "the stored webhook secret cannot be decrypted");
  }
  add(*std::move(current));
  if (integration.previous_webhook_secret_encrypted && integration.previous_secret_valid_until &&
      now < *integration.previous_secret_valid_until) {
    absl::StatusOr<std::shared_ptr<const std::string>> previous =
        Decrypt(*integration.previous_webhook_secret_encrypted);
    if (previous.ok()) add(*std::move(previous));
  }
  return secrets;
}

absl::StatusOr<IntegrationView> Integrations::Connect(const Principal& who,
                                                      const ConnectRequest& request) {
  if (auto s = RequireAdmin(who); !s.ok()) return s;
  if (request.api_key) {
    if (auto s = ValidateApiKey(*request.api_key); !s.ok()) return s;
  }
  if (request.webhook_secret) {
    if (auto s = ValidateWebhookSecret(*request.webhook_secret); !s.ok()) return s;
  }
  absl::StatusOr<CertnIntegration> existing = InTransaction<CertnIntegration>(
      deps_.store, [&](UnitOfWork& uow) { return CertnRows(uow).GetIntegration(who.team); });
  if (!existing.ok() && existing.status().code() != absl::StatusCode::kNotFound) {
    return existing.status();
  }
  CertnIntegration integration;
  if (existing.ok()) {
    integration = *existing;
  } else {
    if (!request.api_key || !request.region || !request.webhook_secret) {
      return Error(absl::StatusCode::kInvalidArgument, "missing_field",
                   "api_key, region and webhook_secret are required to connect Certn");
    }
    integration.team = who.team;
  }
  if (request.api_key) {
    absl::StatusOr<std::string> encrypted = cipher_.Encrypt(*request.api_key);
    if (!encrypted.ok()) return encrypted.status();
    integration.api_key_encrypted = *encrypted;
    integration.api_key_last4 = request.api_key->substr(request.api_key->size() - 4);
    integration.certn_team_id.reset();
    integration.events_cursor.reset();  // another account's feed, maybe
  }
  if (request.region && *request.region != integration.region) integration.events_cursor.reset();
  if (request.region) integration.region = *request.region;
  if (request.requests_per_minute) integration.requests_per_minute = *request.requests_per_minute;
  if (request.requests_per_day) integration.requests_per_day = *request.requests_per_day;
  if (request.webhook_secret) {
    absl::StatusOr<std::string> encrypted = cipher_.Encrypt(*request.webhook_secret);
    if (!encrypted.ok()) return encrypted.status();
    integration.webhook_secret_encrypted = *encrypted;
    integration.previous_webhook_secret_encrypted.reset();
    integration.previous_secret_valid_until.reset();
  }
  const bool new_credentials = request.api_key.has_value() || (existing.ok() && request.region &&
                                                               *request.region != existing->region);
  if (existing.ok() && existing->status == ConnectionStatus::kConnected && new_credentials) {
    // A typo in a new key must not disconnect every recruiter: the new
    // credentials replace the working ones only once Certn accepts them.
    absl::StatusOr<CertnVerification> accepted = TryCredentials(integration);
    if (!accepted.ok()) return accepted.status();
    ForgetPackages(who.team);
    return VerifyAndStore(who.team, std::move(integration), *accepted);
  }
  // Another account or region offers other packages; a new limit or secret does not.
  if (new_credentials) ForgetPackages(who.team);
  return VerifyAndStore(who.team, std::move(integration));
}

absl::StatusOr<CertnVerification> Integrations::TryCredentials(const CertnIntegration& candidate) {
  absl::StatusOr<CertnCredentials> creds = Credentials(candidate);
  if (!creds.ok()) return creds.status();
  absl::StatusOr<CertnVerification> verified = gateway_.Verify(*creds);
  if (!verified.ok() || verified->status == ConnectionStatus::kUnreachable) {
    return Error(
        absl::StatusCode::kUnavailable, "unreachable",
        "Certn could not be reached to check the new API key; the current key stays in use.");
  }
  switch (verified->status) {
    case ConnectionStatus::kConnected:
      return verified;
    case ConnectionStatus::kWrongRegion:
      return Error(
          absl::StatusCode::kFailedPrecondition, "wrong_region",
          "Certn did not accept the new API key in that region; the current key stays in use.");
    default:
      // Keys are region-scoped and Certn answers both with a plain 401.
      return Error(
          absl::StatusCode::kFailedPrecondition, "invalid_key",
          "Certn did not accept the new API key (an invalid key, or a key of another region); the "
          "current key stays in use.");
  }
}

absl::StatusOr<IntegrationView> Integrations::VerifyAndStore(
    const TeamId& team, CertnIntegration integration,
    std::optional<CertnVerification> verified_already) {
  absl::StatusOr<CertnCredentials> creds = Credentials(integration);
  if (!creds.ok()) return creds.status();
  absl::StatusOr<CertnVerification> verified =
      verified_already ? *std::move(verified_already) : gateway_.Verify(*creds);
  absl::Time now = deps_.clock.Now();
  if (verified.ok()) {
    integration.status = verified->status;
    integration.status_reason = verified->reason;
    if (verified->status == ConnectionStatus::kConnected) {
      integration.certn_team_id = verified->certn_team_id;
      integration.verified_at = now;
    }
  } else if (ErrorCode(verified.status()) != kDailyLimitCode) {
    integration.status = ConnectionStatus::kUnreachable;
    integration.status_reason = std::string(verified.status().message());
  }  // else the day's budget is spent: Certn was not asked, and the key is as good as it was
  integration.updated_at = now;
  absl::Status stored = deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    if (integration.certn_team_id) {
      absl::StatusOr<TeamId> owner =
          CertnRows(uow).FindTeamByCertnTeamId(*integration.certn_team_id);
      if (owner.ok() && *owner != team) {
        return Error(absl::StatusCode::kAlreadyExists, "certn_team_claimed",
                     "this Certn account is already connected to another team");
      }
    }
    RETURN_IF_ERROR(CertnRows(uow).UpsertIntegration(integration));
    if (integration.status != ConnectionStatus::kConnected) return absl::OkStatus();
    // Certn answers again, perhaps with a raised daily limit: orders waiting
    // for the budget or backing off go now (one still refused just waits again).
    RETURN_IF_ERROR(uow.ExpediteWork(team, std::string(kWorkOrder), now).status());
    // Its event-feed reads start now; AlreadyExists: they run already.
    absl::Status reads = uow.EnqueueWork(EventFeedReadItem(team, now + config_.reconcile_interval));
    return reads.code() == absl::StatusCode::kAlreadyExists ? absl::OkStatus() : reads;
  });
  if (stored.code() == absl::StatusCode::kAlreadyExists &&
      ErrorCode(stored) != "certn_team_claimed") {
    return Error(absl::StatusCode::kAlreadyExists, "certn_team_claimed",
                 "this Certn account is already connected to another team");
  }
  // Bumped even when the write failed: it may have committed all the same.
  generation_.fetch_add(1, std::memory_order_acq_rel);
  if (!stored.ok()) return stored;
  deps_.log.Log(LogLevel::kInfo, "certn.integration.verified",
                {{"team", team.value()}, {"status", ConnectionStatusName(integration.status)}});
  return ToView(integration);
}

absl::StatusOr<IntegrationView> Integrations::Get(const Principal& who) {
  if (auto s = RequireAdmin(who); !s.ok()) return s;
  absl::StatusOr<CertnIntegration> integration = InReadTransaction<CertnIntegration>(
      deps_.store, [&](UnitOfWork& uow) { return CertnRows(uow).GetIntegration(who.team); });
  if (integration.status().code() == absl::StatusCode::kNotFound) return CertnNotConnected();
  if (!integration.ok()) return integration.status();
  return ToView(*integration);
}

absl::StatusOr<IntegrationView> Integrations::Verify(const Principal& who) {
  if (auto s = RequireAdmin(who); !s.ok()) return s;
  absl::StatusOr<CertnIntegration> integration = InReadTransaction<CertnIntegration>(
      deps_.store, [&](UnitOfWork& uow) { return CertnRows(uow).GetIntegration(who.team); });
  if (integration.status().code() == absl::StatusCode::kNotFound) return CertnNotConnected();
  if (!integration.ok()) return integration.status();
  ForgetPackages(who.team);
  return VerifyAndStore(who.team, *std::move(integration));
}

absl::StatusOr<IntegrationView> Integrations::RotateWebhookSecret(const Principal& who,
                                                                  const std::string& new_secret) {
  if (auto s = RequireAdmin(who); !s.ok()) return s;
  if (auto s = ValidateWebhookSecret(new_secret); !s.ok()) return s;
  absl::StatusOr<std::string> encrypted = cipher_.Encrypt(new_secret);
  if (!encrypted.ok()) return encrypted.status();
  absl::Time now = deps_.clock.Now();
  absl::StatusOr<CertnIntegration> rotated = InTransaction<CertnIntegration>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<CertnIntegration> {
        absl::StatusOr<CertnIntegration> in = CertnRows(uow).GetIntegration(who.team);
        if (in.status().code() == absl::StatusCode::kNotFound) return CertnNotConnected();
        if (!in.ok()) return in.status();
        in->previous_webhook_secret_encrypted = in->webhook_secret_encrypted;
        in->previous_secret_valid_until = now + config_.secret_rotation_grace;
        in->webhook_secret_encrypted = *encrypted;
        in->updated_at = now;
        if (auto s = CertnRows(uow).UpsertIntegration(*in); !s.ok()) return s;
        return in;
      });
  generation_.fetch_add(1, std::memory_order_acq_rel);
  if (!rotated.ok()) return rotated.status();
  deps_.log.Log(LogLevel::kInfo, "certn.webhook_secret.rotated", {{"team", who.team.value()}});
  return ToView(*rotated);
}

absl::StatusOr<CertnPackage> Integrations::FindPackage(const TeamId& team,
                                                       const std::string& package_id) {
  absl::StatusOr<std::vector<CertnPackage>> packages = Packages(team);
  if (!packages.ok()) return packages.status();
  for (const CertnPackage& p : *packages) {
    if (p.id == package_id) return p;
  }
  return Error(absl::StatusCode::kInvalidArgument, "unknown_package",
               "That package is not one of this team's Certn packages.");
}

absl::StatusOr<bool> Integrations::IsConnected(const TeamId& team) {
  absl::StatusOr<CertnIntegration> integration = InReadTransaction<CertnIntegration>(
      deps_.store, [&](UnitOfWork& uow) { return CertnRows(uow).GetIntegration(team); });
  if (integration.status().code() == absl::StatusCode::kNotFound) return false;
  if (!integration.ok()) return integration.status();
  return integration->status == ConnectionStatus::kConnected;
}

void Integrations::ForgetPackages(const TeamId& team) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  package_cache_.erase(team);
}

absl::StatusOr<std::vector<CertnPackage>> Integrations::Packages(const TeamId& team) {
  absl::Time now = deps_.clock.Now();
  std::optional<std::vector<CertnPackage>> stale;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = package_cache_.find(team);
    if (it != package_cache_.end()) {
      if (now - it->second.fetched_at < config_.package_cache_ttl) return it->second.packages;
      stale = it->second.packages;
    }
  }
  absl::StatusOr<CertnIntegration> integration = InReadTransaction<CertnIntegration>(
      deps_.store, [&](UnitOfWork& uow) { return CertnRows(uow).GetIntegration(team); });
  if (integration.status().code() == absl::StatusCode::kNotFound) return CertnNotConnected();
  if (!integration.ok()) return integration.status();
  if (integration->status != ConnectionStatus::kConnected) return CertnNotConnected();
  absl::StatusOr<CertnCredentials> creds = Credentials(*integration);
  if (!creds.ok()) return creds.status();
  absl::StatusOr<std::vector<CertnPackage>> packages = gateway_.ListPackages(*creds);
  // Stale beats nothing while Certn cannot be asked (down, or the day's
  // budget spent): packages change rarely, and a send must still be queued.
  const bool transient = packages.status().code() == absl::StatusCode::kUnavailable ||
                         packages.status().code() == absl::StatusCode::kResourceExhausted ||
                         packages.status().code() == absl::StatusCode::kDeadlineExceeded;
  if (!packages.ok() && transient && stale) return *std::move(stale);
  if (!packages.ok()) return FromCertn(packages.status());
  std::lock_guard<std::mutex> lock(cache_mu_);
  package_cache_[team] = CachedPackages{now, *packages};
  return packages;
}

}  // namespace stagecheck::certn_plugin
