// Captures every log line and every error message of a full run against the
// fake Certn, faults included, and proves the API key appears in none.
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/certn/gateway.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_certn/fake_certn_process.h"

namespace stagecheck::certn {
namespace {

constexpr char kKey[] = "live_KEY_must_never_leak_93b1";

class CapturingLogger final : public Logger {
 public:
  void Log(LogLevel level, std::string_view event,
           std::initializer_list<LogField> fields) override {
    std::string line = absl::StrCat(static_cast<int>(level), " ", std::string(event));
    for (const auto& [k, v] : fields)
      absl::StrAppend(&line, " ", std::string(k), "=", std::string(v));
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::move(line));
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST(KeyNeverLoggedTest, FullRunWithFaults) {
  auto fake = fake_certn::FakeCertnProcess::Start();
  ASSERT_TRUE(fake.ok()) << fake.status();
  ASSERT_TRUE((*fake)
                  ->CreateAccount(
                      {.api_key = kKey,
                       .certn_team_id = "team-log",
                       .packages = {{"pkg", "Standard", {"CRIMINAL_RECORD_1", "ADVERSE_MEDIA_1"}}}})
                  .ok());
  CertnClientConfig config;
  config.base_url_override = (*fake)->base_url();
  config.total_timeout = absl::Milliseconds(700);
  config.retry.initial_backoff = absl::Milliseconds(5);
  config.retry.max_backoff = absl::Milliseconds(10);
  CapturingLogger logger;
  CertnHttpGateway gateway(config, &logger);
  const CertnCredentials creds{kKey, CertnRegion::kNorthAmerica};
  std::vector<std::string> messages;
  auto note = [&messages](const absl::Status& s) { messages.push_back(s.ToString()); };

  auto v = gateway.Verify(creds);
  ASSERT_TRUE(v.ok());
  messages.push_back(v->reason);
  note(gateway.ListPackages(creds).status());
  auto c = gateway.OrderPackage(creds, {"pkg", "a@b.c", "A", "B", "ref"});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*fake)->AdvanceCase(c->id, "COMPLETE").ok());
  note(gateway.GetCase(creds, c->id).status());
  note(gateway.GenerateReport(creds, c->id));
  auto done = gateway.GetCase(creds, c->id);
  ASSERT_TRUE(done.ok() && done->report_file_id.has_value());
  note(gateway.DownloadReport(creds, *done->report_file_id, 1 << 20).status());
  note(gateway.DownloadReport(creds, *done->report_file_id, 10).status());
  note(gateway.CancelCase(creds, c->id));
  // Every kind of failure.
  for (fake_certn::FaultSpec fault : std::vector<fake_certn::FaultSpec>{
           {.endpoint = "get_case", .status = 503},
           {.endpoint = "get_case", .status = 429, .retry_after = 0},
           {.endpoint = "get_case", .hang_ms = 3000},
           {.endpoint = "get_case", .malformed_json = true},
           {.endpoint = "get_case", .wrong_types = true},
       }) {
    ASSERT_TRUE((*fake)->InjectFault(fault).ok());
    note(gateway.GetCase(creds, c->id).status());
    ASSERT_TRUE((*fake)->ClearFaults().ok());
  }
  note(gateway.GetCase({std::string(kKey) + "x", CertnRegion::kNorthAmerica}, c->id).status());
  CertnClientConfig down = config;
  down.base_url_override = "http://127.0.0.1:1";
  CertnHttpGateway unreachable(down, &logger);
  auto u = unreachable.Verify(creds);
  ASSERT_TRUE(u.ok());
  messages.push_back(u->reason);

  const auto lines = logger.lines();
  EXPECT_GE(lines.size(), 15u);  // the run did log
  for (const auto& line : lines)
    EXPECT_THAT(line, ::testing::Not(::testing::HasSubstr(kKey))) << line;
  for (const auto& m : messages) EXPECT_THAT(m, ::testing::Not(::testing::HasSubstr(kKey))) << m;
  // Not even the last four characters travel in a log field.
  for (const auto& line : lines)
    EXPECT_THAT(line, ::testing::Not(::testing::HasSubstr("93b1"))) << line;
}

}  // namespace
}  // namespace stagecheck::certn
