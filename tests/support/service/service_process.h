// Runs the real `stagecheck serve` binary as a child process for integration
// and e2e tests: a free loopback port, a fresh temp SQLite DB (or a given --db
// URL), a generated STAGECHECK_ENCRYPTION_KEY, Certn pointed at a fake. The
// service's stderr (its JSON-lines log) goes to a file the test can search.
//
//   auto fake = fake_certn::FakeCertnProcess::Start();
//   auto svc = ServiceProcess::Start({.certn_base_url = (*fake)->base_url()});
//   ASSERT_TRUE(svc.ok()) << svc.status();
//   auto team = (*svc)->CreateTeam("acme");          // admin + recruiter tokens
//   HttpResponse r = (*svc)->Post("/api/v1/jobs", R"({"title":"SRE"})", team->admin_token);
//   EXPECT_EQ(r.status, 201);  EXPECT_EQ(r.String("/title"), "SRE");
//   ASSERT_TRUE((*svc)->Restart().ok());              // SIGTERM, then same DB, key and port
//
// Every wait has a deadline; nothing sleeps blindly. Thread-safe: Request()
// opens one connection per call, so tests may call it from many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rapidjson/document.h"

namespace stagecheck::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTP answer. status 0 means no answer (connect failure or timeout).
struct HttpResponse {
  int status = 0;
  Headers headers;  // names lower-cased
  std::string body;

  std::optional<std::string> Header(std::string_view lower_case_name) const;
  // JSON helpers over the body, addressed by JSON Pointer ("/items/0/id").
  // nullopt when the body is not JSON, the pointer is absent or the type differs.
  std::optional<std::string> String(std::string_view pointer) const;
  std::optional<int64_t> Int(std::string_view pointer) const;
  std::optional<bool> Bool(std::string_view pointer) const;
  bool IsNull(std::string_view pointer) const;
  bool Has(std::string_view pointer) const;
  // Elements of the array at `pointer`; nullopt when it is not an array.
  std::optional<size_t> Size(std::string_view pointer) const;
  // The problem+json `code` ("" when absent).
  std::string code() const { return String("/code").value_or(""); }
  // The whole body parsed (a null document when it is not JSON).
  rapidjson::Document Json() const;
};

// The value at `pointer` in `json`, or nullptr (for callers holding a Document).
const rapidjson::Value* JsonAt(const rapidjson::Value& json, std::string_view pointer);
// Escapes `s` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view s);

struct ServiceOptions {
  // --certn-base-url; normally a FakeCertnProcess's base_url().
  std::string certn_base_url = {};
  // --db; empty means a fresh SQLite file in the process's temp dir. A
  // postgres:// URL works too (e.g. from tests/support/pg).
  std::string db = {};
  // 64 hex chars; empty means a random key (kept across Restart()).
  std::string encryption_key = {};
  // Default: $STAGECHECK_BINARY, else the stagecheck this build made.
  std::string binary = {};
  std::vector<std::string> extra_args = {};  // e.g. {"--job-workers", "1"}
  Headers extra_env = {};                    // added to (or overriding) this process's environment
  std::string log_level = "info";
  absl::Duration start_timeout = absl::Seconds(20);
  bool keep_temp_dir = false;  // leave DB and log behind (also: $STAGECHECK_KEEP_TEST_DIRS)
};

// Tokens of a team made through `stagecheck team create` / `token create`.
struct TeamTokens {
  std::string team_id = {};
  std::string admin_token = {};
  std::string recruiter_token = {};
};

class ServiceProcess {
 public:
  // Starts the service and returns once /readyz answers 200.
  static absl::StatusOr<std::unique_ptr<ServiceProcess>> Start(ServiceOptions options = {});
  ~ServiceProcess();  // Stop() (SIGKILL after 10 s), then removes the temp dir
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  uint16_t port() const { return port_; }
  int pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  std::string base_url() const;                  // http://127.0.0.1:PORT
  std::string webhook_url() const;               // base_url() + /certn/certnWebhookHandler
  const std::string& db() const { return db_; }  // what --db got
  const std::string& sqlite_path() const { return sqlite_path_; }  // "" unless a temp SQLite DB
  const std::string& encryption_key() const { return options_.encryption_key; }
  const std::string& temp_dir() const { return dir_; }
  const std::string& log_path() const { return log_path_; }  // stderr of every run, appended

  // The captured log so far, and whether it contains `needle`.
  std::string ReadLog() const;
  bool LogContains(std::string_view needle) const;

  // SIGTERM and wait (deadline) for a clean exit; error if the exit was not 0.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(10));
  // SIGKILL and reap: a crash.
  void Kill();
  // Stop() if running, then start again on the same DB, key and port.
  absl::Status Restart();

  // Runs `stagecheck ARGS...` (e.g. {"team", "create", "x", "--db", db()})
  // with the service's environment; its stdout on exit code 0, else an error
  // carrying stderr.
  absl::StatusOr<std::string> RunCli(const std::vector<std::string>& args,
                                     absl::Duration timeout = absl::Seconds(20)) const;
  // `team create` + `token create --role recruiter` through the CLI.
  absl::StatusOr<TeamTokens> CreateTeam(const std::string& name) const;
  absl::StatusOr<std::string> CreateToken(const std::string& team_id,
                                          const std::string& role) const;

  // Blocking HTTP/1.1 to the service. `token` non-empty adds
  // "Authorization: Bearer <token>"; a non-empty body without a Content-Type
  // in `headers` is sent as application/json, and Content-Length is added
  // unless given. A header with an empty value is not sent (so
  // {"Content-Type", ""} sends a body with no Content-Type at all).
  HttpResponse Request(const std::string& method, const std::string& path,
                       const std::string& body = "", const Headers& headers = {},
                       const std::string& token = "") const;
  HttpResponse Get(const std::string& path, const std::string& token = "",
                   const Headers& headers = {}) const {
    return Request("GET", path, "", headers, token);
  }
  HttpResponse Post(const std::string& path, const std::string& body, const std::string& token = "",
                    const Headers& headers = {}) const {
    return Request("POST", path, body, headers, token);
  }
  HttpResponse Put(const std::string& path, const std::string& body, const std::string& token = "",
                   const Headers& headers = {}) const {
    return Request("PUT", path, body, headers, token);
  }
  HttpResponse Patch(const std::string& path, const std::string& body,
                     const std::string& token = "", const Headers& headers = {}) const {
    return Request("PATCH", path, body, headers, token);
  }
  HttpResponse Delete(const std::string& path, const std::string& token = "",
                      const Headers& headers = {}) const {
    return Request("DELETE", path, "", headers, token);
  }
  // Sends `raw` bytes as they are (a whole HTTP/1.1 request) and reads one answer.
  HttpResponse RawRequest(const std::string& raw) const;

 private:
  explicit ServiceProcess(ServiceOptions options);
  absl::Status Launch();
  std::vector<std::string> Environment() const;

  ServiceOptions options_;
  std::string binary_;
  std::string dir_;
  std::string db_;
  std::string sqlite_path_;
  std::string log_path_;
  int pid_ = -1;
  int stdout_fd_ = -1;
  uint16_t port_ = 0;
};

// What ServiceProcess::Request/RawRequest do, for any loopback port (nginx in
// front of replicas, the fake Certn): Connection: close, a body is JSON unless
// `headers` say otherwise.
HttpResponse RequestTo(uint16_t port, const std::string& method, const std::string& path,
                       const std::string& body = "", const Headers& headers = {},
                       const std::string& token = "");
HttpResponse RawRequestTo(uint16_t port, const std::string& raw);

// Polls `condition` every few ms until it returns true or `timeout` passes.
// The default deadline is generous on purpose: it only bounds a failing test,
// and a passing one returns as soon as the condition holds, however busy the
// machine is (tests/support/busy.sh keeps every core busy to prove it).
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(30));

}  // namespace stagecheck::testing
