// Shared steps of the end-to-end tests: a real `stagecheck serve` process, a
// real fake-certn process, and the Gem flow's building blocks over HTTP.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/service/certn_setup.h"
#ifdef STAGECHECK_E2E_POSTGRES
#include "tests/support/pg/pg_test_support.h"
#endif
#include "tests/support/service/service_process.h"

namespace stagecheck::e2e {

using testing::HttpResponse;
using testing::ServiceProcess;

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // A test's own service flags (e.g. a shorter rate-limit window), before it starts.
  virtual void AdjustService(testing::ServiceOptions& options) { (void)options; }
  // Admin: a job with stages Screen and Background; Background holds a Certn
  // activity on `package` (auto_send as given). Returns the job id.
  std::string CreateJobWithCertnStage(const std::string& package, bool auto_send = false);
  std::string StageId(const std::string& job, const std::string& name);
  std::string ActivityId(const std::string& job);
  std::string CreateCandidate(const std::string& body);
  std::string CreateApplication(const std::string& candidate, const std::string& job);
  // A job with a Certn stage on pkg-basic, a candidate (`candidate_json`),
  // its application, and a send of its check: the send's answer.
  HttpResponse SendCheckForNewCandidate(const std::string& candidate_json);
  // Polls GET /background-checks/{id} until `pointer` equals `value`.
  HttpResponse WaitForCheck(const std::string& check, const std::string& pointer,
                            const std::string& value, absl::Duration timeout = absl::Seconds(20));
  // Moves the fake's case forward until COMPLETE.
  void AdvanceToComplete(const std::string& case_id);

#ifdef STAGECHECK_E2E_POSTGRES
  std::optional<pgtest::ScratchDatabase> db_;  // the same flows on PostgreSQL
#endif
  std::unique_ptr<fake_certn::FakeCertnProcess> fake_;
  std::unique_ptr<ServiceProcess> svc_;
  testing::TeamTokens team_;
  testing::CertnAccount certn_;
};

}  // namespace stagecheck::e2e
