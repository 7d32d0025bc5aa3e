#include "tests/support/fake_certn/fake_certn_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/strings.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace stagecheck::fake_certn {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The path CMake built the binary at (compiled in), unless
// STAGECHECK_FAKE_CERTN_BINARY names another one.
std::string DefaultBinary() {
  const char* override_path = std::getenv("STAGECHECK_FAKE_CERTN_BINARY");
  if (override_path != nullptr && *override_path != '\0') return override_path;
  return STAGECHECK_FAKE_CERTN_BINARY;
}

// Reads stdout until the {"port":N} line or the deadline.
absl::StatusOr<uint16_t> ReadPort(int fd, absl::Time deadline) {
  std::string buffer;
  for (;;) {
    size_t newline = buffer.find('\n');
    if (newline != std::string::npos) {
      rapidjson::Document doc;
      doc.Parse(buffer.substr(0, newline).c_str());
      if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("port") ||
          !doc["port"].IsInt()) {
        return absl::InternalError(
            absl::StrCat("fake-certn printed an unexpected line: ", buffer.substr(0, newline)));
      }
      return static_cast<uint16_t>(doc["port"].GetInt());
    }
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0)
      return absl::DeadlineExceededError("fake-certn did not print its port in time");
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char chunk[256];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0) return absl::UnavailableError("fake-certn exited before printing its port");
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

void WriteStringArray(Writer& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const auto& v : values) w.String(v);
  w.EndArray();
}

}  // namespace

absl::StatusOr<std::unique_ptr<FakeCertnProcess>> FakeCertnProcess::Start(
    FakeCertnStartOptions options) {
  const std::string binary = options.binary.empty() ? DefaultBinary() : options.binary;
  if (::access(binary.c_str(), X_OK) != 0)
    return absl::NotFoundError("no fake-certn binary at " + binary);
  std::vector<std::string> args = {binary, "--listen", "127.0.0.1:0"};
  if (options.demo) args.push_back("--demo");
  std::vector<std::string> delays;
  for (int d : options.webhook_retry_delays_ms) delays.push_back(std::to_string(d));
  args.push_back("--webhook-retry-delays-ms");
  args.push_back(absl::StrJoin(delays, ","));
  if (options.rate_limit_per_minute > 0) {
    args.push_back("--rate-limit");
    args.push_back(std::to_string(options.rate_limit_per_minute));
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  const absl::Time deadline = absl::Now() + options.start_timeout;
  auto port = ReadPort(out[0], deadline);
  ::close(out[0]);
  std::unique_ptr<FakeCertnProcess> process(new FakeCertnProcess(pid, port.ok() ? *port : 0));
  if (!port.ok()) return port.status();  // the destructor stops the child
  // The port line is printed once serving; a health call proves it end to end.
  for (;;) {
    auto health = process->Send("GET", "/_control/health", "", {});
    if (health.ok() && health->status == 200) return process;
    if (absl::Now() > deadline)
      return absl::DeadlineExceededError("fake-certn never answered /_control/health");
    ::poll(nullptr, 0, 20);  // brief pause between probes, bounded by the deadline above
  }
}

FakeCertnProcess::FakeCertnProcess(int pid, uint16_t port)
    : pid_(pid), port_(port), transport_(certn::MakeCpprestTransport()) {}

FakeCertnProcess::~FakeCertnProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_ || done < 0) return;
    if (absl::Now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      return;
    }
    ::poll(nullptr, 0, 10);
  }
}

std::string FakeCertnProcess::base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }

std::string FakeCertnProcess::region_base_url(CertnRegion region) const {
  return absl::StrCat(base_url(), "/regions/", ToAbsl(RegionName(region)));
}

absl::StatusOr<certn::HttpReply> FakeCertnProcess::Send(
    const std::string& method, const std::string& path, const std::string& body,
    std::vector<std::pair<std::string, std::string>> headers) {
  certn::HttpCall call;
  call.method = method;
  call.url = base_url() + path;
  call.body = body;
  call.content_type = "application/json";
  call.headers = std::move(headers);
  call.connect_timeout = absl::Seconds(2);
  call.total_timeout = absl::Seconds(10);
  call.max_response_bytes = -1;
  return transport_->Send(call);
}

absl::StatusOr<std::string> FakeCertnProcess::Call(
    const std::string& method, const std::string& path, const std::string& body,
    std::vector<std::pair<std::string, std::string>> headers) {
  auto reply = Send(method, path, body, std::move(headers));
  if (!reply.ok()) return reply.status();
  if (reply->status < 200 || reply->status >= 300) {
    return absl::UnknownError(
        absl::StrCat(method, " ", path, " answered ", reply->status, ": ", reply->body));
  }
  return reply->body;
}

absl::Status FakeCertnProcess::CreateAccount(const AccountSpec& account) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("api_key");
  w.String(account.api_key);
  w.Key("certn_team_id");
  w.String(account.certn_team_id);
  w.Key("region");
  w.String(account.region);
  w.Key("webhook_url");
  w.String(account.webhook_url);
  w.Key("webhook_secret");
  w.String(account.webhook_secret);
  w.Key("packages");
  w.StartArray();
  for (const auto& p : account.packages) {
    w.StartObject();
    w.Key("id");
    w.String(p.id);
    w.Key("name");
    w.String(p.name);
    WriteStringArray(w, "check_types", p.check_types);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Call("POST", "/_control/accounts", b.GetString()).status();
}

absl::StatusOr<std::string> FakeCertnProcess::AdvanceCase(const std::string& case_id,
                                                          const std::string& target_status) {
  std::string body =
      target_status.empty() ? "{}" : absl::StrCat("{\"status\":\"", target_status, "\"}");
  return Call("POST", "/_control/cases/" + case_id + "/advance", body);
}

absl::Status FakeCertnProcess::SendWebhook(const std::string& case_id,
                                           const std::string& event_type) {
  return Call("POST", "/_control/cases/" + case_id + "/webhook",
              absl::StrCat("{\"event_type\":\"", event_type, "\"}"))
      .status();
}

absl::Status FakeCertnProcess::InjectFault(const FaultSpec& f) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("endpoint");
  w.String(f.endpoint);
  w.Key("status");
  w.Int(f.status);
  w.Key("retry_after");
  w.Int(f.retry_after);
  w.Key("latency_ms");
  w.Int(f.latency_ms);
  w.Key("hang_ms");
  w.Int(f.hang_ms);
  w.Key("malformed_json");
  w.Bool(f.malformed_json);
  w.Key("wrong_types");
  w.Bool(f.wrong_types);
  w.Key("times");
  w.Int(f.times);
  w.EndObject();
  return Call("POST", "/_control/faults", b.GetString()).status();
}

absl::Status FakeCertnProcess::SetWebhookFaults(const WebhookFaultSpec& f) {
  return Call("POST", "/_control/webhook-faults",
              absl::StrCat("{\"wrong_signature\":", f.wrong_signature ? "true" : "false",
                           ",\"duplicate\":", f.duplicate ? "true" : "false",
                           ",\"out_of_order\":", f.out_of_order ? "true" : "false",
                           ",\"drop\":", f.drop ? "true" : "false", ",\"times\":", f.times, "}"))
      .status();
}

absl::Status FakeCertnProcess::SetEventsFeed(bool enabled) {
  return Call("POST", "/_control/events-feed",
              enabled ? R"({"enabled":true})" : R"({"enabled":false})")
      .status();
}

absl::Status FakeCertnProcess::ClearFaults() { return Call("DELETE", "/_control/faults").status(); }

absl::Status FakeCertnProcess::SetRateLimit(int per_minute, int window_ms) {
  return Call("POST", "/_control/rate-limit",
              absl::StrCat("{\"per_minute\":", per_minute, ",\"window_ms\":", window_ms, "}"))
      .status();
}

absl::StatusOr<uint64_t> FakeCertnProcess::PendingDeliveries() {
  auto got = ReadDeliveries();
  if (!got.ok()) return got.status();
  return got->second;
}

absl::Status FakeCertnProcess::FlushDeliveries() {
  return Call("POST", "/_control/deliveries/flush").status();
}

absl::StatusOr<std::vector<LoggedRequest>> FakeCertnProcess::Requests(const std::string& endpoint) {
  auto body = Call(
      "GET", endpoint.empty() ? "/_control/requests" : "/_control/requests?endpoint=" + endpoint);
  if (!body.ok()) return body.status();
  rapidjson::Document doc;
  doc.Parse(body->c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("requests")) {
    return absl::InternalError("unexpected /_control/requests body");
  }
  std::vector<LoggedRequest> out;
  for (const auto& r : doc["requests"].GetArray()) {
    out.push_back(LoggedRequest{
        r["method"].GetString(), r["path"].GetString(), r["query"].GetString(),
        r["endpoint"].GetString(), r["idempotency_key"].GetString(), r["certn_team_id"].GetString(),
        r["status"].GetInt(), r["at_unix_ms"].GetInt64(), r["at_unix_us"].GetInt64()});
  }
  return out;
}

absl::Status FakeCertnProcess::ClearRequests() {
  return Call("DELETE", "/_control/requests").status();
}

absl::StatusOr<std::pair<std::vector<DeliveryRecord>, uint64_t>>
FakeCertnProcess::ReadDeliveries() {
  auto body = Call("GET", "/_control/deliveries");
  if (!body.ok()) return body.status();
  rapidjson::Document doc;
  doc.Parse(body->c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("deliveries")) {
    return absl::InternalError("unexpected /_control/deliveries body");
  }
  std::vector<DeliveryRecord> out;
  for (const auto& d : doc["deliveries"].GetArray()) {
    out.push_back(DeliveryRecord{d["delivery_id"].GetString(), d["event_type"].GetString(),
                                 d["object_id"].GetString(), d["attempt"].GetInt(),
                                 d["status"].GetInt(), d["signed_correctly"].GetBool()});
  }
  return std::make_pair(std::move(out), doc["pending"].GetUint64());
}

absl::StatusOr<std::vector<DeliveryRecord>> FakeCertnProcess::Deliveries() {
  auto got = ReadDeliveries();
  if (!got.ok()) return got.status();
  return std::move(got->first);
}

absl::StatusOr<std::vector<DeliveryRecord>> FakeCertnProcess::WaitForDeliveries(
    size_t count, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    auto got = ReadDeliveries();
    if (!got.ok()) return got.status();
    auto& [attempts, pending] = *got;
    if (attempts.size() >= count && pending == 0) return std::move(attempts);
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "only ", attempts.size(), " of ", count, " deliveries arrived (", pending, " pending)"));
    }
    ::poll(nullptr, 0, 10);
  }
}

}  // namespace stagecheck::fake_certn
