#include "tests/support/service/certn_setup.h"

#include <random>

#include "absl/strings/str_cat.h"

namespace stagecheck::testing {

std::string RandomHex(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    unsigned v = rd() & 0xff;
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 0xf]);
  }
  return out;
}

std::vector<fake_certn::PackageSpec> DefaultCertnPackages() {
  return {
      {"pkg-basic", "Basic criminal record", {"CRIMINAL_RECORD_1"}},
      {"pkg-standard",
       "Standard employment screening",
       {"CRIMINAL_RECORD_1", "IDENTITY_VERIFICATION_1", "ADVERSE_MEDIA_1"}},
      {"pkg-tenant",
       "Tenant screening",
       {"QUESTIONNAIRE_1", "INCOME_VERIFICATION_1", "RENTAL_HISTORY_1"}},
  };
}

absl::StatusOr<CertnAccount> ConnectCertn(const ServiceProcess& service,
                                          fake_certn::FakeCertnProcess& fake,
                                          const TeamTokens& team, CertnConnectOptions options) {
  CertnAccount account;
  account.api_key = options.api_key.empty() ? "ck_" + RandomHex(16) : options.api_key;
  account.certn_team_id =
      options.certn_team_id.empty() ? "certn-team-" + RandomHex(6) : options.certn_team_id;
  account.webhook_secret =
      options.webhook_secret.empty() ? "whsec_" + RandomHex(16) : options.webhook_secret;
  account.packages = options.packages.empty() ? DefaultCertnPackages() : options.packages;
  fake_certn::AccountSpec spec;
  spec.api_key = account.api_key;
  spec.certn_team_id = account.certn_team_id;
  spec.region = options.region;
  spec.webhook_url = service.webhook_url();
  spec.webhook_secret = account.webhook_secret;
  spec.packages = account.packages;
  if (absl::Status s = fake.CreateAccount(spec); !s.ok()) return s;
  std::string body = absl::StrCat("{\"api_key\":", JsonQuote(account.api_key),
                                  ",\"region\":", JsonQuote(options.region),
                                  ",\"webhook_secret\":", JsonQuote(account.webhook_secret), "}");
  account.connect_response = service.Put("/api/v1/integrations/certn", body, team.admin_token);
  if (account.connect_response.status != 200 ||
      account.connect_response.Bool("/connected") != true) {
    return absl::FailedPreconditionError(absl::StrCat("PUT /api/v1/integrations/certn answered ",
                                                      account.connect_response.status, ": ",
                                                      account.connect_response.body));
  }
  return account;
}

}  // namespace stagecheck::testing
