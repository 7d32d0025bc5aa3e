// stagecheck: the service and its operator commands.
//
//   stagecheck serve --db PATH|URL [--listen HOST:PORT] [--certn-base-url URL]
//                    [--public-url URL] [--key-file PATH] [--io-threads N]
//                    [--http-workers N] [--job-workers N] [--log-level LEVEL]
//                    [--reconcile-interval-ms N] [--reconcile-after-ms N] [--events-grace-ms N]
//                    [--fetch-coalesce-ms N] [--fetch-coalesce-max-ms N]
//                    [--outbound-allow-http-loopback]
//                    [--outbound-allow-private-addresses] [--outbound-timeout-ms N]
//                    [--outbound-retry-delay-ms N] [--delay-scan-interval-ms N]
//                    [--db-committers N] [--express-workers N]
//   stagecheck migrate --db PATH|URL
//   stagecheck team create NAME --db PATH|URL
//   stagecheck token create --db PATH|URL --team ID --role admin|recruiter|coordinator|viewer
//   [--name NAME] stagecheck deliveries list --db PATH|URL [--team ID] [--limit N] stagecheck
//   deliveries replay --db PATH|URL --team ID --delivery ID
//
// Bad flags exit 2 with a message; runtime failures exit 1.
#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <span>

#include "absl/strings/str_cat.h"
#include "adapters/cli/allocator.h"
#include "adapters/cli/app.h"
#include "adapters/cli/flags.h"
#include "adapters/console/console.h"
#include "adapters/http/access_log.h"
#include "adapters/http/api/all_routes.h"
#include "adapters/http/api/render.h"
#include "adapters/http/json_writer.h"
#include "adapters/http/problem.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck::cli {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  stagecheck serve --db PATH|URL [--listen HOST:PORT] [--certn-base-url URL] [--public-url "
    "URL]\n"
    "                   [--key-file PATH] [--io-threads N] [--http-workers N] [--job-workers N]\n"
    "                   [--log-level debug|info|warning|error]\n"
    "                   [--reconcile-interval-ms N] [--reconcile-after-ms N] [--events-grace-ms "
    "N]\n"
    "                   [--fetch-coalesce-ms N] [--fetch-coalesce-max-ms N]\n"
    "                   [--outbound-allow-http-loopback]\n"
    "                   [--outbound-allow-private-addresses] [--outbound-timeout-ms N]\n"
    "                   [--outbound-retry-delay-ms N] [--delay-scan-interval-ms N]\n"
    "                   [--db-committers N] [--express-workers N]\n"
    "  stagecheck migrate --db PATH|URL\n"
    "  stagecheck team create NAME --db PATH|URL\n"
    "  stagecheck token create --db PATH|URL --team ID --role admin|recruiter|coordinator|viewer "
    "[--name NAME]\n"
    "  stagecheck deliveries list --db PATH|URL [--team ID] [--limit N]\n"
    "  stagecheck deliveries replay --db PATH|URL --team ID --delivery ID\n";

int UsageError(absl::string_view problem) {
  std::cerr << "stagecheck: " << problem << "\n" << kUsage;
  return 2;
}

int Fail(const absl::Status& status) {
  std::cerr << "stagecheck: " << status.message() << "\n";
  return 1;
}

void PrintJson(http::JsonWriter& w) { std::cout << w.Take() << std::endl; }

absl::StatusOr<std::string> RequiredFlag(const ParsedArgs& args, const std::string& name) {
  std::optional<std::string> v = args.Get(name);
  if (!v || v->empty()) return absl::InvalidArgumentError(absl::StrCat("--", name, " is required"));
  return *v;
}

// Runs `fn` with a Runtime for operator commands (no HTTP, no workers).
template <typename F>
int WithRuntime(const std::string& db, bool need_cipher, F fn) {
  RuntimeOptions options;
  options.db = db;
  options.need_cipher = need_cipher;
  options.worker_threads = 0;
  options.log_level = LogLevel::kWarning;
  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Open(options);
  if (!rt.ok()) return Fail(rt.status());
  return fn(**rt);
}

int Migrate(const std::vector<std::string>& argv) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(argv, {"db"}, {});
  if (!args.ok()) return UsageError(args.status().message());
  if (!args->positional.empty()) return UsageError("migrate takes no arguments");
  absl::StatusOr<std::string> db = RequiredFlag(*args, "db");
  if (!db.ok()) return UsageError(db.status().message());
  absl::StatusOr<MigrateResult> result = stagecheck::Migrate(*db, StoreOptions{});
  if (!result.ok()) return Fail(result.status());
  http::JsonWriter w;
  w.StartObject().Field("backend", result->backend).Field("from_version", result->from_version);
  w.Field("to_version", result->to_version).EndObject();
  PrintJson(w);
  return 0;
}

int TeamCreate(const std::vector<std::string>& argv) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(argv, {"db"}, {});
  if (!args.ok()) return UsageError(args.status().message());
  if (args->positional.size() != 1) return UsageError("team create needs exactly one NAME");
  absl::StatusOr<std::string> db = RequiredFlag(*args, "db");
  if (!db.ok()) return UsageError(db.status().message());
  return WithRuntime(*db, false, [&](Runtime& rt) {
    absl::StatusOr<IssuedToken> issued = rt.accounts().CreateTeam(args->positional[0]);
    if (!issued.ok()) return Fail(issued.status());
    http::JsonWriter w;
    w.StartObject().Field("team_id", issued->team.value()).Field("user_id", issued->user.value());
    w.Field("role", "admin").Field("token", issued->token).EndObject();
    PrintJson(w);
    return 0;
  });
}

int TokenCreate(const std::vector<std::string>& argv) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(argv, {"db", "team", "role", "name"}, {});
  if (!args.ok()) return UsageError(args.status().message());
  if (!args->positional.empty()) return UsageError("token create takes no arguments");
  absl::StatusOr<std::string> db = RequiredFlag(*args, "db");
  if (!db.ok()) return UsageError(db.status().message());
  absl::StatusOr<std::string> team = RequiredFlag(*args, "team");
  if (!team.ok()) return UsageError(team.status().message());
  absl::StatusOr<std::string> role_name = RequiredFlag(*args, "role");
  if (!role_name.ok()) return UsageError(role_name.status().message());
  std::optional<Role> role = ParseRole(*role_name);
  if (!role) return UsageError("--role must be admin, recruiter, coordinator or viewer");
  return WithRuntime(*db, false, [&](Runtime& rt) {
    absl::StatusOr<IssuedToken> issued =
        rt.accounts().CreateToken(TeamId(*team), *role, args->Get("name").value_or(""));
    if (!issued.ok()) {
      if (issued.status().code() == absl::StatusCode::kNotFound) {
        return Fail(absl::NotFoundError("no team with that id"));
      }
      return Fail(issued.status());
    }
    http::JsonWriter w;
    w.StartObject().Field("team_id", issued->team.value()).Field("user_id", issued->user.value());
    w.Field("role", RoleName(issued->role)).Field("token", issued->token).EndObject();
    PrintJson(w);
    return 0;
  });
}

int Deliveries(const std::vector<std::string>& argv) {
  if (argv.empty()) return UsageError("deliveries needs 'list' or 'replay'");
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  absl::StatusOr<ParsedArgs> args = ParseArgs(rest, {"db", "team", "limit", "delivery"}, {});
  if (!args.ok()) return UsageError(args.status().message());
  absl::StatusOr<std::string> db = RequiredFlag(*args, "db");
  if (!db.ok()) return UsageError(db.status().message());
  if (argv[0] == "list") {
    int limit = 50;
    if (auto l = args->Get("limit")) {
      absl::StatusOr<int> parsed = ParsePositiveInt("limit", *l, 1000);
      if (!parsed.ok()) return UsageError(parsed.status().message());
      limit = *parsed;
    }
    std::optional<TeamId> team;
    if (auto t = args->Get("team")) team = TeamId(*t);
    return WithRuntime(*db, false, [&](Runtime& rt) {
      auto list = InReadTransaction<std::vector<WebhookDelivery>>(
          rt.store(), [&](UnitOfWork& uow) { return uow.ListDeliveries(team, limit); });
      if (!list.ok()) return Fail(list.status());
      for (const WebhookDelivery& d : *list) {
        http::JsonWriter w;
        w.StartObject()
            .Field("delivery_id", d.delivery_id)
            .Field("team_id", d.team ? d.team->value() : "");
        w.Field("received_at", http::Rfc3339(d.received_at))
            .Field("verdict", VerdictName(d.verdict));
        w.Field("event_type", d.event_type)
            .Field("object_id", d.object_id)
            .Field("scheme", d.scheme);
        w.Field("headers", d.headers);
        w.EndObject();
        PrintJson(w);
      }
      return 0;
    });
  }
  if (argv[0] == "replay") {
    absl::StatusOr<std::string> team = RequiredFlag(*args, "team");
    if (!team.ok()) return UsageError(team.status().message());
    absl::StatusOr<std::string> delivery = RequiredFlag(*args, "delivery");
    if (!delivery.ok()) return UsageError(delivery.status().message());
    return WithRuntime(*db, false, [&](Runtime& rt) {
      // The same use case as POST /api/v1/integrations/certn/deliveries/{id}/replay.
      absl::Status s = rt.checks().ReplayDelivery(TeamId(*team), *delivery);
      if (!s.ok()) return Fail(s);
      http::JsonWriter w;
      w.StartObject().Field("replayed", *delivery).EndObject();
      PrintJson(w);
      return 0;
    });
  }
  return UsageError("deliveries needs 'list' or 'replay'");
}

int WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

absl::StatusOr<LogLevel> ParseLogLevel(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return absl::InvalidArgumentError("--log-level must be debug, info, warning or error");
}

// --outbound-timeout-ms and --outbound-retry-delay-ms (tests: a timeout and
// the retries in seconds instead of the schedule's minutes and hours).
absl::Status OutboundTimings(const ParsedArgs& args, DeliveryOptions& delivery) {
  if (auto v = args.Get("outbound-timeout-ms")) {
    absl::StatusOr<int> n = ParsePositiveInt("outbound-timeout-ms", *v, 60 * 1000);
    if (!n.ok()) return n.status();
    delivery.timeout = absl::Milliseconds(*n);
  }
  if (auto v = args.Get("outbound-retry-delay-ms")) {
    absl::StatusOr<int> n = ParsePositiveInt("outbound-retry-delay-ms", *v, 24 * 3600 * 1000);
    if (!n.ok()) return n.status();
    delivery.fixed_retry_delay = absl::Milliseconds(*n);
  }
  return absl::OkStatus();
}

int Serve(const std::vector<std::string>& argv) {
  TuneAllocatorForServer();
  absl::StatusOr<ParsedArgs> args =
      ParseArgs(argv,
                {"db",
                 "listen",
                 "certn-base-url",
                 "public-url",
                 "key-file",
                 "io-threads",
                 "http-workers",
                 "job-workers",
                 "log-level",
                 "reconcile-interval-ms",
                 "reconcile-after-ms",
                 "events-grace-ms",
                 "fetch-coalesce-ms",
                 "fetch-coalesce-max-ms",
                 "work-lease-ms",
                 "certn-rate-window-ms",
                 "outbound-timeout-ms",
                 "outbound-retry-delay-ms",
                 "delay-scan-interval-ms",
                 "db-committers",
                 "express-workers"},
                {"outbound-allow-http-loopback", "outbound-allow-private-addresses"});
  if (!args.ok()) return UsageError(args.status().message());
  if (!args->positional.empty()) return UsageError("serve takes no arguments");
  absl::StatusOr<std::string> db = RequiredFlag(*args, "db");
  if (!db.ok()) return UsageError(db.status().message());
  absl::StatusOr<HostPort> listen = ParseHostPort(args->Get("listen").value_or("127.0.0.1:8080"));
  if (!listen.ok()) return UsageError(listen.status().message());
  RuntimeOptions options;
  options.db = *db;
  options.key_file = args->Get("key-file").value_or("");
  options.certn_base_url = args->Get("certn-base-url");
  std::optional<std::string> public_url = args->Get("public-url");
  if (public_url) options.plugin.public_base_url = *public_url;
  http::ServerOptions server_options;
  server_options.host = listen->host;
  server_options.port = listen->port;
  for (auto [flag, target, max] : {std::tuple{"io-threads", &server_options.io_threads, 64},
                                   std::tuple{"http-workers", &server_options.worker_threads, 256},
                                   std::tuple{"job-workers", &options.worker_threads, 64},
                                   std::tuple{"db-committers", &options.committers, 32}}) {
    if (auto v = args->Get(flag)) {
      absl::StatusOr<int> n = ParsePositiveInt(flag, *v, max);
      if (!n.ok()) return UsageError(n.status().message());
      *target = *n;
    }
  }
  // Reconciliation (docs/operations.md): how often the event feeds are read,
  // and how quiet a check must be for the fallback to fetch it; how often
  // the delayed-check scan is queued (section 14).
  for (auto [flag, target] :
       {std::pair{"reconcile-interval-ms", &options.plugin.reconcile_interval},
        std::pair{"reconcile-after-ms", &options.plugin.reconcile_after},
        std::pair{"events-grace-ms", &options.plugin.events_grace},
        std::pair{"fetch-coalesce-ms", &options.plugin.fetch_coalesce},
        std::pair{"fetch-coalesce-max-ms", &options.plugin.fetch_coalesce_max},
        std::pair{"work-lease-ms", &options.plugin.work_lease},
        std::pair{"delay-scan-interval-ms", &options.delay_scan_interval}}) {
    if (auto v = args->Get(flag)) {
      absl::StatusOr<int> n = ParsePositiveInt(flag, *v, 7 * 24 * 3600 * 1000);
      if (!n.ok()) return UsageError(n.status().message());
      *target = absl::Milliseconds(*n);
    }
  }
  if (auto v = args->Get("express-workers")) {
    // 0 is allowed: every order then waits for the job workers' claims.
    absl::StatusOr<int> n = ParseIntInRange("express-workers", *v, 0, 8);
    if (!n.ok()) return UsageError(n.status().message());
    options.express_threads = *n;
  }
  if (auto v = args->Get("certn-rate-window-ms")) {
    absl::StatusOr<int> n = ParsePositiveInt("certn-rate-window-ms", *v, 24 * 3600 * 1000);
    if (!n.ok()) return UsageError(n.status().message());
    options.certn_rate_window = absl::Milliseconds(*n);
  }
  // Outbound webhooks (docs/operations.md): tests and local development only.
  options.outbound_policy.allow_http_loopback = args->Has("outbound-allow-http-loopback");
  options.outbound_policy.allow_private_addresses = args->Has("outbound-allow-private-addresses");
  if (absl::Status s = OutboundTimings(*args, options.outbound_delivery); !s.ok())
    return UsageError(s.message());
  if (auto level = args->Get("log-level")) {
    absl::StatusOr<LogLevel> parsed = ParseLogLevel(*level);
    if (!parsed.ok()) return UsageError(parsed.status().message());
    options.log_level = *parsed;
  }

  // Signals are taken by sigwait below, not by whichever thread they hit.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  absl::StatusOr<std::unique_ptr<Runtime>> opened = Runtime::Open(options);
  if (!opened.ok()) return Fail(opened.status());
  Runtime& rt = **opened;
  std::atomic<bool> ready{false};
  http::ApiContext ctx{rt.accounts(),
                       rt.plans(),
                       rt.applications(),
                       rt.integrations(),
                       rt.checks(),
                       rt.webhook(),
                       rt.bulk_sends(),
                       rt.lifecycle(),
                       rt.endpoints(),
                       rt.retention(),
                       rt.notifications(),
                       rt.store(),
                       rt.crypto(),
                       rt.logger(),
                       rt.metrics(),
                       [&rt] { return rt.metrics().Render(); },
                       [&ready] { return ready.load(); }};
  http::Router router;
  // Every route table, core and plugins (adapters/http/api/all_routes.h).
  for (std::span<const http::Route> table : http::AllRouteTables()) {
    if (absl::Status s = http::AddRoutes(router, ctx, table); !s.ok()) return Fail(s);
  }
  if (absl::Status s = console::AddConsoleRoutes(router); !s.ok()) return Fail(s);
  http::Server server(server_options, http::WithAccessLog(router, rt.logger(), rt.metrics()),
                      http::WithAccessLog(router.IoThreadHandler(), rt.logger(), rt.metrics()));
  if (absl::Status s = server.Start(); !s.ok()) return Fail(s);
  if (!public_url) {
    // Only now is an ephemeral port (--listen HOST:0) known.
    rt.integrations().set_public_base_url(
        absl::StrCat("http://", listen->host, ":", server.port()));
  }
  rt.work().Start();
  ready = true;
  std::cout << "{\"port\":" << server.port() << "}" << std::endl;
  rt.logger().Log(LogLevel::kInfo, "server.started",
                  {{"port", std::to_string(server.port())},
                   {"store", rt.store().backend()},
                   {"allocator", AllocatorName()}});
  int sig = WaitForSignal();
  ready = false;
  rt.logger().Log(LogLevel::kInfo, "server.stopping", {{"signal", std::to_string(sig)}});
  server.Stop();
  rt.work().Stop();
  return 0;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return UsageError("no command given");
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "serve") return Serve(rest);
  if (command == "migrate") return Migrate(rest);
  if (command == "deliveries") return Deliveries(rest);
  if ((command == "team" || command == "token") && !rest.empty() && rest[0] == "create") {
    std::vector<std::string> tail(rest.begin() + 1, rest.end());
    return command == "team" ? TeamCreate(tail) : TokenCreate(tail);
  }
  if (command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  return UsageError("unknown command '" + command + "'");
}

}  // namespace
}  // namespace stagecheck::cli

int main(int argc, char** argv) { return stagecheck::cli::Main(argc, argv); }
