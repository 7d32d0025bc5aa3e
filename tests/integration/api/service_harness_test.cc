// The ServiceProcess harness itself: start, readiness, CLI bootstrap, log
// capture, SIGTERM/SIGKILL and restart on the same DB.
#include <signal.h>

#include "gtest/gtest.h"
#include "tests/support/fake_certn/fake_certn_process.h"
#include "tests/support/service/certn_setup.h"
#include "tests/support/service/service_process.h"

namespace stagecheck::testing {
namespace {

TEST(ServiceHarnessTest, StartsBootstrapsRestartsAndSurvivesAKill) {
  auto fake = fake_certn::FakeCertnProcess::Start();
  ASSERT_TRUE(fake.ok()) << fake.status();
  auto svc = ServiceProcess::Start({.certn_base_url = (*fake)->base_url()});
  ASSERT_TRUE(svc.ok()) << svc.status();
  ServiceProcess& s = **svc;
  EXPECT_EQ(s.Get("/healthz").status, 200);
  HttpResponse ready = s.Get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.String("/store"), "sqlite");

  auto team = s.CreateTeam("harness");
  ASSERT_TRUE(team.ok()) << team.status();
  HttpResponse me = s.Get("/api/v1/me", team->admin_token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.String("/role"), "admin");
  EXPECT_EQ(me.String("/team/id"), team->team_id);
  EXPECT_EQ(s.Get("/api/v1/me", team->recruiter_token).String("/role"), "recruiter");

  auto certn = ConnectCertn(s, **fake, *team);
  ASSERT_TRUE(certn.ok()) << certn.status();
  EXPECT_EQ(certn->connect_response.String("/webhook_url"), s.webhook_url());

  HttpResponse job = s.Post("/api/v1/jobs", R"({"title":"Harness"})", team->admin_token);
  ASSERT_EQ(job.status, 201) << job.body;
  std::string job_id = *job.String("/id");

  // The log is captured (one JSON object a line) and searchable.
  EXPECT_TRUE(WaitFor([&] { return s.LogContains("\"server.started\""); }));
  EXPECT_TRUE(WaitFor([&] { return s.LogContains("/api/v1/jobs"); }));

  // Clean stop, then the same DB, key and port again: data and secrets survive.
  const uint16_t port = s.port();
  ASSERT_TRUE(s.Restart().ok());
  EXPECT_EQ(s.port(), port);
  EXPECT_EQ(s.Get("/api/v1/jobs/" + job_id, team->admin_token).status, 200);
  HttpResponse integration = s.Get("/api/v1/integrations/certn", team->admin_token);
  EXPECT_EQ(integration.Bool("/connected"), true) << integration.body;

  // A crash: the process is gone, nothing answers; a restart brings it back.
  const int pid = s.pid();
  s.Kill();
  EXPECT_FALSE(s.running());
  EXPECT_NE(::kill(pid, 0), 0);
  EXPECT_EQ(s.Get("/healthz").status, 0);
  ASSERT_TRUE(s.Restart().ok());
  EXPECT_EQ(s.Get("/api/v1/jobs/" + job_id, team->admin_token).status, 200);
  EXPECT_TRUE(s.Stop().ok());
}

TEST(ServiceHarnessTest, ReportsAServiceThatCannotStart) {
  auto svc = ServiceProcess::Start(
      {.db = "/nonexistent-dir/sub/x.db", .start_timeout = absl::Seconds(10)});
  ASSERT_FALSE(svc.ok());
  EXPECT_NE(std::string(svc.status().message()).find("exited before it was ready"),
            std::string::npos)
      << svc.status();
}

TEST(ServiceHarnessTest, CliErrorsCarryStderr) {
  auto svc = ServiceProcess::Start();
  ASSERT_TRUE(svc.ok()) << svc.status();
  auto token = (*svc)->CreateToken("no-such-team", "recruiter");
  ASSERT_FALSE(token.ok());
  EXPECT_NE(std::string(token.status().message()).find("no team"), std::string::npos)
      << token.status();
}

}  // namespace
}  // namespace stagecheck::testing
