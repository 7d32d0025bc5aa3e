// A multi-replica Stagecheck as plain local processes, for the tests in this
// folder: N `stagecheck serve` replicas (tests/support/service) on one
// PostgreSQL database, the fake Certn, and nginx as the load balancer with
// the production proxy settings (deploy/nginx/stagecheck-proxy.conf through
// the template deploy/replicas/nginx.conf.in, the same one deploy/replicas/up.sh
// fills in).
//
//   auto db = pgtest::ScratchDatabase::Create();
//   auto cluster = Cluster::Start({.db_url = db->url()});
//   auto world = (*cluster)->NewWorld("acme");       // team + Certn connected via the LB
//   HttpResponse r = (*cluster)->Lb("GET", "/readyz");
//   (*cluster)->replica(1).Post(...);                  // straight to one replica
//
// Every wait has a deadline; nothing sleeps for synchronisation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/fake_certn/fake_certn_process.h"
#include "tests/support/service/certn_setup.h"
#include "tests/support/service/service_process.h"

namespace stagecheck::replicas_test {

using testing::Headers;
using testing::HttpResponse;
using testing::ServiceProcess;
using testing::TeamTokens;

// "status body" of an answer, for failure messages (body cut at 600 chars).
std::string Describe(const HttpResponse& r);

// nginx as a child process (daemon off) with a config made from
// deploy/replicas/nginx.conf.in. Stopped (SIGTERM, SIGKILL after 10 s) and its
// directory removed when destroyed.
class NginxProcess {
 public:
  static absl::StatusOr<std::unique_ptr<NginxProcess>> Start(
      const std::vector<uint16_t>& upstream_ports);
  ~NginxProcess();
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const;
  std::string AccessLog() const;
  // How many distinct upstream addresses the access log shows.
  size_t UpstreamsUsed() const;

 private:
  NginxProcess() = default;
  absl::Status Launch(const std::vector<uint16_t>& upstream_ports);
  void Stop();

  std::string dir_;
  int pid_ = -1;
  uint16_t port_ = 0;
};

struct ClusterOptions {
  std::string db_url;  // postgres:// URL (a ScratchDatabase or a PrivateServer)
  int replicas = 2;
  std::vector<std::string> replica_args;  // extra `serve` flags for every replica
};

// A team with Certn connected (through the load balancer), a job with stages
// "Screen" and "Background" (a Certn activity with pkg-basic on the second).
struct World {
  TeamTokens team;
  testing::CertnAccount certn;
  std::string job;
  std::string stage;
  std::string bg_stage;
  std::string activity;
};

class Cluster {
 public:
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(ClusterOptions options);
  ~Cluster();

  fake_certn::FakeCertnProcess& fake() { return *fake_; }
  ServiceProcess& replica(size_t i) { return *replicas_.at(i); }
  size_t replica_count() const { return replicas_.size(); }
  NginxProcess& nginx() { return *nginx_; }
  const std::string& db_url() const { return options_.db_url; }
  // The URL Certn is given: the load balancer's webhook path.
  std::string webhook_url() const;

  // A request through the load balancer.
  HttpResponse Lb(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& token = "", const Headers& headers = {}) const;

  // Through the load balancer: team (CLI), fake Certn account whose webhooks
  // go to the load balancer, connect, job, stages, activity.
  absl::StatusOr<World> NewWorld(const std::string& name);
  absl::StatusOr<std::string> CreateCandidate(const World& w, const std::string& email);
  absl::StatusOr<std::string> CreateApplication(const World& w, const std::string& candidate);
  // Polls the check until Certn confirmed the order; its certn_case_id.
  absl::StatusOr<std::string> WaitOrdered(const World& w, const std::string& check,
                                          absl::Duration timeout = absl::Seconds(30));

  // Logs of every replica and nginx, cut, for failure messages.
  std::string Diagnostics() const;

 private:
  Cluster() = default;
  ClusterOptions options_;
  std::unique_ptr<fake_certn::FakeCertnProcess> fake_;
  std::vector<std::unique_ptr<ServiceProcess>> replicas_;
  std::unique_ptr<NginxProcess> nginx_;
};

// One integer from a SQL query (COUNT(*) and the like) on `db_url`, via libpq.
absl::StatusOr<int64_t> QueryInt(const std::string& db_url, const std::string& sql);
// The first column of every row, as text.
absl::StatusOr<std::vector<std::string>> QueryColumn(const std::string& db_url,
                                                     const std::string& sql);

// Headers of a delivery signed like Certn does (Certn-Signature t=now,v1=...,
// plus Certn-Team-ID).
Headers SignedDeliveryHeaders(const std::string& secret, const std::string& certn_team_id,
                              const std::string& body);
// A thin Certn event body {"id","event_type","object_id","object_type":"CASE"}.
std::string DeliveryBody(const std::string& delivery_id, const std::string& case_id,
                         const std::string& event_type = "CASE_STATUS_CHANGED");

}  // namespace stagecheck::replicas_test
