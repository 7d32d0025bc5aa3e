// Outbound webhooks end to end (issue 20): a real `stagecheck serve`, the fake
// Certn, and an independent receiver (receiver/webhook_receiver.py: Python's
// standard library only, checked against the Standard Webhooks test vector)
// that verifies every signature itself. Its fault plan answers each event's
// first attempt 500 and hangs past the sender's timeout on the second; the
// third is delivered. The receiver must see every event of the send →
// complete → report flow, numbered 1..N per check with no gap, and nothing may
// be lost when the service is SIGKILLed mid-flow (duplicates are allowed and
// share a webhook-id).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tests/e2e/e2e_support.h"

namespace stagecheck::e2e {
namespace {

using testing::RequestTo;

// The receiver as a child process; killed with the test.
class Receiver {
 public:
  static std::unique_ptr<Receiver> Start(const std::vector<std::string>& flags,
                                         const std::string& dir) {
    std::unique_ptr<Receiver> r(new Receiver());
    const std::string port_file = dir + "/receiver.port";
    std::vector<std::string> args = {"python3", STAGECHECK_WEBHOOK_RECEIVER, "--port-file",
                                     port_file};
    args.insert(args.end(), flags.begin(), flags.end());
    r->pid_ = ::fork();
    if (r->pid_ == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("python3", argv.data());
      ::_exit(127);
    }
    std::string line;
    EXPECT_TRUE(testing::WaitFor([&] {
      std::ifstream in(port_file);
      return static_cast<bool>(std::getline(in, line));
    })) << "the receiver never listened (did its test-vector self-check fail?)";
    HttpResponse parsed{200, {}, line};
    r->port_ = static_cast<uint16_t>(parsed.Int("/port").value_or(0));
    EXPECT_EQ(parsed.String("/test_vector"), "ok") << line;
    return r;
  }
  ~Receiver() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/hooks"); }
  void SetSecrets(const std::vector<std::string>& secrets) {
    std::vector<std::string> quoted;
    for (const std::string& s : secrets) quoted.push_back(testing::JsonQuote(s));
    HttpResponse r =
        RequestTo(port_, "PUT", "/_control/secrets", "[" + absl::StrJoin(quoted, ",") + "]");
    EXPECT_EQ(r.status, 204) << r.body;
  }
  HttpResponse Received() const { return RequestTo(port_, "GET", "/_control/received"); }

 private:
  Receiver() = default;
  int pid_ = -1;
  uint16_t port_ = 0;
};

// What the receiver saw of one event, from its answered deliveries.
struct SeenEvent {
  std::string type;
  std::string status;
  std::string payload;  // the JSON, as parsed and re-read by pointer
};

class OutboundWebhooksTest : public E2eTest {
 protected:
  void AdjustService(testing::ServiceOptions& options) override {
    options.extra_args = {"--outbound-allow-http-loopback",
                          "--outbound-timeout-ms",
                          "1000",
                          "--outbound-retry-delay-ms",
                          "200",
                          "--work-lease-ms",
                          "3000"};
  }

  // Registers the receiver for every event type; returns the secret.
  std::string Register(Receiver& receiver) {
    HttpResponse r = svc_->Post(
        "/api/v1/webhook-endpoints",
        absl::StrCat(
            R"({"url":)", testing::JsonQuote(receiver.url()),
            R"(,"event_types":["check.created","check.status_changed","check.completed",)"
            R"("check.report_ready","check.error","check.cancelled","application.moved"]})"),
        team_.admin_token);
    EXPECT_EQ(r.status, 201) << r.body;
    endpoint_ = r.String("/id").value_or("");
    const std::string secret = r.String("/secret").value_or("");
    receiver.SetSecrets({secret});
    return secret;
  }

  // Sends a check and takes it to complete with its report saved; `crash`
  // runs after the send, once the candidate started, and once the report is
  // saved (a SIGKILL and restart, for the kill test: the receiver's 500s keep
  // events in the outbox each time). Certn's own webhooks are not what this
  // tests, so no kill lands between the completion and the report.
  std::string RunFlow(const std::function<void()>& crash) {
    const std::string job = CreateJobWithCertnStage("pkg-standard");
    const std::string candidate =
        CreateCandidate(R"({"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com"})");
    application_ = CreateApplication(candidate, job);
    HttpResponse sent = svc_->Post("/api/v1/applications/" + application_ + "/background-checks",
                                   absl::StrCat(R"({"activity_id":")", ActivityId(job), R"("})"),
                                   team_.recruiter_token);
    EXPECT_EQ(sent.status, 202) << sent.body;
    const std::string check = sent.String("/id").value_or("");
    crash();
    const std::string case_id =
        WaitForCheck(check, "/status", "invited").String("/certn_case_id").value_or("");
    EXPECT_TRUE(fake_->AdvanceCase(case_id, "APPLICANT_STARTED").ok());
    WaitForCheck(check, "/status", "in_progress");
    crash();
    AdvanceToComplete(case_id);
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          return svc_->Get("/api/v1/background-checks/" + check, team_.recruiter_token)
              .String("/report_file_id")
              .has_value();
        },
        absl::Seconds(40)));
    // The last events (complete, report ready) are still being delivered.
    crash();
    return check;
  }

  // Waits until the receiver has answered 2xx to an event of `type` and, when
  // `check` is given, to every event of that check up to the highest number
  // it has seen (a retried event may land after later ones); returns every
  // answered delivery by webhook-id.
  std::map<std::string, HttpResponse> WaitDelivered(Receiver& receiver, const std::string& type,
                                                    const std::string& check = "") {
    std::map<std::string, HttpResponse> delivered;
    HttpResponse all;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          all = receiver.Received();
          delivered.clear();
          bool found = false;
          for (size_t i = 0; i < all.Size("").value_or(0); ++i) {
            const std::string p = "/" + std::to_string(i);
            EXPECT_EQ(all.Bool(p + "/verified"), true) << all.String(p + "/error").value_or("");
            if (all.Int(p + "/answer").value_or(0) != 204) continue;
            delivered[all.String(p + "/webhook_id").value_or("")] = Item(all, p + "/payload");
            found = found || all.String(p + "/payload/type") == type;
          }
          return found && (check.empty() || Contiguous(delivered, check));
        },
        absl::Seconds(60)))
        << "never delivered: " << type << "; received: " << all.body.substr(0, 3000);
    return delivered;
  }

  static bool Contiguous(const std::map<std::string, HttpResponse>& delivered,
                         const std::string& check) {
    std::set<int64_t> numbers;
    for (const auto& [id, event] : delivered)
      if (event.String("/data/check_id") == check)
        numbers.insert(event.Int("/data/sequence").value_or(0));
    return !numbers.empty() && *numbers.begin() == 1 &&
           *numbers.rbegin() == static_cast<int64_t>(numbers.size());
  }

  // The events of one check in the order of their sequence numbers; fails
  // when a number is missing or two events share one.
  std::vector<SeenEvent> InSequence(const std::map<std::string, HttpResponse>& delivered,
                                    const std::string& check) {
    std::map<int64_t, SeenEvent> by_sequence;
    for (const auto& [id, event] : delivered) {
      if (event.String("/data/check_id") != check) continue;
      const int64_t seq = event.Int("/data/sequence").value_or(0);
      EXPECT_FALSE(by_sequence.contains(seq)) << "two events numbered " << seq;
      by_sequence[seq] = SeenEvent{event.String("/type").value_or(""),
                                   event.String("/data/status").value_or(""), event.body};
    }
    std::vector<SeenEvent> out;
    int64_t expected = 1;
    for (const auto& [seq, event] : by_sequence) {
      EXPECT_EQ(seq, expected++) << "a gap in the sequence";
      out.push_back(event);
    }
    return out;
  }

  static HttpResponse Item(const HttpResponse& all, const std::string& pointer) {
    rapidjson::Document doc = all.Json();
    const rapidjson::Value* v = testing::JsonAt(doc, pointer);
    if (v == nullptr) return {};
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    v->Accept(writer);
    return HttpResponse{200, {}, buffer.GetString()};
  }

  // The flow's events as the receiver ordered them.
  void ExpectWholeFlow(const std::vector<SeenEvent>& events) {
    std::vector<std::string> types;
    for (const SeenEvent& e : events) types.push_back(e.type + ":" + e.status);
    const std::string seen = absl::StrJoin(types, " ");
    ASSERT_GE(events.size(), 6u) << seen;
    EXPECT_EQ(events.front().type, "check.created") << seen;
    EXPECT_EQ(events.back().type, "check.report_ready") << seen;
    for (const char* want : {"check.status_changed:invited", "check.status_changed:in_progress",
                             "check.status_changed:complete", "check.completed:complete"}) {
      EXPECT_NE(seen.find(want), std::string::npos) << want << " missing from " << seen;
    }
    EXPECT_LT(seen.find("check.status_changed:invited"), seen.find("check.status_changed:complete"))
        << seen;
    EXPECT_LT(seen.find("check.status_changed:complete"), seen.find("check.completed")) << seen;
  }

  std::string endpoint_;
  std::string application_;
};

TEST_F(OutboundWebhooksTest, EveryEventArrivesSignedAndInOrderThrough500sAndTimeouts) {
  auto receiver = Receiver::Start({"--fail-first", "1", "--hang-next", "1", "--hang-seconds", "3"},
                                  svc_->temp_dir());
  const std::string first_secret = Register(*receiver);
  const std::string check = RunFlow([] {});
  std::map<std::string, HttpResponse> delivered =
      WaitDelivered(*receiver, "check.report_ready", check);
  ExpectWholeFlow(InSequence(delivered, check));

  // Each event was tried three times (500, a timeout, delivered) with the
  // same webhook-id and the same body, and the log says so.
  HttpResponse all = receiver->Received();
  std::map<std::string, std::set<std::string>> bodies;
  std::map<std::string, int> attempts;
  for (size_t i = 0; i < all.Size("").value_or(0); ++i) {
    const std::string p = "/" + std::to_string(i);
    const std::string id = all.String(p + "/webhook_id").value_or("");
    bodies[id].insert(Item(all, p + "/payload").body);
    attempts[id] = std::max<int>(attempts[id], all.Int(p + "/attempt").value_or(0));
  }
  for (const auto& [id, seen] : bodies) EXPECT_EQ(seen.size(), 1u) << id;
  for (const auto& [id, n] : attempts) EXPECT_GE(n, 3) << id;
  // The receiver has the delivery before the deliverer's own transaction
  // records the attempt that made it: the log catches up.
  HttpResponse log;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        log = svc_->Get("/api/v1/webhook-endpoints/" + endpoint_ + "/deliveries?limit=100",
                        team_.admin_token);
        return log.String("/items/0/state") == "delivered";
      },
      absl::Seconds(20)))
      << log.body;
  const size_t items = log.Size("/items").value_or(0);
  ASSERT_GE(items, 6u) << log.body;
  EXPECT_EQ(log.String("/items/0/state"), "delivered") << log.body;
  // Every event: refused with a 500 first, delivered by its last attempt.
  // The timeout between them is logged as an attempt without a status. Under
  // a CPU hog an attempt can outlive its 3 s lease: it runs again under the
  // same number and the lost run's record is refused (seen once in CI: 500,
  // then 204 as attempt 2), so the timeout must show in at least one event's
  // log, not necessarily in each.
  size_t with_timeout_logged = 0;
  for (size_t i = 0; i < items; ++i) {
    const std::string item = absl::StrCat("/items/", i);
    const int64_t last = log.Int(item + "/attempts").value_or(0) - 1;
    EXPECT_GE(last, 1) << item << " " << log.body;
    EXPECT_EQ(log.Int(item + "/attempt_log/0/http_status"), 500) << item << " " << log.body;
    EXPECT_EQ(log.Int(absl::StrCat(item, "/attempt_log/", last, "/http_status")), 204)
        << item << " " << log.body;
    if (last >= 2 && log.IsNull(item + "/attempt_log/1/http_status")) ++with_timeout_logged;
  }
  EXPECT_GE(with_timeout_logged, 1u) << log.body;
  EXPECT_FALSE(svc_->LogContains(first_secret));

  // A rotation: both secrets sign during the grace period.
  HttpResponse rotated = svc_->Post("/api/v1/webhook-endpoints/" + endpoint_ + "/rotate-secret", "",
                                    team_.admin_token);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  receiver->SetSecrets({first_secret, rotated.String("/secret").value_or("")});
  HttpResponse tab = svc_->Get("/api/v1/applications/" + application_, team_.recruiter_token);
  HttpResponse moved =
      svc_->Post("/api/v1/applications/" + application_ + "/move",
                 absl::StrCat(R"({"stage_id":")", tab.String("/stages/1/id").value_or(""), R"("})"),
                 team_.recruiter_token);
  ASSERT_EQ(moved.status, 200) << moved.body;
  WaitDelivered(*receiver, "application.moved");
  all = receiver->Received();
  for (size_t i = 0; i < all.Size("").value_or(0); ++i) {
    const std::string p = "/" + std::to_string(i);
    if (all.String(p + "/payload/type") != "application.moved") continue;
    EXPECT_EQ(all.Size(p + "/signatures_matched"), 2u) << all.body.substr(0, 2000);
  }
}

TEST_F(OutboundWebhooksTest, ASigkillMidFlowLosesNoEvent) {
  auto receiver = Receiver::Start({"--fail-first", "1"}, svc_->temp_dir());
  Register(*receiver);
  const std::string check = RunFlow([&] {
    svc_->Kill();
    ASSERT_TRUE(svc_->Restart().ok());
  });
  std::map<std::string, HttpResponse> delivered =
      WaitDelivered(*receiver, "check.report_ready", check);
  ExpectWholeFlow(InSequence(delivered, check));
}

}  // namespace
}  // namespace stagecheck::e2e
