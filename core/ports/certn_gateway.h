// The port through which the core and the Certn plugin talk to Certn. The one
// real implementation is adapters/certn (cpprestsdk); tests use the fake Certn
// in fixtures/ through that same adapter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/domain/check_status.h"
#include "core/domain/integration.h"

namespace stagecheck {

// The clear credentials of one call. Never logged, never put in an error.
struct CertnCredentials {
  std::string api_key;
  CertnRegion region = CertnRegion::kNorthAmerica;
};

struct CertnVerification {
  ConnectionStatus status = ConnectionStatus::kUnverified;
  std::string reason;         // human-readable, no secrets
  std::string certn_team_id;  // the Certn account the key answers for (when connected)
};

struct CertnPackage {
  std::string id;
  std::string name;
  std::vector<std::string> check_types;
};

struct CertnOrder {
  std::string package_id;
  std::string email;
  std::string first_name;
  std::string last_name;
  // Our idempotency reference: the same reference never makes two cases.
  std::string reference;
};

struct CertnCheckResult {
  std::string id;
  std::string check_type;
  std::string status;
  std::optional<std::string> result;
  std::optional<absl::Time> completed;
};

struct CertnCase {
  std::string id;
  std::string short_id;
  std::string overall_status;  // Certn's vocabulary, kept for display
  CheckStatus status = CheckStatus::kInvited;  // normalized by the adapter's one table
  std::string error_reason;                    // when status is error
  std::string email;
  std::string package_id;
  absl::Time created;
  absl::Time modified;
  std::optional<absl::Time> completed;
  std::optional<std::string> report_url;
  std::optional<std::string> report_file_id;
  std::vector<CertnCheckResult> checks;
};

class CertnGateway {
 public:
  virtual ~CertnGateway() = default;

  // A cheap authenticated call. Certn being down is a verification outcome
  // (kUnreachable), not an error.
  virtual absl::StatusOr<CertnVerification> Verify(const CertnCredentials& creds) = 0;
  // Every page; packages made only of tenant-screening checks are dropped.
  virtual absl::StatusOr<std::vector<CertnPackage>> ListPackages(const CertnCredentials& creds) = 0;
  virtual absl::StatusOr<CertnCase> OrderPackage(const CertnCredentials& creds,
                                                 const CertnOrder& order) = 0;
  virtual absl::StatusOr<CertnCase> GetCase(const CertnCredentials& creds,
                                            const std::string& case_id) = 0;
  virtual absl::StatusOr<CertnCase> CancelCase(const CertnCredentials& creds,
                                               const std::string& case_id) = 0;
  virtual absl::Status GenerateReport(const CertnCredentials& creds, const std::string& case_id) = 0;
  // The PDF bytes; ResourceExhausted past max_bytes.
  virtual absl::StatusOr<std::string> DownloadReport(const CertnCredentials& creds,
                                                     const std::string& report_file_id,
                                                     int64_t max_bytes) = 0;
};

}  // namespace stagecheck
