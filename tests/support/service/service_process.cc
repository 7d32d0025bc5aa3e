#include "tests/support/service/service_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "rapidjson/pointer.h"
#include "tests/integration/http/test_client.h"
#include "tests/support/service/loopback_port.h"

extern char** environ;

namespace stagecheck::testing {
namespace {

constexpr char kWebhookPath[] = "/certn/certnWebhookHandler";

std::string DefaultBinary() {
  const char* override_path = std::getenv("STAGECHECK_BINARY");
  if (override_path != nullptr && *override_path != '\0') return override_path;
  return STAGECHECK_SERVICE_BINARY;
}

std::string RandomHexString(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  out.reserve(bytes * 2);
  for (size_t i = 0; i < bytes; ++i) {
    unsigned v = rd() & 0xff;
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 0xf]);
  }
  return out;
}

int64_t MillisLeft(absl::Time deadline) {
  return absl::ToInt64Milliseconds(deadline - absl::Now());
}

// Forks and execs `args` with `env`; stdout and stderr go to the given fds
// (-1: inherit). argv/envp are built before fork (the parent has threads).
absl::StatusOr<int> Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
                          int out_fd, int err_fd) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // Never outlive the test binary (a crashed test must not leak servers).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid` until the deadline; its raw wait status, or nullopt.
std::optional<int> WaitPid(int pid, absl::Time deadline) {
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return 0;
    if (absl::Now() > deadline) return std::nullopt;
    ::poll(nullptr, 0, 5);  // reaping: bounded by the deadline above
  }
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("signal ", WTERMSIG(status));
  return "unknown exit";
}

std::string Tail(const std::string& text, size_t max = 2000) {
  return text.size() <= max ? text : text.substr(text.size() - max);
}

}  // namespace

// ---- HttpResponse ----------------------------------------------------------

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

rapidjson::Document HttpResponse::Json() const {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) doc.SetNull();
  return doc;
}

const rapidjson::Value* JsonAt(const rapidjson::Value& json, std::string_view pointer) {
  rapidjson::Pointer p(pointer.data(), pointer.size());
  if (!p.IsValid()) return nullptr;
  return p.Get(json);
}

std::optional<std::string> HttpResponse::String(std::string_view pointer) const {
  rapidjson::Document doc = Json();
  const rapidjson::Value* v = JsonAt(doc, pointer);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<int64_t> HttpResponse::Int(std::string_view pointer) const {
  rapidjson::Document doc = Json();
  const rapidjson::Value* v = JsonAt(doc, pointer);
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

std::optional<bool> HttpResponse::Bool(std::string_view pointer) const {
  rapidjson::Document doc = Json();
  const rapidjson::Value* v = JsonAt(doc, pointer);
  if (v == nullptr || !v->IsBool()) return std::nullopt;
  return v->GetBool();
}

bool HttpResponse::IsNull(std::string_view pointer) const {
  rapidjson::Document doc = Json();
  const rapidjson::Value* v = JsonAt(doc, pointer);
  return v != nullptr && v->IsNull();
}

bool HttpResponse::Has(std::string_view pointer) const {
  rapidjson::Document doc = Json();
  return JsonAt(doc, pointer) != nullptr;
}

std::optional<size_t> HttpResponse::Size(std::string_view pointer) const {
  rapidjson::Document doc = Json();
  const rapidjson::Value* v = JsonAt(doc, pointer);
  if (v == nullptr || !v->IsArray()) return std::nullopt;
  return v->Size();
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (absl::Now() > deadline) return false;
    ::poll(nullptr, 0, 10);  // polling interval, bounded by the deadline above
  }
}

// ---- ServiceProcess ---------------------------------------------------------

ServiceProcess::ServiceProcess(ServiceOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<ServiceProcess>> ServiceProcess::Start(ServiceOptions options) {
  if (options.encryption_key.empty()) options.encryption_key = RandomHexString(32);
  std::unique_ptr<ServiceProcess> svc(new ServiceProcess(std::move(options)));
  svc->binary_ = svc->options_.binary.empty() ? DefaultBinary() : svc->options_.binary;
  if (::access(svc->binary_.c_str(), X_OK) != 0)
    return absl::NotFoundError("no stagecheck binary at " + svc->binary_);
  std::string templ = (std::filesystem::temp_directory_path() / "stagecheck-svc-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  svc->dir_ = templ;
  svc->log_path_ = svc->dir_ + "/service.log";
  if (svc->options_.db.empty()) {
    svc->sqlite_path_ = svc->dir_ + "/stagecheck.db";
    svc->db_ = svc->sqlite_path_;
  } else {
    svc->db_ = svc->options_.db;
  }
  // A port picked up front keeps the public (webhook) URL right and lets
  // Restart() come back on the same address; retry if someone took it.
  absl::Status launched;
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<uint16_t> port = PickRestartablePort();
    if (!port.ok()) return port.status();
    svc->port_ = *port;
    launched = svc->Launch();
    if (launched.ok()) return svc;
  }
  return launched;
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0 && !Stop().ok()) Kill();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  const char* keep = std::getenv("STAGECHECK_KEEP_TEST_DIRS");
  if (!dir_.empty() && !options_.keep_temp_dir && (keep == nullptr || *keep == '\0')) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string ServiceProcess::base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }
std::string ServiceProcess::webhook_url() const { return base_url() + kWebhookPath; }

std::vector<std::string> ServiceProcess::Environment() const {
  Headers vars = {{"STAGECHECK_ENCRYPTION_KEY", options_.encryption_key}};
  for (const auto& kv : options_.extra_env) vars.push_back(kv);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [key, value] : vars) overridden |= name == key;
    if (!overridden) env.emplace_back(entry);
  }
  for (const auto& [key, value] : vars) env.push_back(key + "=" + value);
  return env;
}

absl::Status ServiceProcess::Launch() {
  std::vector<std::string> args = {binary_,        "serve",
                                   "--db",         db_,
                                   "--listen",     absl::StrCat("127.0.0.1:", port_),
                                   "--public-url", base_url(),
                                   "--log-level",  options_.log_level};
  if (!options_.certn_base_url.empty()) {
    args.push_back("--certn-base-url");
    args.push_back(options_.certn_base_url);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return absl::InternalError("cannot open " + log_path_);
  }
  absl::StatusOr<int> pid = Spawn(args, Environment(), out[1], log_fd);
  ::close(out[1]);
  ::close(log_fd);
  if (!pid.ok()) {
    ::close(out[0]);
    return pid.status();
  }
  pid_ = *pid;
  stdout_fd_ = out[0];
  const absl::Time deadline = absl::Now() + options_.start_timeout;

  // 1. The {"port":N} line: printed once the listener is bound.
  std::string line;
  for (;;) {
    if (size_t nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      break;
    }
    const int64_t left = MillisLeft(deadline);
    if (left <= 0) {
      Kill();
      return absl::DeadlineExceededError("stagecheck serve did not print its port in time; log: " +
                                         Tail(ReadLog()));
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready <= 0) continue;
    char chunk[256];
    ssize_t n = ::read(stdout_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::optional<int> status = WaitPid(pid_, absl::Now() + absl::Seconds(5));
      if (!status) Kill();
      pid_ = -1;
      ::close(stdout_fd_);
      stdout_fd_ = -1;
      return absl::UnavailableError(absl::StrCat("stagecheck serve exited before it was ready (",
                                                 status ? DescribeExit(*status) : "hung",
                                                 "); log: ", Tail(ReadLog())));
    }
    line.append(chunk, static_cast<size_t>(n));
  }
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("port") || !doc["port"].IsInt() ||
      doc["port"].GetInt() != port_) {
    Kill();
    return absl::InternalError("stagecheck serve printed an unexpected line: " + line);
  }
  // 2. /readyz: the store answers and the worker runs.
  for (;;) {
    HttpResponse r = Get("/readyz");
    if (r.status == 200) return absl::OkStatus();
    if (absl::Now() > deadline) {
      Kill();
      return absl::DeadlineExceededError(
          absl::StrCat("/readyz never answered 200 (last ", r.status, " ", r.body, ")"));
    }
    ::poll(nullptr, 0, 20);  // between readiness probes, bounded by the deadline above
  }
}

absl::Status ServiceProcess::Stop(absl::Duration timeout) {
  if (pid_ <= 0) return absl::OkStatus();
  ::kill(pid_, SIGTERM);
  std::optional<int> status = WaitPid(pid_, absl::Now() + timeout);
  if (!status) {
    Kill();
    return absl::DeadlineExceededError("stagecheck serve did not exit after SIGTERM; killed");
  }
  pid_ = -1;
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return absl::InternalError("stagecheck serve stopped with " + DescribeExit(*status));
  }
  return absl::OkStatus();
}

void ServiceProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
}

absl::Status ServiceProcess::Restart() {
  if (pid_ > 0) {
    if (absl::Status s = Stop(); !s.ok()) return s;
  }
  // Same port: the fake Certn's webhook URL points at it. The old socket is
  // closed (the process exited) and the server sets SO_REUSEADDR.
  return Launch();
}

std::string ServiceProcess::ReadLog() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ServiceProcess::LogContains(std::string_view needle) const {
  return ReadLog().find(needle) != std::string::npos;
}

absl::StatusOr<std::string> ServiceProcess::RunCli(const std::vector<std::string>& cli_args,
                                                   absl::Duration timeout) const {
  std::vector<std::string> args = {binary_};
  args.insert(args.end(), cli_args.begin(), cli_args.end());
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return absl::InternalError("pipe failed");
  }
  absl::StatusOr<int> pid = Spawn(args, Environment(), out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);
  if (!pid.ok()) {
    ::close(out[0]);
    ::close(err[0]);
    return pid.status();
  }
  const absl::Time deadline = absl::Now() + timeout;
  std::string stdout_text, stderr_text;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    const int64_t left = MillisLeft(deadline);
    if (left <= 0) break;
    int ready = ::poll(fds, 2, static_cast<int>(left));
    if (ready <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char chunk[4096];
      ssize_t n = ::read(fds[i].fd, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      (i == 0 ? stdout_text : stderr_text).append(chunk, static_cast<size_t>(n));
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  std::optional<int> status = WaitPid(*pid, open_fds > 0 ? absl::Now() : deadline);
  if (!status) {
    ::kill(*pid, SIGKILL);
    ::waitpid(*pid, nullptr, 0);
    return absl::DeadlineExceededError("stagecheck " + (cli_args.empty() ? "" : cli_args[0]) +
                                       " timed out");
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return absl::UnknownError(absl::StrCat("stagecheck ", cli_args.empty() ? "" : cli_args[0],
                                           " failed (", DescribeExit(*status), "): ", stderr_text));
  }
  return stdout_text;
}

absl::StatusOr<std::string> ServiceProcess::CreateToken(const std::string& team_id,
                                                        const std::string& role) const {
  absl::StatusOr<std::string> out =
      RunCli({"token", "create", "--db", db_, "--team", team_id, "--role", role});
  if (!out.ok()) return out.status();
  HttpResponse parsed;
  parsed.body = *out;
  std::optional<std::string> token = parsed.String("/token");
  if (!token) return absl::InternalError("token create printed no token: " + *out);
  return *token;
}

absl::StatusOr<TeamTokens> ServiceProcess::CreateTeam(const std::string& name) const {
  absl::StatusOr<std::string> out = RunCli({"team", "create", name, "--db", db_});
  if (!out.ok()) return out.status();
  HttpResponse parsed;
  parsed.body = *out;
  TeamTokens team;
  std::optional<std::string> id = parsed.String("/team_id");
  std::optional<std::string> token = parsed.String("/token");
  if (!id || !token) return absl::InternalError("team create printed: " + *out);
  team.team_id = *id;
  team.admin_token = *token;
  absl::StatusOr<std::string> recruiter = CreateToken(team.team_id, "recruiter");
  if (!recruiter.ok()) return recruiter.status();
  team.recruiter_token = *recruiter;
  return team;
}

HttpResponse RawRequestTo(uint16_t port, const std::string& raw) {
  HttpResponse out;
  http::testing::TestClient client(port, 30);
  if (!client.connected()) return out;
  // A server may answer (e.g. 413) and close before it has read everything:
  // read its answer even when sending failed half-way.
  client.Send(raw);
  std::optional<http::testing::ClientResponse> response = client.Read();
  if (!response) return out;
  out.status = response->status;
  out.headers = std::move(response->headers);
  out.body = std::move(response->body);
  return out;
}

HttpResponse RequestTo(uint16_t port, const std::string& method, const std::string& path,
                       const std::string& body, const Headers& headers, const std::string& token) {
  auto has = [&](std::string_view name) {
    for (const auto& [key, value] : headers) {
      if (key.size() == name.size() &&
          std::equal(key.begin(), key.end(), name.begin(),
                     [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
        return true;
      }
    }
    return false;
  };
  std::string raw =
      absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
  if (!token.empty()) absl::StrAppend(&raw, "Authorization: Bearer ", token, "\r\n");
  if (!body.empty() && !has("content-type"))
    absl::StrAppend(&raw, "Content-Type: application/json\r\n");
  if (!has("content-length") &&
      (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")) {
    absl::StrAppend(&raw, "Content-Length: ", body.size(), "\r\n");
  }
  for (const auto& [key, value] : headers) {
    if (!value.empty()) absl::StrAppend(&raw, key, ": ", value, "\r\n");
  }
  absl::StrAppend(&raw, "\r\n", body);
  return RawRequestTo(port, raw);
}

HttpResponse ServiceProcess::RawRequest(const std::string& raw) const {
  return RawRequestTo(port_, raw);
}

HttpResponse ServiceProcess::Request(const std::string& method, const std::string& path,
                                     const std::string& body, const Headers& headers,
                                     const std::string& token) const {
  return RequestTo(port_, method, path, body, headers, token);
}

}  // namespace stagecheck::testing
