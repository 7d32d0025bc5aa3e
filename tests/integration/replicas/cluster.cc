#include "tests/integration/replicas/cluster.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "adapters/crypto/openssl_crypto.h"
#include "plugin/certn/signature.h"
#include "tests/support/service/loopback_port.h"

namespace stagecheck::replicas_test {
namespace {

using testing::JsonQuote;
using testing::WaitFor;

constexpr char kWebhookPath[] = "/certn/certnWebhookHandler";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& text, size_t max = 3000) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

std::string NginxBinary() {
  if (const char* env = std::getenv("STAGECHECK_NGINX"); env != nullptr && *env != '\0') return env;
  for (const char* candidate : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return "nginx";
}

std::optional<int> ReapWithin(int pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  std::optional<int> exited;
  WaitFor(
      [&] {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || r < 0) exited = status;
        return exited.has_value();
      },
      deadline - absl::Now());
  return exited;
}

}  // namespace

std::string Describe(const HttpResponse& r) {
  return absl::StrCat(r.status, " ", r.body.substr(0, 600));
}

// ---- nginx -------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<NginxProcess>> NginxProcess::Start(
    const std::vector<uint16_t>& upstream_ports) {
  std::unique_ptr<NginxProcess> nginx(new NginxProcess());
  std::string templ = (std::filesystem::temp_directory_path() / "stagecheck-nginx-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  nginx->dir_ = templ;
  // nginx started by root runs its workers as nobody: they must reach the dir.
  ::chmod(nginx->dir_.c_str(), 0755);
  absl::Status launched;
  for (int attempt = 0; attempt < 5; ++attempt) {
    launched = nginx->Launch(upstream_ports);
    if (launched.ok()) return nginx;
  }
  return launched;
}

absl::Status NginxProcess::Launch(const std::vector<uint16_t>& upstream_ports) {
  absl::StatusOr<uint16_t> port = testing::PickRestartablePort();
  if (!port.ok()) return port.status();
  port_ = *port;
  const std::string source = STAGECHECK_SOURCE_DIR;
  std::string config = ReadFile(source + "/deploy/replicas/nginx.conf.in");
  if (config.empty()) return absl::NotFoundError("cannot read deploy/replicas/nginx.conf.in");
  std::string upstreams;
  for (uint16_t p : upstream_ports) {
    absl::StrAppend(&upstreams, "        server 127.0.0.1:", p, " max_fails=3 fail_timeout=10s;\n");
  }
  if (!upstreams.empty()) upstreams.pop_back();
  config =
      absl::StrReplaceAll(config, {{"@DIR@", dir_},
                                   {"@LISTEN@", absl::StrCat("127.0.0.1:", port_)},
                                   {"@PROXY_CONF@", source + "/deploy/nginx/stagecheck-proxy.conf"},
                                   {"@UPSTREAMS@", upstreams}});
  const std::string conf_path = dir_ + "/nginx.conf";
  {
    std::ofstream out(conf_path, std::ios::trunc);
    out << config;
    if (!out) return absl::InternalError("cannot write " + conf_path);
  }
  const std::string binary = NginxBinary();
  const std::string out_path = dir_ + "/nginx.out";
  std::vector<std::string> args = {binary, "-p", dir_, "-c", conf_path, "-e", dir_ + "/error.log"};
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // Its own process group, so that Stop() reaches the workers too: a worker
    // orphaned by a killed master keeps its listening socket and answers
    // later tests' requests with dead upstreams.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null = ::open("/dev/null", O_RDONLY);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    if (null >= 0) ::dup2(null, 0);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  bool exited = false;
  bool up = WaitFor(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          exited = true;
          return true;
        }
        return testing::RequestTo(port_, "GET", "/healthz").status == 200;
      },
      absl::Seconds(15));
  if (up && !exited) return absl::OkStatus();
  if (!exited) {
    ::kill(-pid_, SIGKILL);
    ReapWithin(pid_, absl::Seconds(5));
  }
  ::kill(-pid_, SIGKILL);  // any worker left behind
  pid_ = -1;
  return absl::UnavailableError(
      absl::StrCat("nginx did not serve /healthz on port ", port_, ": ",
                   Tail(ReadFile(out_path) + ReadFile(dir_ + "/error.log"))));
}

void NginxProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);  // fast shutdown; the master stops its workers
  if (!ReapWithin(pid_, absl::Seconds(10))) {
    ::kill(-pid_, SIGKILL);
    ReapWithin(pid_, absl::Seconds(5));
  }
  ::kill(-pid_, SIGKILL);  // any worker the master left behind
  pid_ = -1;
}

NginxProcess::~NginxProcess() {
  Stop();
  const char* keep = std::getenv("STAGECHECK_KEEP_TEST_DIRS");
  if (!dir_.empty() && (keep == nullptr || *keep == '\0')) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string NginxProcess::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

std::string NginxProcess::AccessLog() const { return ReadFile(dir_ + "/access.log"); }

size_t NginxProcess::UpstreamsUsed() const {
  std::set<std::string> seen;
  std::istringstream in(AccessLog());
  std::string line;
  while (std::getline(in, line)) {
    size_t at = line.find(" upstream=127.0.0.1:");
    if (at == std::string::npos) continue;
    size_t end = line.find(' ', at + 1);
    seen.insert(line.substr(at, end - at));
  }
  return seen.size();
}

// ---- cluster -----------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(ClusterOptions options) {
  std::unique_ptr<Cluster> cluster(new Cluster());
  cluster->options_ = std::move(options);
  fake_certn::FakeCertnStartOptions fake_options;
  fake_options.webhook_retry_delays_ms = {50, 200, 500};
  // The replica tests post Certn-Team-ID deliveries (SignedDeliveryHeaders), so
  // the teams must learn their Certn team: the legacy groups (fixtures/README.md).
  fake_options.extra_args = {"--legacy-team-id"};
  auto fake = fake_certn::FakeCertnProcess::Start(fake_options);
  if (!fake.ok()) return fake.status();
  cluster->fake_ = *std::move(fake);
  // One after the other from this thread: the harness kills a child when the
  // thread that spawned it exits (PR_SET_PDEATHSIG), so no helper threads.
  const std::string key = testing::RandomHex(32);
  std::vector<uint16_t> ports;
  for (int i = 0; i < cluster->options_.replicas; ++i) {
    testing::ServiceOptions options;
    options.certn_base_url = cluster->fake_->base_url();
    options.db = cluster->options_.db_url;
    options.encryption_key = key;
    options.extra_args = cluster->options_.replica_args;
    auto svc = ServiceProcess::Start(options);
    if (!svc.ok())
      return absl::Status(svc.status().code(),
                          absl::StrCat("replica ", i, ": ", svc.status().message()));
    ports.push_back((*svc)->port());
    cluster->replicas_.push_back(*std::move(svc));
  }
  auto nginx = NginxProcess::Start(ports);
  if (!nginx.ok()) return nginx.status();
  cluster->nginx_ = *std::move(nginx);
  return cluster;
}

Cluster::~Cluster() {
  nginx_.reset();
  replicas_.clear();
  fake_.reset();
}

std::string Cluster::webhook_url() const { return nginx_->url() + kWebhookPath; }

HttpResponse Cluster::Lb(const std::string& method, const std::string& path,
                         const std::string& body, const std::string& token,
                         const Headers& headers) const {
  return testing::RequestTo(nginx_->port(), method, path, body, headers, token);
}

absl::StatusOr<World> Cluster::NewWorld(const std::string& name) {
  World w;
  absl::StatusOr<TeamTokens> team = replicas_.front()->CreateTeam(name);
  if (!team.ok()) return team.status();
  w.team = *team;
  w.certn.api_key = "ck_" + testing::RandomHex(16);
  w.certn.certn_team_id = "certn-team-" + testing::RandomHex(6);
  w.certn.webhook_secret = "whsec_" + testing::RandomHex(16);
  w.certn.packages = testing::DefaultCertnPackages();
  if (absl::Status s = fake_->CreateAccount({.api_key = w.certn.api_key,
                                             .certn_team_id = w.certn.certn_team_id,
                                             .webhook_url = webhook_url(),
                                             .webhook_secret = w.certn.webhook_secret,
                                             .packages = w.certn.packages});
      !s.ok()) {
    return s;
  }
  HttpResponse r = Lb("PUT", "/api/v1/integrations/certn",
                      absl::StrCat(R"({"api_key":)", JsonQuote(w.certn.api_key),
                                   R"(,"region":"north_america","webhook_secret":)",
                                   JsonQuote(w.certn.webhook_secret), "}"),
                      w.team.admin_token);
  if (r.status != 200 || r.Bool("/connected") != true) {
    return absl::FailedPreconditionError("connect Certn: " + Describe(r));
  }
  // The webhook URL admins are shown is the load balancer's... of the replica
  // that answered: every replica here has its own --public-url.
  w.certn.connect_response = r;
  r = Lb("POST", "/api/v1/jobs", R"({"title":"Site reliability engineer"})", w.team.admin_token);
  if (r.status != 201) return absl::InternalError("create job: " + Describe(r));
  w.job = r.String("/id").value_or("");
  for (auto [stage_name, target] :
       {std::pair{"Screen", &w.stage}, std::pair{"Background", &w.bg_stage}}) {
    r = Lb("POST", "/api/v1/jobs/" + w.job + "/interview-plan/stages",
           absl::StrCat(R"({"name":)", JsonQuote(stage_name), "}"), w.team.admin_token);
    if (r.status != 201) return absl::InternalError("add stage: " + Describe(r));
    *target = r.String("/id").value_or("");
  }
  r = Lb(
      "POST", "/api/v1/jobs/" + w.job + "/interview-plan/stages/" + w.bg_stage + "/activities",
      R"({"kind":"certn_background_check","settings":{"package_id":"pkg-basic","auto_send":false}})",
      w.team.admin_token);
  if (r.status != 201) return absl::InternalError("add activity: " + Describe(r));
  w.activity = r.String("/id").value_or("");
  return w;
}

absl::StatusOr<std::string> Cluster::CreateCandidate(const World& w, const std::string& email) {
  HttpResponse r = Lb(
      "POST", "/api/v1/candidates",
      absl::StrCat(R"({"first_name":"Ada","last_name":"Lovelace","email":)", JsonQuote(email), "}"),
      w.team.recruiter_token);
  if (r.status != 201) return absl::InternalError("create candidate: " + Describe(r));
  return r.String("/id").value_or("");
}

absl::StatusOr<std::string> Cluster::CreateApplication(const World& w,
                                                       const std::string& candidate) {
  HttpResponse r = Lb("POST", "/api/v1/applications",
                      absl::StrCat(R"({"candidate_id":)", JsonQuote(candidate), R"(,"job_id":)",
                                   JsonQuote(w.job), "}"),
                      w.team.recruiter_token);
  if (r.status != 201) return absl::InternalError("create application: " + Describe(r));
  return r.String("/id").value_or("");
}

absl::StatusOr<std::string> Cluster::WaitOrdered(const World& w, const std::string& check,
                                                 absl::Duration timeout) {
  HttpResponse last;
  bool ordered = WaitFor(
      [&] {
        last = Lb("GET", "/api/v1/background-checks/" + check, "", w.team.recruiter_token);
        return last.status == 200 && last.String("/certn_case_id").has_value();
      },
      timeout);
  if (!ordered) return absl::DeadlineExceededError("check never ordered: " + Describe(last));
  return *last.String("/certn_case_id");
}

std::string Cluster::Diagnostics() const {
  std::string out;
  for (size_t i = 0; i < replicas_.size(); ++i) {
    absl::StrAppend(&out, "\n== replica ", i, " log:\n", Tail(replicas_[i]->ReadLog()));
  }
  if (nginx_) absl::StrAppend(&out, "\n== nginx access log:\n", Tail(nginx_->AccessLog(), 1500));
  return out;
}

// ---- SQL and signatures --------------------------------------------------------

absl::StatusOr<std::vector<std::string>> QueryColumn(const std::string& db_url,
                                                     const std::string& sql) {
  PGconn* conn = PQconnectdb(db_url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError("libpq: " + msg);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    std::string msg = PQresultErrorMessage(res);
    PQclear(res);
    PQfinish(conn);
    return absl::InternalError(absl::StrCat("libpq: ", msg, " (", sql, ")"));
  }
  std::vector<std::string> out;
  for (int row = 0; row < PQntuples(res); ++row) out.emplace_back(PQgetvalue(res, row, 0));
  PQclear(res);
  PQfinish(conn);
  return out;
}

absl::StatusOr<int64_t> QueryInt(const std::string& db_url, const std::string& sql) {
  absl::StatusOr<std::vector<std::string>> column = QueryColumn(db_url, sql);
  if (!column.ok()) return column.status();
  if (column->size() != 1) return absl::InternalError("expected one row from: " + sql);
  return std::stoll(column->front());
}

Headers SignedDeliveryHeaders(const std::string& secret, const std::string& certn_team_id,
                              const std::string& body) {
  static const crypto::OpenSslCrypto crypto;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return {{"Certn-Signature", certn_plugin::SignCertnSignature(crypto, secret, now, body)},
          {"Certn-Team-ID", certn_team_id}};
}

std::string DeliveryBody(const std::string& delivery_id, const std::string& case_id,
                         const std::string& event_type) {
  return absl::StrCat(R"({"id":)", JsonQuote(delivery_id), R"(,"event_type":)",
                      JsonQuote(event_type), R"(,"object_id":)", JsonQuote(case_id),
                      R"(,"object_type":"CASE"})");
}

}  // namespace stagecheck::replicas_test
