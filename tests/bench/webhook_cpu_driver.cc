// In-process webhook driver for instruction counts: opens the real Runtime on a
// prepared SQLite store (one team connected to Certn), pre-signs N distinct
// deliveries, then runs them through WebhookReceiver + GroupCommitter and waits
// for every answer. Under `valgrind --tool=callgrind` the counters are zeroed
// just before the first delivery and dumped after the last answer, so the
// figure covers verification, parsing and the durable group commit only
// (after 20 warm-up deliveries, so the writer's connection is open already).
//
//   stagecheck-webhook-cpu --db PATH --certn-team-id ID --secret S --n N [--cases A,B,...]
//   (--cases: the team's ordered Certn cases, named round-robin: the real
//   path, where each delivery is applied and queues a fetch of its case,
//   signed with X-Signature as CertnCentric sends it; without --cases the
//   legacy Certn-Signature + Certn-Team-ID form, which an unknown case needs)
//   (STAGECHECK_ENCRYPTION_KEY must be the store's key)
// Prints {"deliveries":N,"ok":K,"seconds":S}; exits 1 unless every answer was 2xx.
#include <valgrind/callgrind.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "adapters/cli/app.h"
#include "plugin/certn/signature.h"
#include "tests/bench/webhook_body.h"

int main(int argc, char** argv) {
  std::string db, team_id, secret;
  std::vector<std::string> cases;
  int n = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--db")
      db = argv[i + 1];
    else if (flag == "--certn-team-id")
      team_id = argv[i + 1];
    else if (flag == "--secret")
      secret = argv[i + 1];
    else if (flag == "--cases")
      cases = absl::StrSplit(argv[i + 1], ',', absl::SkipEmpty());
    else if (flag == "--n" && !absl::SimpleAtoi(argv[i + 1], &n))
      n = 0;
  }
  if (db.empty() || team_id.empty() || secret.empty() || n <= 0) {
    std::cerr << "usage: stagecheck-webhook-cpu --db PATH --certn-team-id ID --secret S --n N\n";
    return 2;
  }
  stagecheck::cli::RuntimeOptions options;
  options.db = db;
  options.worker_threads = 0;
  options.log_level = stagecheck::LogLevel::kError;
  auto rt = stagecheck::cli::Runtime::Open(options);
  if (!rt.ok()) {
    std::cerr << rt.status() << "\n";
    return 1;
  }
  const stagecheck::Crypto& crypto = (*rt)->crypto();
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const std::string run = absl::StrCat(absl::ToUnixNanos(absl::Now()));
  // Signed deliveries `first` .. `first + count - 1` of this run.
  auto make = [&](int first, int count) {
    std::vector<stagecheck::certn_plugin::WebhookRequest> made;
    made.reserve(count);
    for (int i = first; i < first + count; ++i) {
      stagecheck::certn_plugin::WebhookRequest r;
      r.body = stagecheck::bench::WebhookBody(absl::StrCat("cpu-", run, "-", i), i,
                                              cases.empty() ? "" : cases[i % cases.size()]);
      if (!cases.empty()) {
        r.x_signature = stagecheck::certn_plugin::SignXSignature(crypto, secret, r.body);
      } else {
        r.certn_team_id = team_id;
        r.certn_signature =
            stagecheck::certn_plugin::SignCertnSignature(crypto, secret, now, r.body);
      }
      made.push_back(std::move(r));
    }
    return made;
  };
  // Sends them all and waits for every answer; returns how many were 2xx.
  auto deliver = [&](std::vector<stagecheck::certn_plugin::WebhookRequest> requests) {
    std::mutex mu;
    std::condition_variable cv;
    int answered = 0, ok = 0;
    const int count = static_cast<int>(requests.size());
    for (auto& r : requests) {
      (*rt)->webhook().Receive(std::move(r), [&](stagecheck::certn_plugin::WebhookAnswer a) {
        std::lock_guard<std::mutex> lock(mu);
        ++answered;
        if (a.http_status / 100 == 2)
          ++ok;
        else if (answered - ok <= 3)
          std::cerr << "answer " << a.http_status << " " << a.code << ": " << a.detail << "\n";
        cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::minutes(5), [&] { return answered == count; });
    return ok;
  };
  // A warm-up round first, outside the count: what a running service did
  // once and keeps (the writer's connection, its prepared statements, the
  // webhook's remembered addressees) is not a per-delivery cost.
  constexpr int kWarmUp = 20;
  if (deliver(make(n, kWarmUp)) != kWarmUp) {
    std::cerr << "warm-up deliveries were not all answered 2xx\n";
    return 1;
  }
  std::vector<stagecheck::certn_plugin::WebhookRequest> requests = make(0, n);
  absl::Time start = absl::Now();
  CALLGRIND_ZERO_STATS;
  const int ok = deliver(std::move(requests));
  CALLGRIND_DUMP_STATS_AT("deliveries");
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::cout << "{\"deliveries\":" << n << ",\"ok\":" << ok << ",\"seconds\":" << seconds << "}"
            << std::endl;
  return ok == n ? 0 : 1;
}
