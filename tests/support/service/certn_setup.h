// Connects Certn for a team end to end against a FakeCertnProcess: creates a
// fake Certn account (api_key, certn_team_id, webhook_url = the service's
// /certn/certnWebhookHandler, webhook_secret, packages), then
// PUT /api/v1/integrations/certn as the team's admin.
//
//   auto certn = ConnectCertn(*svc, *fake, team);   // unique key/secret per call
//   ASSERT_TRUE(certn.ok()) << certn.status();
//   svc->Post("/api/v1/applications/" + app + "/background-checks",
//             R"({"package_id":"pkg-basic"})", team.recruiter_token);
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/fake_certn/fake_certn_process.h"
#include "tests/support/service/service_process.h"

namespace stagecheck::testing {

struct CertnConnectOptions {
  std::string api_key = {};         // default: random, unique
  std::string certn_team_id = {};   // default: random, unique
  std::string webhook_secret = {};  // default: random, unique (>= 16 chars)
  std::string region = "north_america";
  // Default: DefaultCertnPackages().
  std::vector<fake_certn::PackageSpec> packages = {};
};

// What was connected: the clear secrets (for grepping responses and logs).
struct CertnAccount {
  std::string api_key = {};
  std::string certn_team_id = {};
  std::string webhook_secret = {};
  std::vector<fake_certn::PackageSpec> packages = {};
  HttpResponse connect_response = {};  // the PUT's answer (200, status "connected")
};

// pkg-basic (CRIMINAL_RECORD_1), pkg-standard (criminal, identity, adverse
// media) and pkg-tenant (tenant-only checks: filtered out of package lists).
std::vector<fake_certn::PackageSpec> DefaultCertnPackages();

// Error unless the PUT answered 200 with "connected": true.
absl::StatusOr<CertnAccount> ConnectCertn(const ServiceProcess& service,
                                          fake_certn::FakeCertnProcess& fake,
                                          const TeamTokens& team, CertnConnectOptions options = {});

// A random lower-case hex string of `bytes` * 2 characters.
std::string RandomHex(size_t bytes);

}  // namespace stagecheck::testing
