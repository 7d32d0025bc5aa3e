// stagecheck-bench: the benchmark suite (issue 10). Starts what it needs on
// loopback (fake Certn, stagecheck serve on SQLite and on PostgreSQL, nginx as
// the static-200 reference), drives it with wrk (tests/bench/walk.lua walking
// pre-generated requests) and prints ONE table of figures and ratios.
//
//   stagecheck-bench [--quick|--smoke] [--pg-url URL] [--only a,b] [--connections N]
//   [--pg-committers N,M] [--express-workers N] [--serve-arg ARG]... [--work-dir DIR]
//   [--out FILE]
//     parts: webhook, cpu, apptab, burst, calls (default: all)
//   --serve-arg passes one more argument to the webhook part's `stagecheck
//   serve` (experiments, e.g. `--serve-arg --fetch-coalesce-ms --serve-arg
//   600000` keeps the worker's case fetches out of the measured minutes).
//
// Benchmarks report; the exit code is non-zero only when the harness itself
// failed (a process did not start, counts do not add up), never on a number.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "adapters/certn/transport.h"
#include "adapters/crypto/openssl_crypto.h"
#include "plugin/certn/signature.h"
#include "tests/bench/webhook_body.h"
#include "tests/support/service/certn_setup.h"
#include "tests/support/service/service_process.h"

namespace stagecheck::bench {
namespace {

using fake_certn::FakeCertnProcess;
using testing::CertnAccount;
using testing::HttpResponse;
using testing::ServiceOptions;
using testing::ServiceProcess;
using testing::TeamTokens;

// ---- settings ---------------------------------------------------------------

struct Sizes {
  std::string name;
  int teams;
  double warm_s, max_s, half_s;
  int cpu_n;
  int64_t apptab_small, apptab_large;
  double read_s;
  int burst_sends;
  int latency_sends;
  int certn_limit_per_minute;
  int calls_checks;    // checks driven order -> statuses -> complete -> report
  int cases_per_team;  // ordered cases per team that the real-path deliveries name
  int fsync_n;         // 4 KiB write + fdatasync probes of the disk
};

// The full burst is 400 sends: enough for ~4 minutes of drain after the first
// full window (orders drain at ~66/min, as each order's webhooks cost case
// fetches against the same limit). 1,000 took ~15 minutes of the run alone
// and pushed the full run past bench.sh's cap (2026-12-02).
// The disk probe's count: its p99 is the reference of the half-load p99
// targets, which are measured over tens of thousands of requests; from 100
// or 200 probes a p99 is the second-worst of them, and read 0.6 to 60 ms in
// runs of the same hour (2026-12-02). 2,000 take about a second.
const Sizes kFull{"full", 50, 2, 10, 8, 2000, 10000, 1000000, 8, 400, 30, 120, 50, 40, 2000};
const Sizes kQuick{"quick", 20, 1, 5, 4, 500, 10000, 100000, 4, 150, 20, 120, 20, 20, 1000};
const Sizes kSmoke{"smoke", 3, 0.5, 1, 1, 20, 50, 500, 1, 8, 3, 120, 3, 2, 50};

struct Options {
  Sizes sizes = kFull;
  std::string pg_url;
  std::set<std::string> only;
  std::string work_dir;
  std::string out;
  std::string lua = STAGECHECK_BENCH_LUA;
  std::string cpu_driver = STAGECHECK_BENCH_CPU_DRIVER;
  int wrk_threads = 1;
  int wrk_connections = 32;
  // PostgreSQL ingest once per value, with `serve --db-committers N`; empty:
  // once with the server's default.
  std::vector<int> pg_committers;
  int express_workers = -1;             // the burst's `serve --express-workers`; -1: its default
  std::vector<std::string> serve_args;  // more `serve` arguments for the webhook part
  bool Want(const std::string& part) const { return only.empty() || only.count(part) > 0; }
};

// ---- results table ----------------------------------------------------------

struct Row {
  std::string group, metric, value, reference, ratio, target, met;
};
std::vector<Row> g_rows;
std::vector<std::string> g_notes;
bool g_harness_failed = false;

void AddRow(Row row) {
  std::cerr << "bench: " << row.group << " | " << row.metric << " = " << row.value
            << (row.ratio.empty() ? "" : " (" + row.ratio + ")") << "\n";
  g_rows.push_back(std::move(row));
}
void Note(const std::string& note) {
  std::cerr << "bench: note: " << note << "\n";
  g_notes.push_back(note);
}
void HarnessFailure(const std::string& what) {
  std::cerr << "bench: HARNESS FAILURE: " << what << "\n";
  g_notes.push_back("HARNESS FAILURE: " + what);
  g_harness_failed = true;
}

std::string Fmt(double v, int digits = 0) { return absl::StrFormat("%.*f", digits, v); }
std::string Ms(double us) { return absl::StrFormat("%.2f ms", us / 1000.0); }
std::string MiB(int64_t kb) { return absl::StrFormat("%.1f MiB", kb / 1024.0); }
std::string Yes(bool ok) { return ok ? "yes" : "NO"; }

std::string RenderTable() {
  std::vector<std::string> head = {"group", "metric", "value", "reference",
                                   "ratio", "target", "met"};
  std::vector<size_t> w(head.size());
  auto cells = [](const Row& r) {
    return std::vector<std::string>{r.group, r.metric, r.value, r.reference,
                                    r.ratio, r.target, r.met};
  };
  for (size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  for (const Row& r : g_rows) {
    auto c = cells(r);
    for (size_t i = 0; i < c.size(); ++i) w[i] = std::max(w[i], c[i].size());
  }
  auto line = [&](const std::vector<std::string>& c) {
    std::string s = "|";
    for (size_t i = 0; i < c.size(); ++i)
      s += " " + c[i] + std::string(w[i] - c[i].size(), ' ') + " |";
    return s + "\n";
  };
  std::string out = line(head);
  std::vector<std::string> sep;
  for (size_t i = 0; i < head.size(); ++i) sep.push_back(std::string(w[i], '-'));
  out += line(sep);
  for (const Row& r : g_rows) out += line(cells(r));
  return out;
}

// ---- processes --------------------------------------------------------------

// Runs a shell command (bounded with `timeout`), returns its stdout+stderr.
struct CmdResult {
  int exit_code = -1;
  std::string output;
};
CmdResult Run(const std::string& command) {
  CmdResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

int64_t ProcStatusKb(int pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      int64_t v = 0;
      std::string num;
      for (char c : line)
        if (c >= '0' && c <= '9') num += c;
      if (absl::SimpleAtoi(num, &v)) return v;
    }
  }
  return -1;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

bool PortOpen(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(fd);
  return ok;
}

// nginx (Debian's nginx-light) with its own temporary config: `return 200;`.
class Nginx {
 public:
  static std::unique_ptr<Nginx> Start(const std::string& dir) {
    std::filesystem::create_directories(dir);
    int port = FreePort();
    std::ofstream conf(dir + "/nginx.conf");
    conf << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << dir << "/nginx.pid;\n"
         << "error_log " << dir << "/error.log warn;\nevents { worker_connections 1024; }\n"
         << "http {\n  access_log off;\n  client_body_temp_path " << dir << "/body;\n"
         << "  proxy_temp_path " << dir << "/proxy;\n  fastcgi_temp_path " << dir << "/fastcgi;\n"
         << "  uwsgi_temp_path " << dir << "/uwsgi;\n  scgi_temp_path " << dir << "/scgi;\n"
         << "  server {\n    listen 127.0.0.1:" << port
         << ";\n    location / { return 200; }\n  }\n}\n";
    conf.close();
    pid_t pid = ::fork();
    if (pid == 0) {
      std::string c = dir + "/nginx.conf", e = dir + "/error.log";
      ::execl("/usr/sbin/nginx", "nginx", "-p", dir.c_str(), "-e", e.c_str(), "-c", c.c_str(),
              nullptr);
      ::_exit(127);
    }
    auto n = std::unique_ptr<Nginx>(new Nginx(pid, port));
    if (!testing::WaitFor([&] { return PortOpen(port); }, absl::Seconds(10))) return nullptr;
    return n;
  }
  ~Nginx() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i) ::usleep(20000);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, WNOHANG);
  }
  int port() const { return port_; }
  int pid() const { return pid_; }

 private:
  Nginx(int pid, int port) : pid_(pid), port_(port) {}
  int pid_, port_;
};

// ---- wrk --------------------------------------------------------------------

struct Load {
  bool ok = false;
  int64_t requests = 0, status_errors = 0, socket_errors = 0;
  double seconds = 0, rps = 0, p50_us = 0, p99_us = 0, p999_us = 0, mean_us = 0;
  std::string raw;
};

Load RunWrk(const Options& o, int port, const std::string& requests_file, double seconds, bool wrap,
            double delay_ms = 0, int connections = 0) {
  Load l;
  int c = connections > 0 ? connections : o.wrk_connections;
  int d = std::max(1, static_cast<int>(std::ceil(seconds)));
  std::string cmd = absl::StrCat("env BENCH_REQUESTS=", requests_file, " BENCH_WRAP=", wrap ? 1 : 0,
                                 " BENCH_DELAY_MS=", delay_ms, " BENCH_THREADS=", o.wrk_threads,
                                 " timeout ", d + 60, " wrk -t", o.wrk_threads, " -c", c, " -d", d,
                                 "s --timeout 10s -s ", o.lua, " http://127.0.0.1:", port, "/");
  CmdResult r = Run(cmd);
  l.raw = r.output;
  size_t at = r.output.find("BENCH_RESULT ");
  if (r.exit_code != 0 || at == std::string::npos) {
    HarnessFailure(absl::StrCat("wrk failed (exit ", r.exit_code, "): ", r.output.substr(0, 600)));
    return l;
  }
  std::string line = r.output.substr(at + 13, r.output.find('\n', at) - at - 13);
  std::map<std::string, double> kv;
  for (absl::string_view part : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(part, absl::MaxSplits('=', 1));
    double v = 0;
    if (absl::SimpleAtod(p.second, &v)) kv[p.first] = v;
  }
  l.requests = static_cast<int64_t>(kv["requests"]);
  l.seconds = kv["duration_us"] / 1e6;
  l.rps = l.seconds > 0 ? l.requests / l.seconds : 0;
  l.status_errors = static_cast<int64_t>(kv["status_errors"]);
  l.socket_errors = static_cast<int64_t>(kv["connect"] + kv["read"] + kv["write"] + kv["timeout"]);
  l.p50_us = kv["p50_us"];
  l.p99_us = kv["p99_us"];
  l.p999_us = kv["p999_us"];
  l.mean_us = kv["mean_us"];
  l.ok = true;
  return l;
}

// Closed loop with think time aimed at `target_rps`: one calibration run, then
// the think time is corrected by the latency it measured.
Load RunAtRate(const Options& o, int port, const std::function<std::string(int64_t)>& make_file,
               double target_rps, double seconds) {
  const int c = o.wrk_connections;
  double think_ms = 1000.0 * c / target_rps;
  Load first = RunWrk(o, port, make_file(static_cast<int64_t>(target_rps * seconds * 1.5) + 200),
                      std::max(1.0, seconds / 2), false, think_ms);
  if (!first.ok) return first;
  double corrected = std::max(0.0, think_ms - first.mean_us / 1000.0);
  if (first.rps > 0)
    corrected = std::max(0.0, think_ms * first.rps / target_rps -
                                  first.mean_us / 1000.0 * (1 - first.rps / target_rps));
  return RunWrk(o, port, make_file(static_cast<int64_t>(target_rps * seconds * 1.5) + 200), seconds,
                false, corrected);
}

// ---- request files ----------------------------------------------------------

// A team that receives deliveries; `cases` are the Certn cases it ordered
// (the real path's deliveries name them).
struct Hooked {
  std::string certn_team_id, secret;
  std::vector<std::string> cases = {};
};

int64_t g_file_seq = 0;

// Deliveries round-robin over the teams; with `ordered`, each names one of
// its team's ordered cases in turn (several status changes per case), else
// a case nobody ordered. Ordered: as CertnCentric sends them (CERTN.md,
// section 5), signed with X-Signature and no team header, so the team is
// found by the case. Unknown: the legacy Certn-Signature + Certn-Team-ID
// form, the only one under which a case we do not know is stored (without a
// team header it is refused with a 503 and never reaches the disk).
std::string WriteWebhookFile(const Options& o, const std::vector<Hooked>& teams, int64_t count,
                             const std::string& tag, bool ordered = false) {
  static crypto::OpenSslCrypto crypto;
  std::string path = absl::StrCat(o.work_dir, "/webhooks-", tag, "-", ++g_file_seq, ".txt");
  std::ofstream out(path, std::ios::binary);
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const std::string run = absl::StrCat(absl::ToUnixNanos(absl::Now()));
  for (int64_t i = 0; i < count; ++i) {
    const Hooked& t = teams[i % teams.size()];
    const int64_t round = i / static_cast<int64_t>(teams.size());
    std::string case_id = ordered && !t.cases.empty() ? t.cases[round % t.cases.size()] : "";
    std::string body =
        WebhookBody(absl::StrCat("evt-", tag, "-", run, "-", i), static_cast<int>(i), case_id);
    out << "POST\t/certn/certnWebhookHandler\tContent-Type:application/json\x1e";
    if (!case_id.empty()) {
      out << "X-Signature:" << certn_plugin::SignXSignature(crypto, t.secret, body);
    } else {
      out << "Certn-Team-ID:" << t.certn_team_id << "\x1e"
          << "Certn-Signature:" << certn_plugin::SignCertnSignature(crypto, t.secret, now, body);
    }
    out << "\t" << body << "\n";
  }
  return path;
}

// ---- sqlite helpers ---------------------------------------------------------

int64_t SqliteCount(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

// ---- teams with Certn accounts and applications -----------------------------

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::min<double>(v.size() - 1, std::floor(p / 100.0 * v.size())));
  return v[i];
}

void ParallelFor(int n, int threads, const std::function<void(int)>& fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& th : pool) th.join();
}

// A team with its own Certn account, one job with a Certn activity and
// `count` applications ready to send.
struct SendTeam {
  testing::TeamTokens team;
  std::string api_key, certn_team_id, webhook_secret, activity;
  std::vector<std::string> apps;
};

absl::StatusOr<SendTeam> SetUpSendTeam(ServiceProcess& svc, FakeCertnProcess& fake,
                                       const std::string& name, int count) {
  SendTeam st;
  auto team = svc.CreateTeam(name);
  if (!team.ok()) return team.status();
  st.team = *team;
  auto account = testing::ConnectCertn(svc, fake, *team);
  if (!account.ok()) return account.status();
  st.api_key = account->api_key;
  st.certn_team_id = account->certn_team_id;
  st.webhook_secret = account->webhook_secret;
  HttpResponse job = svc.Post("/api/v1/jobs", R"({"title":"Burst"})", team->admin_token);
  std::string plan = "/api/v1/jobs/" + job.String("/id").value_or("") + "/interview-plan/stages";
  HttpResponse bg = svc.Post(plan, R"({"name":"Background"})", team->admin_token);
  HttpResponse act = svc.Post(
      plan + "/" + bg.String("/id").value_or("") + "/activities",
      R"({"kind":"certn_background_check","settings":{"package_id":"pkg-basic","auto_send":false}})",
      team->admin_token);
  st.activity = act.String("/id").value_or("");
  st.apps.resize(count);
  std::atomic<int> failures{0};
  ParallelFor(count, 4, [&](int i) {
    HttpResponse c = svc.Post("/api/v1/candidates",
                              absl::StrCat(R"({"first_name":"Burst","last_name":"N)", i,
                                           R"(","email":"burst.)", i, R"(@example.com"})"),
                              team->recruiter_token);
    HttpResponse a =
        svc.Post("/api/v1/applications",
                 absl::StrCat(R"({"candidate_id":")", c.String("/id").value_or(""),
                              R"(","job_id":")", job.String("/id").value_or(""), R"("})"),
                 team->recruiter_token);
    st.apps[i] = a.String("/id").value_or("");
    if (a.status != 201) ++failures;
  });
  if (failures > 0) return absl::InternalError(absl::StrCat(failures.load(), " set-up failures"));
  return st;
}

// ---- part 1: webhook ingest -------------------------------------------------

// A team that receives deliveries, with `cases` checks sent through the API
// and ordered at the fake Certn: the real path's deliveries name them.
absl::StatusOr<Hooked> OrderedTeam(ServiceProcess& svc, FakeCertnProcess& fake,
                                   const std::string& name, int cases) {
  auto st = SetUpSendTeam(svc, fake, name, cases);
  if (!st.ok()) return st.status();
  Hooked h{st->certn_team_id, st->webhook_secret};
  // Orders and the worker's case fetches are not what is measured: the
  // account's own limit (60 calls a minute) would only stretch the set-up.
  HttpResponse limit = svc.Put("/api/v1/integrations/certn", R"({"requests_per_minute":6000})",
                               st->team.admin_token);
  if (limit.status != 200)
    return absl::InternalError(absl::StrCat("rate limit setting answered ", limit.status));
  const std::string body = absl::StrCat(R"({"activity_id":")", st->activity, R"("})");
  std::vector<std::string> checks(cases);
  std::atomic<int> refused{0};
  ParallelFor(cases, 4, [&](int i) {
    HttpResponse r = svc.Post("/api/v1/applications/" + st->apps[i] + "/background-checks", body,
                              st->team.recruiter_token);
    checks[i] = r.String("/id").value_or("");
    if (r.status != 202) ++refused;
  });
  if (refused > 0) return absl::InternalError(absl::StrCat(refused.load(), " sends refused"));
  for (const std::string& check : checks) {
    std::optional<std::string> case_id;
    testing::WaitFor(
        [&] {
          HttpResponse r = svc.Get("/api/v1/background-checks/" + check, st->team.recruiter_token);
          if (r.Has("/certn_case_id") && !r.IsNull("/certn_case_id"))
            case_id = r.String("/certn_case_id");
          return case_id.has_value();
        },
        absl::Seconds(60));
    if (!case_id) return absl::DeadlineExceededError("check " + check + " was not ordered");
    h.cases.push_back(*case_id);
  }
  return h;
}

// OrderedTeam as `name`-0, made again as `name`-1 and -2 when its set-up
// failed: the fake Certn, still busy with the previous server's webhooks,
// can drop a connection ("Failed to write request body").
absl::StatusOr<Hooked> OrderedTeamRetried(ServiceProcess& svc, FakeCertnProcess& fake,
                                          const std::string& name, int cases) {
  absl::StatusOr<Hooked> team = absl::UnknownError("not tried");
  for (int attempt = 0; attempt < 3 && !team.ok(); ++attempt) {
    team = OrderedTeam(svc, fake, absl::StrCat(name, "-", attempt), cases);
  }
  return team;
}

// The disk's own commit latency: a 4 KiB append + fdatasync, `n` times, in
// the directory the SQLite stores live in.
struct Fsync {
  double p50_us = 0, p99_us = 0;
  int n = 0;
};

Fsync MeasureFsync(const std::string& dir, int n) {
  Fsync f;
  const std::string path = dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    HarnessFailure("fsync probe: cannot open " + path);
    return f;
  }
  const std::string block(4096, 'x');
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    absl::Time t0 = absl::Now();
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      HarnessFailure("fsync probe: write/fdatasync failed");
      break;
    }
    us.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
  }
  ::close(fd);
  std::filesystem::remove(path);
  f.n = static_cast<int>(us.size());
  f.p50_us = Percentile(us, 50);
  f.p99_us = Percentile(us, 99);
  return f;
}

// The service's own account of where a delivery's time went, from the
// histograms /metrics exposes (docs/operations.md): their _sum and _count.
struct StoreTimes {
  std::map<std::string, double> values;  // "<histogram>_sum" / "<histogram>_count"
  bool ok = false;
};

StoreTimes ScrapeStoreTimes(const ServiceProcess& svc) {
  StoreTimes t;
  HttpResponse r = svc.Get("/metrics");
  if (r.status != 200) return t;
  for (absl::string_view line : absl::StrSplit(r.body, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    double v = 0;
    if (parts.size() == 2 &&
        (absl::EndsWith(parts[0], "_sum") || absl::EndsWith(parts[0], "_count")) &&
        absl::SimpleAtod(parts[1], &v)) {
      t.values[std::string(parts[0])] = v;
    }
  }
  t.ok = true;
  return t;
}

// Over one phase (`after` minus `before`): deliveries per transaction, and
// the mean time to write and commit a batch, to wait for its fsync, of the
// fsync itself (SQLite's WAL flusher; 0 on PostgreSQL, whose commit flushes),
// and from a delivery's hand-over to the committer to its answer.
struct StorePhase {
  double deliveries_per_commit = 0, batch_ms = 0, durable_wait_ms = 0, fsync_ms = 0, apply_ms = 0;
  bool ok = false;
};

StorePhase StorePhaseOf(const StoreTimes& before, const StoreTimes& after) {
  StorePhase p;
  if (!before.ok || !after.ok) return p;
  auto delta = [&](const std::string& name) {
    auto at = [](const StoreTimes& t, const std::string& n) {
      auto it = t.values.find(n);
      return it == t.values.end() ? 0.0 : it->second;
    };
    return at(after, name) - at(before, name);
  };
  auto mean_ms = [&](const std::string& histogram) {
    double n = delta(histogram + "_count");
    return n > 0 ? delta(histogram + "_sum") / n * 1000 : 0;
  };
  double batches = delta("stagecheck_commit_batch_seconds_count");
  if (batches <= 0) return p;
  p.deliveries_per_commit = delta("stagecheck_webhook_apply_seconds_count") / batches;
  p.batch_ms = mean_ms("stagecheck_commit_batch_seconds");
  p.durable_wait_ms = mean_ms("stagecheck_commit_durable_wait_seconds");
  p.fsync_ms = mean_ms("stagecheck_wal_fsync_seconds");
  p.apply_ms = mean_ms("stagecheck_webhook_apply_seconds");
  p.ok = true;
  return p;
}

struct PathResult {
  Load warm, max, half;
  StorePhase max_store;  // inside the service during the max-load run
};

// One kind of delivery on a running service: max load after a warm-up,
// then half of that rate.
PathResult MeasurePath(const Options& o, const ServiceProcess& svc,
                       const std::vector<Hooked>& teams, const std::string& tag, bool ordered,
                       int64_t& sent) {
  const int port = svc.port();
  PathResult r;
  const int64_t warm_n = 40000;
  r.warm = RunWrk(o, port, WriteWebhookFile(o, teams, warm_n, tag + "-warm", ordered),
                  o.sizes.warm_s, false);
  sent += warm_n;
  double expect = std::max(1000.0, r.warm.rps);
  int64_t count =
      std::min<int64_t>(2000000, static_cast<int64_t>(expect * o.sizes.max_s * 1.6) + 2000);
  sent += count;
  const std::string max_file = WriteWebhookFile(o, teams, count, tag + "-max", ordered);
  const StoreTimes before = ScrapeStoreTimes(svc);
  r.max = RunWrk(o, port, max_file, o.sizes.max_s, false);
  r.max_store = StorePhaseOf(before, ScrapeStoreTimes(svc));
  if (r.max.ok && r.max.requests >= count - o.wrk_connections) {
    Note(absl::StrCat(tag, ": the max-load run used up its ", count, " pre-signed deliveries"));
  }
  if (r.max.ok && r.max.rps > 0) {
    auto make = [&](int64_t n) {
      sent += n;
      return WriteWebhookFile(o, teams, n, tag + "-half", ordered);
    };
    r.half = RunAtRate(o, port, make, r.max.rps / 2, o.sizes.half_s);
  }
  int64_t bad = r.warm.status_errors + r.max.status_errors + r.half.status_errors;
  if (bad > 0) Note(absl::StrCat(tag, ": ", bad, " non-2xx webhook answers"));
  return r;
}

struct IngestResult {
  PathResult unknown, ordered;
  int64_t idle_rss_kb = -1, load_rss_kb = -1, load_hwm_kb = -1;
  int64_t cases = 0;
};

// Every 2xx is a committed row; on the real path every applied delivery's
// case has a fetch queued or done.
void CheckCounts(const std::string& backend, const std::string& db, const IngestResult& r,
                 int64_t sent) {
  int64_t ok_answers = 0;
  for (const PathResult* p : {&r.unknown, &r.ordered}) {
    ok_answers += p->warm.requests - p->warm.status_errors + p->max.requests - p->max.status_errors;
  }
  int64_t rows = SqliteCount(db, "SELECT count(*) FROM webhook_deliveries");
  if (rows < ok_answers || rows > sent) {
    return HarnessFailure(absl::StrCat(backend, ": webhook_deliveries has ", rows,
                                       " rows; 2xx answers (warm+max) ", ok_answers,
                                       ", sent at most ", sent));
  }
  Note(absl::StrCat(backend, ": ", rows, " deliveries committed >= ", ok_answers,
                    " answered 2xx (warm+max), <= ", sent, " sent"));
  int64_t applied =
      SqliteCount(db, "SELECT count(*) FROM webhook_deliveries WHERE verdict = 'applied'");
  int64_t fetches =
      SqliteCount(db, "SELECT count(*) FROM work_items WHERE kind = 'certn.fetch_case'");
  if (r.ordered.max.requests > 0 && (applied <= 0 || fetches <= 0)) {
    return HarnessFailure(absl::StrCat(backend, ": real path: ", applied, " applied deliveries, ",
                                       fetches, " case fetches queued"));
  }
  Note(absl::StrCat(backend, ": real path: ", applied, " deliveries applied to ", r.cases,
                    " ordered cases; ", fetches, " case fetches queued (one pending per case)"));
}

std::optional<IngestResult> WebhookIngest(const Options& o, const std::string& backend,
                                          const std::string& db, FakeCertnProcess& fake,
                                          int committers) {
  ServiceOptions so;
  so.certn_base_url = fake.base_url();
  so.db = db;
  so.log_level = "warning";
  so.extra_args = o.serve_args;
  if (committers > 0) {
    so.extra_args.push_back("--db-committers");
    so.extra_args.push_back(std::to_string(committers));
  }
  auto svc = ServiceProcess::Start(so);
  if (!svc.ok()) {
    HarnessFailure(
        absl::StrCat(backend, ": stagecheck serve did not start: ", svc.status().ToString()));
    return std::nullopt;
  }
  std::vector<Hooked> teams;
  IngestResult r;
  for (int i = 0; i < o.sizes.teams; ++i) {
    absl::StatusOr<Hooked> team = OrderedTeamRetried(
        **svc, fake, absl::StrCat("bench-", backend, "-", i), o.sizes.cases_per_team);
    if (!team.ok()) {
      HarnessFailure(absl::StrCat(backend, ": team set-up: ", team.status().ToString()));
      return std::nullopt;
    }
    r.cases += static_cast<int64_t>(team->cases.size());
    teams.push_back(*std::move(team));
  }
  const int pid = (*svc)->pid();
  r.idle_rss_kb = ProcStatusKb(pid, "VmRSS");
  std::cerr << "bench: " << backend << ": " << teams.size() << " teams, " << r.cases
            << " ordered cases; measuring\n";
  int64_t sent = 0;
  // Unknown cases first, while the worker is idle; then the real path.
  r.unknown = MeasurePath(o, **svc, teams, backend + "-unknown", false, sent);
  r.ordered = MeasurePath(o, **svc, teams, backend + "-ordered", true, sent);
  r.load_rss_kb = ProcStatusKb(pid, "VmRSS");
  r.load_hwm_kb = ProcStatusKb(pid, "VmHWM");
  if (!(*svc)->sqlite_path().empty()) {
    (void)(*svc)->Stop();
    CheckCounts(backend, (*svc)->sqlite_path(), r, sent);
  }
  return r;
}

std::string Latencies(const Load& l) {
  return absl::StrCat(Ms(l.p50_us), " / ", Ms(l.p99_us), " / ", Ms(l.p999_us));
}

// The rows of one kind of delivery: throughput against nginx, latency at
// max and half load (the half-load p99 against the disk's fsync p99).
void AddPathRows(const std::string& g, const PathResult& p, const Load& ref, const Fsync& disk,
                 const std::string& target, double target_ratio) {
  double ratio = ref.rps > 0 ? p.max.rps / ref.rps : 0;
  AddRow({g, "max throughput (durable 2xx)", absl::StrCat(Fmt(p.max.rps), " req/s"),
          ref.rps > 0 ? absl::StrCat(Fmt(ref.rps), " nginx") : "",
          ref.rps > 0 ? absl::StrCat(Fmt(ratio, 3), "x") : "", target,
          target.empty() || ref.rps <= 0 ? "" : Yes(ratio >= target_ratio)});
  AddRow({g, "max load p50 / p99 / p99.9", Latencies(p.max), "", "", "", ""});
  if (const StorePhase& s = p.max_store; s.ok) {
    AddRow({g,
            "max load, inside: deliveries per commit / write+commit / fsync wait (of which "
            "fdatasync) / to answer",
            absl::StrCat(Fmt(s.deliveries_per_commit, 1), " / ", Fmt(s.batch_ms, 2), " ms / ",
                         Fmt(s.durable_wait_ms, 2), " ms (", Fmt(s.fsync_ms, 2), " ms) / ",
                         Fmt(s.apply_ms, 2), " ms"),
            "", "", "", ""});
  }
  double to_disk = disk.p99_us > 0 ? p.half.p99_us / disk.p99_us : 0;
  AddRow({g, absl::StrCat("half load (", Fmt(p.half.rps), " req/s) p50 / p99 / p99.9"),
          Latencies(p.half), absl::StrCat("disk fsync p99 ", Ms(disk.p99_us)),
          to_disk > 0 ? absl::StrCat(Fmt(to_disk, 1), "x disk p99") : "",
          target.empty() ? "" : "p99 <= 3x disk fsync p99",
          target.empty() ? "" : Yes(p.half.ok && to_disk > 0 && to_disk <= 3)});
}

// nginx's `return 200;` for the same POSTs at `o.wrk_connections`: the
// reference of the ingest ratios. Not ok without nginx.
Load MeasureNginx(const Options& o, Nginx* nginx) {
  if (nginx == nullptr) {
    Note("nginx not found: no reference run");
    return Load{};
  }
  std::vector<Hooked> dummy = {{"nginx-team", "nginx-secret-0123456789"}};
  std::string file = WriteWebhookFile(o, dummy, 20000, "nginx");
  (void)RunWrk(o, nginx->port(), file, o.sizes.warm_s, true);
  Load ref = RunWrk(o, nginx->port(), file, o.sizes.max_s, true);
  AddRow({"reference",
          absl::StrCat("nginx return 200, same POSTs, wrk -t", o.wrk_threads, " -c",
                       o.wrk_connections),
          absl::StrCat(Fmt(ref.rps), " req/s"), "", "", "", ""});
  AddRow({"reference", absl::StrCat("nginx -c", o.wrk_connections, " p50 / p99 / p99.9"),
          Latencies(ref), "", "", "", ""});
  return ref;
}

// Issue 21 sets its PostgreSQL target at this many connections.
constexpr int kPostgresTargetConnections = 128;

// Ingest on each back-end: rows for both kinds of delivery, against `ref`.
// `suffix` names a pass at other than the default connections.
void IngestRows(const Options& o, FakeCertnProcess& fake, const Load& ref, const Fsync& disk,
                const std::vector<std::tuple<std::string, std::string, int>>& backends,
                const std::string& suffix, int64_t* sqlite_load_hwm) {
  for (const auto& [name, db, committers] : backends) {
    auto r = WebhookIngest(o, name + suffix, db, fake, committers);
    if (!r) continue;
    const bool sqlite = name == "sqlite";
    const std::string target = sqlite ? ">= 0.2x nginx (stretch 0.5x)"
                               : o.wrk_connections == kPostgresTargetConnections
                                   ? absl::StrCat(">= 0.1x nginx at -c", kPostgresTargetConnections)
                                   : "";
    const std::string group = absl::StrCat("webhook ", name, suffix);
    AddPathRows(group + " ordered", r->ordered, ref, disk, target, sqlite ? 0.2 : 0.1);
    AddPathRows(group + " unknown", r->unknown, ref, disk, "", 0);
    AddRow(
        {group, absl::StrCat("RSS idle / under load / peak (", r->cases, " ordered cases)"),
         absl::StrCat(MiB(r->idle_rss_kb), " / ", MiB(r->load_rss_kb), " / ", MiB(r->load_hwm_kb)),
         "", "", "", ""});
    if (sqlite && sqlite_load_hwm != nullptr) *sqlite_load_hwm = r->load_hwm_kb;
  }
}

void PartWebhook(const Options& o, FakeCertnProcess& fake, Nginx* nginx, int64_t* sqlite_load_hwm) {
  if (!o.serve_args.empty()) {
    Note(absl::StrCat("webhook: stagecheck serve ran with ", absl::StrJoin(o.serve_args, " "),
                      ": not the standard set-up"));
  }
  const Fsync disk = MeasureFsync(o.work_dir, o.sizes.fsync_n);
  AddRow({"disk", absl::StrCat("4 KiB write + fdatasync (", disk.n, "x), p50 / p99"),
          absl::StrCat(Ms(disk.p50_us), " / ", Ms(disk.p99_us)), "", "", "", ""});
  const Load ref = MeasureNginx(o, nginx);
  std::vector<std::tuple<std::string, std::string, int>> backends = {{"sqlite", "", 0}};
  std::vector<std::tuple<std::string, std::string, int>> postgres;
  if (o.pg_url.empty()) Note("no --pg-url: PostgreSQL ingest not measured");
  if (!o.pg_url.empty() && o.pg_committers.empty()) postgres.push_back({"postgres", o.pg_url, 0});
  for (int n : o.pg_url.empty() ? std::vector<int>{} : o.pg_committers)
    postgres.push_back({absl::StrCat("postgres-", n, "committers"), o.pg_url, n});
  backends.insert(backends.end(), postgres.begin(), postgres.end());
  IngestRows(o, fake, ref, disk, backends, "", sqlite_load_hwm);
  // PostgreSQL's target is set at -c128: a pass of its own there, against
  // nginx at -c128 in the same run, unless the run is at -c128 already.
  if (postgres.empty() || o.wrk_connections == kPostgresTargetConnections) return;
  Options wide = o;
  wide.wrk_connections = kPostgresTargetConnections;
  const Load wide_ref = MeasureNginx(wide, nginx);
  IngestRows(wide, fake, wide_ref, disk, postgres, absl::StrCat("-c", kPostgresTargetConnections),
             nullptr);
}

// ---- part 2: instructions per delivery (callgrind) --------------------------

// Where a delivery's instructions go, by the callgrind profile: the parts
// each target discussion names (docs/performance.md), and the rest.
struct InstructionParts {
  double total = -1;  // per delivery; -1 after a harness failure
  double hmac = 0, sqlite = 0, parse = 0;
};

// The inclusive count callgrind_annotate gives the first function whose name
// contains `function` ("13,359,459 (34.87%)  ???:ns::Fn(...) [lib]"), or -1.
int64_t InclusiveCount(const std::string& annotated, absl::string_view function) {
  for (absl::string_view line : absl::StrSplit(annotated, '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || line.find(function, colon) == absl::string_view::npos)
      continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    const std::string digits = absl::StrReplaceAll(line.substr(0, line.find(' ')), {{",", ""}});
    int64_t v = 0;
    if (absl::SimpleAtoi(digits, &v)) return v;
  }
  return -1;
}

// The parts of `total_count` instructions, from the profile of `n` deliveries.
absl::StatusOr<InstructionParts> SplitInstructions(const std::string& profile, int64_t total_count,
                                                   int n) {
  CmdResult r = Run(absl::StrCat("callgrind_annotate --inclusive=yes --threshold=100 ", profile));
  if (r.exit_code != 0)
    return absl::InternalError("callgrind_annotate: " + r.output.substr(0, 400));
  InstructionParts parts;
  parts.total = static_cast<double>(total_count) / n;
  const std::pair<absl::string_view, double*> named[] = {{"OpenSslCrypto::HmacSha256", &parts.hmac},
                                                         {"sqlite3_step", &parts.sqlite},
                                                         {"ParseWebhookEvent", &parts.parse}};
  for (const auto& [function, out] : named) {
    const int64_t v = InclusiveCount(r.output, function);
    if (v < 0) return absl::NotFoundError(absl::StrCat("no ", function, " in the profile"));
    *out = static_cast<double>(v) / n;
  }
  return parts;
}

// glibc zeroes and copies blocks from 2 KiB with `rep stosb` / `rep movsb`,
// which callgrind counts once per byte: zeroing one new 4 KiB SQLite page
// counted as ~4k instructions (2.3k a delivery on the real path), where a
// CPU retires one instruction. Under these thresholds glibc uses its AVX2
// loops instead, whose instructions callgrind counts as a CPU runs them.
constexpr char kVectorStringFunctions[] =
    "GLIBC_TUNABLES=glibc.cpu.x86_rep_stosb_threshold=100000000:"
    "glibc.cpu.x86_rep_movsb_threshold=100000000";

// One callgrind run of the in-process driver: instructions per delivery and
// their parts. `cases` empty: cases nobody ordered.
InstructionParts CountInstructions(const Options& o, const std::string& db, const std::string& key,
                                   const Hooked& team, const std::string& cases,
                                   const std::string& tag) {
  const int n = o.sizes.cpu_n;
  std::string out_file = absl::StrCat(o.work_dir, "/callgrind-", tag, ".out");
  std::filesystem::remove(out_file);
  std::filesystem::remove(out_file + ".1");
  std::string cmd =
      absl::StrCat("env STAGECHECK_ENCRYPTION_KEY=", key, " ", kVectorStringFunctions,
                   " timeout 600 valgrind --tool=callgrind", " --callgrind-out-file=", out_file,
                   " ", o.cpu_driver, " --db ", db, " --certn-team-id ", team.certn_team_id,
                   " --secret ", team.secret, " --n ", n, cases.empty() ? "" : " --cases " + cases);
  absl::Time t0 = absl::Now();
  CmdResult r = Run(cmd);
  if (r.exit_code != 0) {
    HarnessFailure("cpu: driver under callgrind: " + r.output.substr(0, 800));
    return {};
  }
  // The dump made after the last answer (callgrind numbers it .1).
  std::ifstream in(out_file + ".1");
  std::string line;
  int64_t total = -1;
  while (std::getline(in, line)) {
    if (line.rfind("summary: ", 0) == 0 || line.rfind("totals: ", 0) == 0) {
      int64_t v = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(line.find(' ') + 1)), &v))
        total = v;
    }
  }
  if (total <= 0) {
    HarnessFailure("cpu: no callgrind totals in " + out_file + ".1");
    return {};
  }
  Note(absl::StrCat("callgrind run (", tag, ") took ",
                    Fmt(absl::ToDoubleSeconds(absl::Now() - t0), 1),
                    " s; profile: callgrind_annotate ", out_file, ".1"));
  absl::StatusOr<InstructionParts> parts = SplitInstructions(out_file + ".1", total, n);
  if (!parts.ok()) {
    HarnessFailure(absl::StrCat("cpu: ", tag, " profile: ", parts.status().ToString()));
    return InstructionParts{.total = static_cast<double>(total) / n};
  }
  return *parts;
}

std::string Kilo(double v) { return absl::StrCat(Fmt(v / 1000.0, 1), "k"); }

void PartCpu(const Options& o, FakeCertnProcess& fake) {
  // The HMAC's share is larger here than on the machine itself where its CPU
  // has SHA extensions: valgrind runs OpenSSL's code without them.
  Note("callgrind counts HMAC-SHA256 as OpenSSL's code without SHA extensions (valgrind has none)");
  Note(
      "the callgrind runs use glibc's vector memset/memcpy (GLIBC_TUNABLES): callgrind counts a "
      "rep-prefixed one once per byte");
  std::string db = o.work_dir + "/cpu.db";
  std::filesystem::remove(db);
  ServiceOptions so;
  so.certn_base_url = fake.base_url();
  so.db = db;
  so.log_level = "warning";
  auto svc = ServiceProcess::Start(so);
  if (!svc.ok()) return HarnessFailure("cpu: service: " + svc.status().ToString());
  auto team = OrderedTeamRetried(**svc, fake, "bench-cpu", std::max(2, o.sizes.cases_per_team / 2));
  if (!team.ok()) return HarnessFailure("cpu: team: " + team.status().ToString());
  std::string key = (*svc)->encryption_key();
  if (absl::Status s = (*svc)->Stop(); !s.ok()) return HarnessFailure("cpu: stop: " + s.ToString());
  const int n = o.sizes.cpu_n;
  const InstructionParts unknown = CountInstructions(o, db, key, *team, "", "unknown");
  int64_t before = SqliteCount(db, "SELECT count(*) FROM webhook_deliveries");
  const InstructionParts ordered =
      CountInstructions(o, db, key, *team, absl::StrJoin(team->cases, ","), "ordered");
  int64_t rows = SqliteCount(db, "SELECT count(*) FROM webhook_deliveries");
  int64_t applied =
      SqliteCount(db, "SELECT count(*) FROM webhook_deliveries WHERE verdict = 'applied'");
  if (before < n || rows < 2 * n || applied < n) {
    HarnessFailure(absl::StrCat("cpu: ", rows, " deliveries stored (", applied,
                                " applied), expected ", 2 * n, " (", n, " applied)"));
  }
  for (const auto& [name, v] :
       {std::pair{"ordered cases (real path)", ordered}, std::pair{"unknown cases", unknown}}) {
    if (v.total <= 0) continue;
    const bool real = std::string_view(name).rfind("ordered", 0) == 0;
    AddRow({"webhook cpu",
            absl::StrCat("instructions per delivery, ", name, " (callgrind, ", n,
                         " in-process, SQLite)"),
            absl::StrCat(Kilo(v.total), " instr"), "", "", real ? "<= 60k" : "",
            real ? Yes(v.total <= 60000) : ""});
    if (v.hmac <= 0) continue;  // no profile: noted as a harness failure
    AddRow({"webhook cpu",
            absl::StrCat(name, ", by part: HMAC-SHA256 / SQLite statements / parsing / the rest"),
            absl::StrCat(Kilo(v.hmac), " / ", Kilo(v.sqlite), " / ", Kilo(v.parse), " / ",
                         Kilo(v.total - v.hmac - v.sqlite - v.parse)),
            "", "", "", ""});
  }
}

// ---- part 3: application tab ------------------------------------------------

std::string Uuid(uint32_t kind, int64_t n) {
  return absl::StrFormat("%08x-%04x-4%03x-8%03x-%012x", kind, (n >> 48) & 0xffff, (n >> 36) & 0xfff,
                         (n >> 24) & 0xfff, n & 0xffffffffffffLL);
}

struct Template {
  std::string team, candidate, application;
};

// The overall score of cloned check n: REVIEW for one in ten, REJECT for one in ten.
constexpr char kBenchScoreSql[] =
    "CASE s.n % 10 WHEN 0 THEN 'REVIEW' WHEN 1 THEN 'REJECT' ELSE 'CLEAR' END";

// Clones the template candidate (with its application, checks and feed) into
// ids [from, to) in one transaction: bulk SQL over a recursive series.
absl::Status Fill(const std::string& path, const Template& t, int64_t from, int64_t to) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return absl::InternalError("open " + path);
  auto exec = [&](const std::string& sql) -> absl::Status {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string e = err ? err : "?";
      sqlite3_free(err);
      return absl::InternalError(e + " in: " + sql.substr(0, 300));
    }
    return absl::OkStatus();
  };
  auto columns = [&](const std::string& table) {
    std::vector<std::string> cols;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, ("PRAGMA table_info(" + table + ")").c_str(), -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW)
      cols.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    sqlite3_finalize(st);
    return cols;
  };
  auto uuid_sql = [](uint32_t kind) {
    return absl::StrFormat(
        "printf('%08x-%%04x-4%%03x-8%%03x-%%012x', (s.n >> 48) & 65535, (s.n >> 36) & 4095, (s.n "
        ">> 24) & 4095, "
        "s.n & 281474976710655)",
        kind);
  };
  // Clones each template row by its rowid (a full scan per generated row would
  // make the fill quadratic: not every template filter has an index).
  auto clone = [&](const std::string& table, const std::string& where,
                   std::map<std::string, std::string> repl) {
    std::vector<int64_t> rowids;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, ("SELECT rowid FROM " + table + " AS src WHERE " + where).c_str(), -1,
                       &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) rowids.push_back(sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    std::vector<std::string> cols = columns(table);
    std::string names, exprs;
    for (const std::string& c : cols) {
      names += (names.empty() ? "" : ", ") + c;
      exprs += (exprs.empty() ? "" : ", ") + (repl.count(c) ? repl[c] : "src." + c);
    }
    for (int64_t rowid : rowids) {
      absl::Status st2 = exec(absl::StrCat(
          "WITH RECURSIVE s(n) AS (SELECT ", from, " UNION ALL SELECT n + 1 FROM s WHERE n < ",
          to - 1, ") INSERT INTO ", table, " (", names, ") SELECT ", exprs, " FROM s CROSS JOIN ",
          table, " AS src WHERE src.rowid = ", rowid));
      if (!st2.ok()) return st2;
    }
    return absl::OkStatus();
  };
  std::string team = "'" + t.team + "'";
  absl::Status s = exec("PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; BEGIN");
  if (s.ok()) {
    s = clone(
        "candidates",
        absl::StrCat("src.team_id = ", team, " AND src.candidate_id = '", t.candidate, "'"),
        {{"candidate_id", uuid_sql(0xca000000)}, {"email", "printf('bench.%d@example.com', s.n)"}});
  }
  if (s.ok()) {
    // The pipeline overview's columns (schema v6) as the store keeps them: the
    // cloned check is the latest; one in ten needs review, one in ten is
    // rejected; names and activity times are spread so that sorts do work.
    s = clone(
        "applications",
        absl::StrCat("src.team_id = ", team, " AND src.application_id = '", t.application, "'"),
        {{"application_id", uuid_sql(0xa0000000)},
         {"candidate_id", uuid_sql(0xca000000)},
         {"candidate_sort",
          "printf('candidate %07d bench.%d@example.com', (s.n * 7919) % 1000003, s.n)"},
         {"latest_check_id", uuid_sql(0xcc000000)},
         {"check_status", "'complete'"},
         {"check_rank", "6"},
         {"check_score", kBenchScoreSql},
         {"last_activity_at", "src.updated_at + (s.n * 7919) % 1000003"}});
  }
  if (s.ok()) {
    // Cloned checks are complete (as most are in a big store): the open-check
    // reconciler must not chase a million fake cases during the measurement.
    s = clone(
        "background_checks",
        absl::StrCat("src.team_id = ", team, " AND src.application_id = '", t.application, "'"),
        {{"check_id", uuid_sql(0xcc000000)},
         {"candidate_id", uuid_sql(0xca000000)},
         {"application_id", uuid_sql(0xa0000000)},
         {"certn_case_id", "printf('bench-case-%d', s.n)"},
         {"status", "'complete'"},
         {"certn_overall_score", kBenchScoreSql},
         {"completed_at", "src.updated_at"}});
  }
  if (s.ok()) {
    // Feed events: one clone per template row (distinct ids via the rowid).
    sqlite3_stmt* st = nullptr;
    std::vector<int64_t> rowids;
    sqlite3_prepare_v2(db,
                       ("SELECT rowid FROM feed_events WHERE team_id = " + team +
                        " AND candidate_id = '" + t.candidate + "'")
                           .c_str(),
                       -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) rowids.push_back(sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    for (size_t j = 0; j < rowids.size() && s.ok(); ++j) {
      s = clone("feed_events", absl::StrCat("src.rowid = ", rowids[j]),
                {{"event_id", uuid_sql(0xfe000000 + static_cast<uint32_t>(j))},
                 {"candidate_id", uuid_sql(0xca000000)},
                 {"application_id", "CASE WHEN src.application_id IS NULL THEN NULL ELSE " +
                                        uuid_sql(0xa0000000) + " END"},
                 {"check_id", "CASE WHEN src.check_id IS NULL THEN NULL ELSE " +
                                  uuid_sql(0xcc000000) + " END"}});
    }
  }
  if (s.ok()) s = exec("COMMIT");
  sqlite3_close(db);
  return s;
}

std::string WriteReadFile(const Options& o, const std::string& token, int64_t filled,
                          int64_t count) {
  std::string path = absl::StrCat(o.work_dir, "/reads-", filled, ".txt");
  std::ofstream out(path, std::ios::binary);
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> pick(1, filled);
  for (int64_t i = 0; i < count; ++i) {
    out << "GET\t/api/v1/applications/" << Uuid(0xa0000000, pick(rng)) << "\tAuthorization:Bearer "
        << token << "\t\n";
  }
  return path;
}

// Filtered pages of the pipeline overview (GET /api/v1/applications, 25 rows),
// round-robin over filters the recruiter's Applications page offers.
std::string WritePipelineFile(const Options& o, const std::string& token, int64_t filled,
                              int64_t count) {
  static constexpr const char* kQueries[] = {"check_status=complete&result=REVIEW", "result=REJECT",
                                             "check_status=complete&sort=status",
                                             "result=REVIEW&sort=name", "check_status=none"};
  std::string path = absl::StrCat(o.work_dir, "/pipeline-", filled, ".txt");
  std::ofstream out(path, std::ios::binary);
  for (int64_t i = 0; i < count; ++i) {
    out << "GET\t/api/v1/applications?limit=25&" << kQueries[i % std::size(kQueries)]
        << "\tAuthorization:Bearer " << token << "\t\n";
  }
  return path;
}

// Its counts per check status: the whole team, and the team narrowed by result.
std::string WriteCountsFile(const Options& o, const std::string& token, int64_t filled,
                            int64_t count) {
  std::string path = absl::StrCat(o.work_dir, "/counts-", filled, ".txt");
  std::ofstream out(path, std::ios::binary);
  for (int64_t i = 0; i < count; ++i) {
    out << "GET\t/api/v1/applications/counts" << (i % 2 ? "?result=REVIEW" : "")
        << "\tAuthorization:Bearer " << token << "\t\n";
  }
  return path;
}

struct TabResult {
  Load load;
  Load paced;                             // at a fixed rate: half the smaller store's maximum
  Load pipeline, pipeline_paced, counts;  // filtered pages and their counts
  double cold_start_ms = 0;
  int64_t idle_kb = -1, after_kb = -1, hwm_kb = -1;
  double fill_s = 0;
};

// The pipeline overview on the same store: filtered pages at max load and at
// one fixed rate for both sizes (half the smaller store's maximum, as for the
// tab), and the counts at max load.
void MeasurePipeline(const Options& o, ServiceProcess& svc, const std::string& token, int64_t size,
                     TabResult& r, double& paced_rps) {
  HttpResponse probe =
      svc.Get("/api/v1/applications?limit=25&check_status=complete&result=REVIEW", token);
  if (probe.status != 200 || probe.Size("/items").value_or(0) == 0) {
    return HarnessFailure(absl::StrCat("pipeline: filtered page answered ", probe.status, " ",
                                       probe.body.substr(0, 300)));
  }
  std::string file = WritePipelineFile(o, token, size, 200000);
  r.pipeline = RunWrk(o, svc.port(), file, o.sizes.read_s, true);
  if (paced_rps <= 0) paced_rps = r.pipeline.rps / 2;
  if (paced_rps > 0) {
    r.pipeline_paced = RunAtRate(
        o, svc.port(), [&](int64_t n) { return WritePipelineFile(o, token, size, n); }, paced_rps,
        o.sizes.read_s);
  }
  r.counts = RunWrk(o, svc.port(), WriteCountsFile(o, token, size, 20000), o.sizes.read_s, true);
  for (const Load* l : {&r.pipeline, &r.pipeline_paced, &r.counts}) {
    if (l->status_errors > 0)
      HarnessFailure(absl::StrCat("pipeline: ", l->status_errors, " non-2xx reads"));
  }
}

// The pipeline rows, beside the application tab's.
void AddPipelineRows(const std::string& sl, const std::string& ll, const TabResult& s,
                     const TabResult& l, double paced_rps) {
  auto lat = [](const Load& x) {
    return absl::StrCat(Ms(x.p50_us), " / ", Ms(x.p99_us), " / ", Ms(x.p999_us));
  };
  for (auto [name, r] : {std::pair{sl, &s}, std::pair{ll, &l}}) {
    AddRow({"pipeline " + name,
            "filtered page (25 rows) at max load: throughput, p50 / p99 / p99.9",
            absl::StrCat(Fmt(r->pipeline.rps), " req/s, ", lat(r->pipeline)), "", "", "", ""});
    AddRow({"pipeline " + name,
            absl::StrCat("filtered page at ", Fmt(paced_rps), " req/s: p50 / p99 / p99.9"),
            lat(r->pipeline_paced), absl::StrCat(Fmt(r->pipeline_paced.rps), " req/s achieved"), "",
            "", ""});
    AddRow({"pipeline " + name, "counts per check status at max load: throughput, p50 / p99",
            absl::StrCat(Fmt(r->counts.rps), " req/s, ", Ms(r->counts.p50_us), " / ",
                         Ms(r->counts.p99_us)),
            "", "", "", ""});
  }
  double ratio =
      s.pipeline_paced.p99_us > 0 ? l.pipeline_paced.p99_us / s.pipeline_paced.p99_us : 0;
  AddRow({"pipeline",
          absl::StrCat("filtered page p99 at ", Fmt(paced_rps), " req/s, ", ll, " vs ", sl),
          Ms(l.pipeline_paced.p99_us), Ms(s.pipeline_paced.p99_us),
          absl::StrCat(Fmt(ratio, 2), "x"), "<= 1.2x", Yes(ratio > 0 && ratio <= 1.2)});
}

void PartAppTab(const Options& o, FakeCertnProcess& fake) {
  std::string db = o.work_dir + "/apptab.db";
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db + ext);
  ServiceOptions so;
  so.certn_base_url = fake.base_url();
  so.db = db;
  so.log_level = "warning";
  std::string key;
  Template t;
  std::string token;
  double empty_start_ms = 0;
  {
    absl::Time t0 = absl::Now();
    auto svc = ServiceProcess::Start(so);
    if (!svc.ok()) return HarnessFailure("apptab: service: " + svc.status().ToString());
    empty_start_ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
    key = (*svc)->encryption_key();
    auto team = (*svc)->CreateTeam("bench-apptab");
    if (!team.ok()) return HarnessFailure("apptab: team: " + team.status().ToString());
    token = team->recruiter_token;
    auto account = testing::ConnectCertn(**svc, fake, *team);
    if (!account.ok()) return HarnessFailure("apptab: connect: " + account.status().ToString());
    HttpResponse job =
        (*svc)->Post("/api/v1/jobs", R"({"title":"Platform engineer"})", team->admin_token);
    std::string plan = "/api/v1/jobs/" + job.String("/id").value_or("") + "/interview-plan/stages";
    (void)(*svc)->Post(plan, R"({"name":"Screen"})", team->admin_token);
    HttpResponse bg = (*svc)->Post(plan, R"({"name":"Background"})", team->admin_token);
    HttpResponse act = (*svc)->Post(
        plan + "/" + bg.String("/id").value_or("") + "/activities",
        R"({"kind":"certn_background_check","settings":{"package_id":"pkg-standard","auto_send":false}})",
        team->admin_token);
    HttpResponse cand =
        (*svc)->Post("/api/v1/candidates",
                     R"({"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com"})",
                     team->recruiter_token);
    HttpResponse app =
        (*svc)->Post("/api/v1/applications",
                     absl::StrCat(R"({"candidate_id":")", cand.String("/id").value_or(""),
                                  R"(","job_id":")", job.String("/id").value_or(""), R"("})"),
                     team->recruiter_token);
    t = {team->team_id, cand.String("/id").value_or(""), app.String("/id").value_or("")};
    HttpResponse send =
        (*svc)->Post("/api/v1/applications/" + t.application + "/background-checks",
                     absl::StrCat(R"({"activity_id":")", act.String("/id").value_or(""), R"("})"),
                     team->recruiter_token);
    if (send.status != 202)
      return HarnessFailure("apptab: send answered " + std::to_string(send.status) + send.body);
    std::string check = send.String("/id").value_or("");
    testing::WaitFor([&] {
      return (*svc)
          ->Get("/api/v1/background-checks/" + check, token)
          .String("/certn_case_id")
          .has_value();
    });
    HttpResponse tab = (*svc)->Get("/api/v1/applications/" + t.application, token);
    if (tab.status != 200)
      return HarnessFailure("apptab: template tab answered " + std::to_string(tab.status));
    Note(absl::StrCat("application tab body: ", tab.body.size(), " bytes"));
    if (absl::Status s = (*svc)->Stop(); !s.ok())
      return HarnessFailure("apptab: stop: " + s.ToString());
  }
  so.encryption_key = key;
  AddRow({"start-up", "cold start to /readyz, empty store (SQLite)", Ms(empty_start_ms * 1000), "",
          "", "", ""});
  std::map<int64_t, TabResult> results;
  double paced_rps = 0, pipeline_rps = 0;
  int64_t filled = 0;
  for (int64_t size : {o.sizes.apptab_small, o.sizes.apptab_large}) {
    TabResult r;
    absl::Time f0 = absl::Now();
    if (absl::Status s = Fill(db, t, filled + 1, size + 1); !s.ok()) {
      return HarnessFailure("apptab: fill: " + std::string(s.message()));
    }
    r.fill_s = absl::ToDoubleSeconds(absl::Now() - f0);
    filled = size;
    int64_t apps = SqliteCount(db, "SELECT count(*) FROM applications");
    if (apps != size + 1)
      HarnessFailure(absl::StrCat("apptab: ", apps, " applications, expected ", size + 1));
    std::cerr << "bench: apptab: filled to " << size << " in " << r.fill_s << " s\n";
    Run("sync");
    absl::Time t0 = absl::Now();
    auto svc = ServiceProcess::Start(so);
    if (!svc.ok()) return HarnessFailure("apptab: service: " + svc.status().ToString());
    r.cold_start_ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
    r.idle_kb = ProcStatusKb((*svc)->pid(), "VmRSS");
    HttpResponse probe = (*svc)->Get("/api/v1/applications/" + Uuid(0xa0000000, size), token);
    if (probe.status != 200) {
      return HarnessFailure(
          absl::StrCat("apptab: generated application answered ", probe.status, " ", probe.body));
    }
    std::string file = WriteReadFile(o, token, size, 200000);
    (void)RunWrk(o, (*svc)->port(), file, o.sizes.warm_s, true);
    r.load = RunWrk(o, (*svc)->port(), file, o.sizes.read_s, true);
    // Latency is compared at one offered rate for both sizes: at saturation
    // p99 is mostly the queue, and it measures throughput a second time.
    if (paced_rps <= 0) paced_rps = r.load.rps / 2;
    if (paced_rps > 0) {
      r.paced = RunAtRate(
          o, (*svc)->port(), [&](int64_t n) { return WriteReadFile(o, token, size, n); }, paced_rps,
          o.sizes.read_s);
    }
    MeasurePipeline(o, **svc, token, size, r, pipeline_rps);
    r.after_kb = ProcStatusKb((*svc)->pid(), "VmRSS");
    r.hwm_kb = ProcStatusKb((*svc)->pid(), "VmHWM");
    if (r.load.status_errors > 0)
      HarnessFailure(absl::StrCat("apptab: ", r.load.status_errors, " non-2xx reads"));
    results[size] = r;
  }
  const TabResult& s = results[o.sizes.apptab_small];
  const TabResult& l = results[o.sizes.apptab_large];
  auto label = [](int64_t n) {
    if (n >= 1000000) return absl::StrCat(n / 1000000, "M");
    return n >= 1000 ? absl::StrCat(n / 1000, "k") : absl::StrCat(n);
  };
  std::string sl = label(o.sizes.apptab_small), ll = label(o.sizes.apptab_large);
  for (auto [name, r] : {std::pair{sl, &s}, std::pair{ll, &l}}) {
    AddRow({"app tab " + name, "GET /api/v1/applications/{id} throughput",
            absl::StrCat(Fmt(r->load.rps), " req/s"), "", "", "", ""});
    AddRow({"app tab " + name, "p50 / p99 / p99.9",
            absl::StrCat(Ms(r->load.p50_us), " / ", Ms(r->load.p99_us), " / ", Ms(r->load.p999_us)),
            "", "", "", ""});
  }
  double max_ratio = s.load.p99_us > 0 ? l.load.p99_us / s.load.p99_us : 0;
  AddRow({"app tab", absl::StrCat("p99 at max load, ", ll, " vs ", sl), Ms(l.load.p99_us),
          Ms(s.load.p99_us), absl::StrCat(Fmt(max_ratio, 2), "x"), "", ""});
  for (auto [name, r] : {std::pair{sl, &s}, std::pair{ll, &l}}) {
    AddRow(
        {"app tab " + name, absl::StrCat("at ", Fmt(paced_rps), " req/s: p50 / p99 / p99.9"),
         absl::StrCat(Ms(r->paced.p50_us), " / ", Ms(r->paced.p99_us), " / ", Ms(r->paced.p999_us)),
         absl::StrCat(Fmt(r->paced.rps), " req/s achieved"), "", "", ""});
  }
  double ratio = s.paced.p99_us > 0 ? l.paced.p99_us / s.paced.p99_us : 0;
  AddRow({"app tab", absl::StrCat("p99 at ", Fmt(paced_rps), " req/s, ", ll, " vs ", sl),
          Ms(l.paced.p99_us), Ms(s.paced.p99_us), absl::StrCat(Fmt(ratio, 2), "x"), "<= 1.2x",
          Yes(ratio > 0 && ratio <= 1.2)});
  AddPipelineRows(sl, ll, s, l, pipeline_rps);
  AddRow({"app tab", absl::StrCat("server RSS at ", ll, " (idle / after reads / peak)"),
          absl::StrCat(MiB(l.idle_kb), " / ", MiB(l.after_kb), " / ", MiB(l.hwm_kb)), "", "",
          "<= 100 MiB", Yes(l.hwm_kb > 0 && l.hwm_kb <= 100 * 1024)});
  AddRow({"app tab",
          absl::StrCat("fill ", sl, " / +", label(o.sizes.apptab_large - o.sizes.apptab_small),
                       " applications (bulk SQL)"),
          absl::StrCat(Fmt(s.fill_s, 1), " s / ", Fmt(l.fill_s, 1), " s"), "", "", "", ""});
  AddRow({"start-up", absl::StrCat("cold start to /readyz, ", ll, "-application store"),
          Ms(l.cold_start_ms * 1000), Ms(empty_start_ms * 1000),
          absl::StrCat(Fmt(l.cold_start_ms / std::max(1.0, empty_start_ms), 2), "x"), "", ""});
  if (o.sizes.name != "smoke") {
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db + ext);
  }
}

// ---- part 4: send burst -----------------------------------------------------

void PartBurst(const Options& o) {
  const int limit = o.sizes.certn_limit_per_minute;
  fake_certn::FakeCertnStartOptions fo;
  fo.rate_limit_per_minute = limit;
  auto fake = FakeCertnProcess::Start(fo);
  if (!fake.ok()) return HarnessFailure("burst: fake Certn: " + fake.status().ToString());
  ServiceOptions so;
  so.certn_base_url = (*fake)->base_url();
  so.log_level = "warning";
  if (o.express_workers >= 0)
    so.extra_args = {"--express-workers", std::to_string(o.express_workers)};
  auto svc = ServiceProcess::Start(so);
  if (!svc.ok()) return HarnessFailure("burst: service: " + svc.status().ToString());
  const int n = o.sizes.burst_sends, k = o.sizes.latency_sends;
  auto set_up = [&](const std::string& name, int count) {
    return SetUpSendTeam(**svc, **fake, name, count);
  };
  auto burst_team = set_up("bench-burst", n);
  if (!burst_team.ok()) return HarnessFailure("burst: set-up: " + burst_team.status().ToString());
  // The account's budget Stagecheck keeps to: Certn's 60 calls a minute per
  // account (CERTN.md section 5; the integration's default, set here so the
  // rows do not depend on it). The fake itself allows `limit`, so a 429
  // means Stagecheck overspent.
  const int budget = 60;
  if (HttpResponse r = (*svc)->Put("/api/v1/integrations/certn",
                                   absl::StrCat(R"({"requests_per_minute":)", budget, "}"),
                                   burst_team->team.admin_token);
      r.status != 200) {
    return HarnessFailure(absl::StrCat("burst: budget setting answered ", r.status));
  }
  // The per-send latency is measured on a second team: its own API key, so
  // the burst's rolling window (and the case fetches still draining on it)
  // never holds its orders back.
  auto latency_team = set_up("bench-latency", k);
  if (!latency_team.ok())
    return HarnessFailure("burst: set-up: " + latency_team.status().ToString());
  const testing::TeamTokens* team = &burst_team->team;
  const std::vector<std::string>& apps = burst_team->apps;
  const std::string activity = burst_team->activity;
  (void)(*fake)->ClearRequests();
  const std::string body = absl::StrCat(R"({"activity_id":")", activity, R"("})");
  std::vector<double> send_ms(n);
  std::atomic<int> accepted{0};
  absl::Time burst_start = absl::Now();
  ParallelFor(n, 8, [&](int i) {
    absl::Time t0 = absl::Now();
    HttpResponse r = (*svc)->Post("/api/v1/applications/" + apps[i] + "/background-checks", body,
                                  team->recruiter_token);
    send_ms[i] = absl::ToDoubleMilliseconds(absl::Now() - t0);
    if (r.status == 202) ++accepted;
  });
  double accept_s = absl::ToDoubleSeconds(absl::Now() - burst_start);
  // Wait (bounded) until every order reached the fake: N/budget minutes plus
  // slack. The budget counts every call of the key, and each order's webhooks
  // make a case fetch too (~2.1 calls an order, 2026-12-02): 3 minutes per
  // `budget` orders.
  const absl::Duration wait_for = absl::Seconds(30 + 60.0 * n / budget * 3.0);
  std::vector<fake_certn::LoggedRequest> log;
  auto successes = [&] {
    int ok = 0;
    for (const auto& r : log) ok += r.status / 100 == 2;
    return ok;
  };
  testing::WaitFor(
      [&] {
        auto got = (*fake)->Requests("order_package");
        if (got.ok()) log = *got;
        return successes() >= n;
      },
      wait_for);
  ::usleep(1500 * 1000);  // anything duplicated would arrive now
  if (auto got = (*fake)->Requests("order_package"); got.ok()) log = *got;
  std::map<std::string, int> per_key;
  int throttled = 0, ok = 0;
  std::vector<int64_t> ok_at;
  for (const auto& r : log) {
    if (r.status == 429) ++throttled;
    if (r.status / 100 == 2) {
      ++ok;
      ++per_key[r.idempotency_key];
      ok_at.push_back(r.at_unix_ms);
    }
  }
  std::sort(ok_at.begin(), ok_at.end());
  bool exactly_once = ok == n && static_cast<int>(per_key.size()) == n && accepted == n;
  if (!exactly_once) {
    Note(absl::StrCat("burst: ", accepted.load(), " sends accepted, ", ok,
                      " orders reached Certn with ", per_key.size(),
                      " distinct idempotency keys (expected ", n, ")"));
  }
  if (ok != n && o.sizes.name == "smoke")
    HarnessFailure(absl::StrCat("burst: ", ok, " of ", n, " orders arrived"));
  double total_s = ok_at.size() > 1 ? (ok_at.back() - ok_at.front()) / 1000.0 : 0;
  // Steady state: after the first full window (`budget` orders) went out.
  double steady = 0;
  if (static_cast<int>(ok_at.size()) > budget + 10) {
    steady = (ok_at.size() - budget) / ((ok_at.back() - ok_at[budget - 1]) / 60000.0);
  }
  // Every call of the key while the orders drained (orders, case fetches).
  int64_t calls_in_drain = 0;
  std::map<std::string, int64_t> calls_by_endpoint;
  double calls_per_min = 0;
  double most_per_min = 1.05 * budget;
  if (static_cast<int>(ok_at.size()) > budget + 10) {
    if (auto all = (*fake)->Requests(); all.ok()) {
      for (const auto& r : *all) {
        if (r.at_unix_ms > ok_at[budget - 1] && r.at_unix_ms <= ok_at.back()) {
          ++calls_in_drain;
          ++calls_by_endpoint[r.endpoint];
        }
      }
    }
    const double drain_min = (ok_at.back() - ok_at[budget - 1]) / 60000.0;
    calls_per_min = calls_in_drain / drain_min;
    // A rolling window admits `budget` calls in any minute, so T minutes may
    // hold ceil(T) windows' worth: over an 8.1-minute drain, 1.1x the budget
    // without a call too many.
    most_per_min = budget * std::ceil(drain_min) / drain_min;
  }
  std::string g = absl::StrCat("send burst (", n, ")");
  AddRow({g, "sends accepted (202) / p50 / p99 API latency",
          absl::StrCat(accepted.load(), " in ", Fmt(accept_s, 2), " s / ",
                       Fmt(Percentile(send_ms, 50), 2), " ms / ", Fmt(Percentile(send_ms, 99), 2),
                       " ms"),
          "", "", "", ""});
  AddRow({g, "orders reaching Certn exactly once (fake's request log)",
          absl::StrCat(ok, " ok, ", per_key.size(), " distinct keys"), absl::StrCat(n, " sends"),
          "", "each exactly once", Yes(exactly_once)});
  AddRow({g, "429s from the fake (its limit on)", absl::StrCat(throttled),
          absl::StrCat(log.size(), " requests"), "", "no 429 storm",
          Yes(throttled <= std::max(5, n / 100))});
  AddRow({g, "drain time / orders per minute after the first full window",
          absl::StrCat(Fmt(total_s, 1), " s / ", steady > 0 ? Fmt(steady, 1) + "/min" : "n/a"),
          absl::StrCat(budget, "/min budget (the fake allows ", limit, ")"),
          steady > 0 ? absl::StrCat(Fmt(steady / budget, 2), "x") : "", "", ""});
  std::string split;
  for (const auto& [endpoint, count] : calls_by_endpoint)
    absl::StrAppend(&split, split.empty() ? "" : ", ", endpoint, " ", count);
  AddRow({g, "all Certn calls of the key per minute during the drain",
          calls_per_min > 0 ? absl::StrCat(Fmt(calls_per_min, 1), "/min (", split, ")") : "n/a",
          absl::StrCat(budget, "/min budget (the fake allows ", limit, ")"),
          calls_per_min > 0 ? absl::StrCat(Fmt(calls_per_min / budget, 2), "x") : "", "~= limit",
          calls_per_min > 0 ? Yes(calls_per_min >= 0.85 * budget && calls_per_min <= most_per_min)
                            : ""});

  // Added latency per send: sequential sends with the limit off, each from
  // the moment the POST leaves here to the moment the fake Certn received the
  // order (its request log's microsecond time, same host clock): everything
  // Stagecheck adds before Certn sees the order (the API request, the send's
  // durable commit, the hand-over to a worker, the order's call). Polling the
  // log only finds the entry; its timestamp, not the poll, is the figure. The
  // fake's own order answered directly is the reference. Sent by the second
  // team (its own key and rolling window) while the first one's backlog
  // drains; an order is found in the log by its idempotency key, our check id.
  (void)(*fake)->SetRateLimit(0);
  const std::string latency_body =
      absl::StrCat(R"({"activity_id":")", latency_team->activity, R"("})");
  std::vector<double> e2e, after_answer, direct;
  for (int i = 0; i < k; ++i) {
    const int64_t t0_us = absl::ToUnixMicros(absl::Now());
    HttpResponse r =
        (*svc)->Post("/api/v1/applications/" + latency_team->apps[i] + "/background-checks",
                     latency_body, latency_team->team.recruiter_token);
    const int64_t answered_us = absl::ToUnixMicros(absl::Now());
    const std::string check = r.String("/id").value_or("");
    std::optional<int64_t> arrived_us;
    testing::WaitFor(
        [&] {
          auto got = (*fake)->Requests("order_package");
          if (!got.ok()) return false;
          for (const fake_certn::LoggedRequest& l : *got)
            if (l.idempotency_key == check) arrived_us = l.at_unix_us;
          return arrived_us.has_value();
        },
        absl::Seconds(10));
    if (r.status == 202 && arrived_us) {
      e2e.push_back((*arrived_us - t0_us) / 1000.0);
      after_answer.push_back((*arrived_us - answered_us) / 1000.0);
    }
  }
  for (int i = 0; i < k; ++i) {
    absl::Time t0 = absl::Now();
    auto r = (*fake)->Call("POST", "/api/public/cases/order-package/",
                           absl::StrCat(R"({"package":"pkg-basic","email_address":"direct.)", i,
                                        R"(@example.com","send_invite_email":true})"),
                           {{"Authorization", "Api-Key " + latency_team->api_key},
                            {"Content-Type", "application/json"}});
    if (r.ok()) direct.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  const double added = Percentile(e2e, 50);
  AddRow({g, "added latency per send (POST sent -> order received at Certn), p50 / p99",
          absl::StrCat(Fmt(added, 2), " ms / ", Fmt(Percentile(e2e, 99), 2), " ms"),
          absl::StrCat(Fmt(Percentile(direct, 50), 2), " ms direct order round trip"), "",
          "<= 1 ms p50", Yes(!e2e.empty() && added <= 1.0)});
  // What the queue adds once the send is durable: the order is handed to a
  // worker in the send's own transaction, so it reaches Certn about when the
  // 202 reaches the client (negative: before it).
  const double queued = Percentile(after_answer, 50);
  AddRow({g, "order received at Certn after the send's 202 was received, p50 / p99",
          absl::StrCat(Fmt(queued, 2), " ms / ", Fmt(Percentile(after_answer, 99), 2), " ms"), "",
          "", "<= 1 ms p50", Yes(!after_answer.empty() && queued <= 1.0)});
  if (static_cast<int>(e2e.size()) != k)
    HarnessFailure(absl::StrCat("burst: ", e2e.size(), " of ", k, " timed sends"));
}

// ---- part 5: Certn calls per completed check --------------------------------

// Drives `calls_checks` checks through a case's whole life at the fake Certn
// (order -> APPLICANT_OPENED -> STARTED -> SUBMITTED -> IN_PROGRESS ->
// COMPLETE -> report), one status change at a time and each applied before
// the next, and counts every call the service made to Certn (the fake's
// request log), by kind. Reconciliation reads the event feed every 2 s
// (every minute in production), so the feed's reads are in the count.
// This process's CPU time (all threads) and context switches so far.
struct ProcessUsage {
  double cpu_us = 0;
  int64_t switches = 0;
};
ProcessUsage UsageNow() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto us = [](const timeval& t) { return t.tv_sec * 1e6 + static_cast<double>(t.tv_usec); };
  return {us(u.ru_utime) + us(u.ru_stime), u.ru_nvcsw + u.ru_nivcsw};
}

// The client side of a Certn call, as the service makes it (the cpprestsdk
// transport): `calls` GETs of the package list from the fake, one after
// another, this process's CPU and context switches per call. The bench does
// nothing else meanwhile, so all of it is the transport's.
void CertnClientRow(FakeCertnProcess& fake, const std::string& api_key, int calls,
                    const std::string& g) {
  std::unique_ptr<certn::Transport> transport = certn::MakeCpprestTransport();
  certn::HttpCall call;
  call.url = fake.base_url() + "/api/public/packages/";
  call.headers = {{"Authorization", "Api-Key " + api_key}};
  for (int i = 0; i < 20; ++i) (void)transport->Send(call);  // the connection, warm
  const ProcessUsage before = UsageNow();
  const absl::Time started = absl::Now();
  for (int i = 0; i < calls; ++i) {
    absl::StatusOr<certn::HttpReply> reply = transport->Send(call);
    if (!reply.ok() || reply->status != 200) {
      return HarnessFailure(
          absl::StrCat("calls: client GET ", i, ": ",
                       reply.ok() ? absl::StrCat(reply->status) : reply.status().ToString()));
    }
  }
  const double wall_us = absl::ToDoubleMicroseconds(absl::Now() - started);
  const ProcessUsage after = UsageNow();
  AddRow({g,
          absl::StrCat("client side of a Certn GET (cpprestsdk transport, ", calls,
                       " in a row): CPU / context switches / wall per call"),
          absl::StrCat(Fmt((after.cpu_us - before.cpu_us) / calls), " us / ",
                       Fmt(static_cast<double>(after.switches - before.switches) / calls, 1), " / ",
                       Fmt(wall_us / calls), " us"),
          "", "", "", ""});
}

void PartCalls(const Options& o, int fetch_coalesce_ms) {
  const int n = o.sizes.calls_checks;
  const bool coalesced = fetch_coalesce_ms > 1;
  auto fake = FakeCertnProcess::Start();
  if (!fake.ok()) return HarnessFailure("calls: fake Certn: " + fake.status().ToString());
  ServiceOptions so;
  so.certn_base_url = (*fake)->base_url();
  so.log_level = "warning";
  so.extra_args = {"--reconcile-interval-ms", "2000", "--fetch-coalesce-ms",
                   absl::StrCat(fetch_coalesce_ms)};
  // Not coalesced: no busy case's fetch waits longer either.
  if (!coalesced) {
    so.extra_args.insert(so.extra_args.end(),
                         {"--fetch-coalesce-max-ms", absl::StrCat(fetch_coalesce_ms)});
  }
  auto svc = ServiceProcess::Start(so);
  if (!svc.ok()) return HarnessFailure("calls: service: " + svc.status().ToString());
  auto st = SetUpSendTeam(**svc, **fake, "bench-calls", n);
  if (!st.ok()) return HarnessFailure("calls: set-up: " + st.status().ToString());
  // Counted, not paced: the account's limit (60 a minute by default) would
  // only stretch the run; the fake has no limit of its own here.
  HttpResponse limit = (*svc)->Put("/api/v1/integrations/certn", R"({"requests_per_minute":6000})",
                                   st->team.admin_token);
  if (limit.status != 200)
    return HarnessFailure(absl::StrCat("calls: rate limit setting: ", limit.status));
  // The setting refreshed the team's package cache; fill it again before
  // counting (the list is cached per team, not fetched per check).
  (void)(*svc)->Get("/api/v1/integrations/certn/packages", st->team.admin_token);
  (void)(*fake)->ClearRequests();
  const absl::Time started = absl::Now();
  const std::string body = absl::StrCat(R"({"activity_id":")", st->activity, R"("})");
  std::vector<std::string> checks(n);
  for (int i = 0; i < n; ++i) {
    HttpResponse r = (*svc)->Post("/api/v1/applications/" + st->apps[i] + "/background-checks",
                                  body, st->team.recruiter_token);
    checks[i] = r.String("/id").value_or("");
  }
  // Every check's Certn state, and whether its report is saved.
  auto states = [&] {
    std::vector<HttpResponse> out;
    for (const std::string& id : checks)
      out.push_back((*svc)->Get("/api/v1/background-checks/" + id, st->team.recruiter_token));
    return out;
  };
  auto all = [&](const std::function<bool(const HttpResponse&)>& ok) {
    for (const HttpResponse& r : states()) {
      if (!ok(r)) return false;
    }
    return true;
  };
  const absl::Duration step_budget = absl::Seconds(30 + n);
  if (!testing::WaitFor(
          [&] {
            return all([](const HttpResponse& r) {
              return r.Has("/certn_case_id") && !r.IsNull("/certn_case_id");
            });
          },
          step_budget)) {
    return HarnessFailure("calls: not every check was ordered");
  }
  std::vector<std::string> cases;
  for (const HttpResponse& r : states()) cases.push_back(r.String("/certn_case_id").value_or(""));
  // Quiet: no webhook pending at the fake and no fetch due (or about to be:
  // a webhook's fetch waits a second) at the service. Waiting for it before
  // each step keeps every change's webhooks apart from the next change's, so
  // no fetch serves two changes and the count is the worst case.
  auto quiet = [&] {
    return testing::WaitFor(
        [&] {
          const int64_t soon = absl::ToUnixMicros(absl::Now() + absl::Seconds(2));
          return (*fake)->PendingDeliveries().value_or(1) == 0 &&
                 SqliteCount(
                     (*svc)->sqlite_path(),
                     absl::StrCat("SELECT COUNT(*) FROM work_items WHERE state = 'pending' AND "
                                  "kind <> 'certn.read_events' AND run_at <= ",
                                  soon)) == 0;
        },
        step_budget);
  };
  const std::vector<std::string> steps = {"APPLICANT_OPENED", "APPLICANT_STARTED",
                                          "APPLICANT_SUBMITTED", "IN_PROGRESS", "COMPLETE"};
  for (const std::string& step : steps) {
    if (!quiet()) return HarnessFailure("calls: the service did not become quiet before " + step);
    for (const std::string& c : cases) (void)(*fake)->AdvanceCase(c);
    if (!testing::WaitFor(
            [&] {
              return all([&](const HttpResponse& r) { return r.String("/certn_status") == step; });
            },
            step_budget)) {
      std::string seen;
      for (const HttpResponse& r : states())
        absl::StrAppend(&seen, " ", r.String("/certn_status").value_or("?"));
      return HarnessFailure("calls: not every check reached " + step + ":" + seen);
    }
  }
  if (!testing::WaitFor(
          [&] { return all([](const HttpResponse& r) { return !r.IsNull("/report_file_id"); }); },
          step_budget)) {
    return HarnessFailure("calls: not every report was saved");
  }
  // Late calls (a second fetch for one change, a feed-driven fetch) would
  // come now: wait until no webhook is pending and the feed was read twice more.
  auto feed_reads = [&] {
    auto got = (*fake)->Requests("events");
    return got.ok() ? got->size() : size_t{0};
  };
  const size_t reads_then = feed_reads();
  testing::WaitFor(
      [&] {
        return (*fake)->PendingDeliveries().value_or(1) == 0 && feed_reads() >= reads_then + 2;
      },
      absl::Seconds(20));
  const double minutes = absl::ToDoubleMinutes(absl::Now() - started);
  std::map<std::string, int64_t> by_kind;
  if (auto got = (*fake)->Requests(); got.ok()) {
    for (const auto& r : *got) {
      // The presigned download carries no key (no team); every other call is the team's.
      if (r.certn_team_id == st->certn_team_id || r.endpoint == "report_download")
        ++by_kind[r.endpoint];
    }
  }
  auto per = [&](const std::string& kind) { return static_cast<double>(by_kind[kind]) / n; };
  int64_t api_calls = 0;
  std::string split;
  for (const auto& [kind, count] : by_kind) {
    if (kind != "report_download" && kind != "events") api_calls += count;
    absl::StrAppend(&split, split.empty() ? "" : ", ", kind, " ",
                    Fmt(static_cast<double>(count) / n, 2));
  }
  // The case changes 7 times (ordered, 5 status changes, report ready), each
  // a webhook burst; the target is one fetch per change at most, plus the
  // order, the report request and the report file.
  const int changes = 1 + static_cast<int>(steps.size()) + 1;
  const double target = changes + 3;
  const std::string g =
      absl::StrCat("Certn calls (", n, " checks", coalesced ? "" : ", fetches not coalesced", ")");
  AddRow({g, "Certn calls per completed check (order -> 5 statuses -> complete -> report)",
          absl::StrCat(Fmt(static_cast<double>(api_calls) / n, 2), " (", split, ")"),
          absl::StrCat(Fmt(target, 0), " = ", changes,
                       " changes + order, report request, report file"),
          absl::StrCat(Fmt(api_calls / (target * n), 2), "x"), "<= 1 fetch per change + 3",
          Yes(per("get_case") <= changes && per("order_package") == 1 &&
              per("generate_report") == 1 && per("report_file") == 1)});
  if (!coalesced) return;  // the comparison run: its feed reads are the same
  // One call per interval, and one more per further page of 100 events.
  std::set<std::string> events_made;
  for (const auto& d : (*fake)->Deliveries().value_or(std::vector<fake_certn::DeliveryRecord>{})) {
    events_made.insert(d.delivery_id);
  }
  const double intervals = minutes * 30;
  const double pages = std::ceil(static_cast<double>(events_made.size()) / 100.0);
  AddRow({g,
          "event feed calls (one per integration per reconcile interval, here 2 s, + pages past "
          "100 events)",
          absl::StrCat(by_kind["events"], " in ", Fmt(minutes * 60, 0), " s, ", events_made.size(),
                       " events"),
          absl::StrCat(Fmt(intervals, 0), " intervals + ", Fmt(pages, 0), " pages"), "",
          "1 per interval + extra pages", Yes(by_kind["events"] <= intervals + pages + 1)});
  CertnClientRow(**fake, st->api_key, 100 * n, g);
}

// ---- main -------------------------------------------------------------------

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--quick")
      o.sizes = kQuick;
    else if (a == "--smoke")
      o.sizes = kSmoke;
    else if (a == "--pg-url")
      o.pg_url = value();
    else if (a == "--work-dir")
      o.work_dir = value();
    else if (a == "--out")
      o.out = value();
    else if (a == "--connections") {
      if (!absl::SimpleAtoi(value(), &o.wrk_connections) || o.wrk_connections < 1 ||
          o.wrk_connections > 1000) {
        std::cerr << "stagecheck-bench: --connections needs a number from 1 to 1000\n";
        return 2;
      }
    } else if (a == "--express-workers") {
      if (!absl::SimpleAtoi(value(), &o.express_workers) || o.express_workers < 0 ||
          o.express_workers > 8) {
        std::cerr << "stagecheck-bench: --express-workers needs a number from 0 to 8\n";
        return 2;
      }
    } else if (a == "--pg-committers") {
      for (absl::string_view part : absl::StrSplit(value(), ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(part, &n) || n < 1 || n > 32) {
          std::cerr << "stagecheck-bench: --pg-committers needs numbers from 1 to 32\n";
          return 2;
        }
        o.pg_committers.push_back(n);
      }
    } else if (a == "--serve-arg") {
      if (i + 1 >= argc) {
        std::cerr << "stagecheck-bench: --serve-arg needs an argument\n";
        return 2;
      }
      o.serve_args.push_back(value());
    } else if (a == "--only") {
      for (absl::string_view p : absl::StrSplit(value(), ',', absl::SkipEmpty()))
        o.only.insert(std::string(p));
    } else {
      const bool help = a == "--help" || a == "-h";
      (help ? std::cout : std::cerr) << "usage: stagecheck-bench [--quick|--smoke] [--pg-url URL] "
                                        "[--only webhook,cpu,apptab,burst,calls]"
                                        " [--connections N] [--pg-committers N,M]"
                                        " [--express-workers N] [--serve-arg ARG]..."
                                        " [--work-dir DIR] [--out FILE]\n";
      return help ? 0 : 2;
    }
  }
  bool own_dir = o.work_dir.empty();
  if (own_dir) {
    std::string templ =
        (std::filesystem::temp_directory_path() / "stagecheck-bench-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) return 1;
    o.work_dir = templ;
  }
  std::filesystem::create_directories(o.work_dir);
  ::signal(SIGPIPE, SIG_IGN);
  absl::Time started = absl::Now();
  std::string load_before = Run("cat /proc/loadavg").output;
  {
    // --legacy-team-id: the webhook and cpu parts post Certn-Team-ID deliveries,
    // so the teams must learn their Certn team (fixtures/README.md).
    fake_certn::FakeCertnStartOptions fake_options;
    fake_options.extra_args = {"--legacy-team-id"};
    auto fake = FakeCertnProcess::Start(fake_options);
    if (!fake.ok()) {
      std::cerr << "bench: fake Certn did not start: " << fake.status() << "\n";
      return 1;
    }
    if (o.Want("webhook")) {
      std::unique_ptr<Nginx> nginx;
      if (std::filesystem::exists("/usr/sbin/nginx")) {
        nginx = Nginx::Start(o.work_dir + "/nginx");
        if (!nginx) HarnessFailure("nginx did not start (see " + o.work_dir + "/nginx/error.log)");
      }
      int64_t hwm = -1;
      PartWebhook(o, **fake, nginx.get(), &hwm);
    }
    if (o.Want("cpu")) PartCpu(o, **fake);
    if (o.Want("apptab")) PartAppTab(o, **fake);
    if (o.Want("burst")) PartBurst(o);
    if (o.Want("calls")) {
      PartCalls(o, 1000);  // as deployed
      PartCalls(o, 1);     // for comparison: every webhook's fetch at once, as before
    }
  }
  std::string load_after = Run("cat /proc/loadavg").output;
  std::ostringstream report;
  report << "Stagecheck benchmarks (" << o.sizes.name << "), "
         << absl::FormatTime("%Y-%m-%d %H:%M %Z", absl::Now(), absl::UTCTimeZone()) << ", nproc "
         << std::thread::hardware_concurrency() << ", "
         << Run("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo").output
         << ", wrk -t" << o.wrk_threads << " -c" << o.wrk_connections
         << ", loadavg before: " << absl::StripAsciiWhitespace(load_before)
         << ", after: " << absl::StripAsciiWhitespace(load_after) << ", took "
         << Fmt(absl::ToDoubleSeconds(absl::Now() - started), 0) << " s\n\n";
  report << RenderTable();
  if (!g_notes.empty()) {
    report << "\n";
    for (const std::string& n : g_notes) report << "- " << n << "\n";
  }
  std::cout << report.str() << std::flush;
  if (!o.out.empty()) std::ofstream(o.out) << report.str();
  if (own_dir && !g_harness_failed) std::filesystem::remove_all(o.work_dir);
  int table_rows = static_cast<int>(g_rows.size());
  if (table_rows == 0) {
    std::cerr << "bench: no figures produced\n";
    return 1;
  }
  return g_harness_failed ? 1 : 0;
}

}  // namespace
}  // namespace stagecheck::bench

int main(int argc, char** argv) { return stagecheck::bench::Main(argc, argv); }
