// The fake Certn's own contract: auth and error shapes, pagination, the v1
// invite, PDF reports, and signed webhook deliveries with Certn's retry rule
// and the webhook faults, received by a real loopback server.
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "adapters/http/http.h"
#include "fixtures/fake_certn/pdf.h"
#include "fixtures/fake_certn/webhooks.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tests/support/fake_certn/fake_certn_process.h"

namespace stagecheck::fake_certn {
namespace {

using ::testing::HasSubstr;

constexpr char kSecret[] = "whsec-test-123";

// A webhook receiver: answers from a script (then 200) and records requests.
class Receiver {
 public:
  Receiver()
      : server_(http::ServerOptions{}, [this](http::Request r, http::Respond respond) {
          On(std::move(r), std::move(respond));
        }) {
    absl::Status started = server_.Start();
    EXPECT_TRUE(started.ok()) << started;
  }
  ~Receiver() { server_.Stop(); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + "/certn/hook";
  }
  void Script(std::vector<int> statuses) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.assign(statuses.begin(), statuses.end());
  }
  // Waits (bounded) until `n` requests arrived.
  std::vector<http::Request> WaitFor(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] { return received_.size() >= n; });
    return received_;
  }

 private:
  void On(http::Request request, http::Respond respond) {
    int status = 200;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!script_.empty()) {
        status = script_.front();
        script_.pop_front();
      }
      received_.push_back(std::move(request));
    }
    cv_.notify_all();
    respond(http::Response::Text(status, "ok"));
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> script_;
  std::vector<http::Request> received_;
  http::Server server_;
};

std::string Field(const std::string& json, const char* name) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember(name) || !doc[name].IsString())
    return "";
  return doc[name].GetString();
}

class FakeCertnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = FakeCertnProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    fake_ = std::move(*started);
    CreateAccount();
  }
  void CreateAccount() {
    ASSERT_TRUE(
        fake_
            ->CreateAccount(
                {.api_key = "k1",
                 .certn_team_id = "team-1",
                 .webhook_url = receiver_.url(),
                 .webhook_secret = kSecret,
                 .packages = {{"pkg", "Standard", {"CRIMINAL_RECORD_1", "ADVERSE_MEDIA_1"}}}})
            .ok());
  }
  std::string Order(const std::string& reference = "") { return Field(OrderJson(reference), "id"); }
  // The case JSON of a new order.
  std::string OrderJson(const std::string& reference = "", const std::string& email = "a@b.c") {
    std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", "Api-Key k1"}};
    if (!reference.empty()) headers.emplace_back("Idempotency-Key", reference);
    auto body = fake_->Call("POST", "/api/public/cases/order-package/",
                            absl::StrCat(R"({"package":"pkg","email_address":")", email,
                                         R"(","send_invite_email":true,
                                "input_claims":{"name":{"given_name":"Ada","family_name":"L"}}})"),
                            headers);
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? *body : "";
  }
  // Restarts the fake with `args` and the test account.
  void Restart(std::vector<std::string> args) {
    fake_.reset();
    FakeCertnStartOptions options;
    options.extra_args = std::move(args);
    auto started = FakeCertnProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    fake_ = std::move(*started);
    CreateAccount();
  }
  // Every case the fake holds, by id: {overall_status, overall_score or ""}.
  std::map<std::string, std::pair<std::string, std::string>> Cases() {
    std::map<std::string, std::pair<std::string, std::string>> out;
    auto body = fake_->Call("GET", "/_control/cases");
    EXPECT_TRUE(body.ok()) << body.status();
    if (!body.ok()) return out;
    rapidjson::Document doc;
    doc.Parse(body->c_str());
    for (const auto& c : doc["cases"].GetArray()) {
      out[c["id"].GetString()] = {
          c["overall_status"].GetString(),
          c["overall_score"].IsString() ? c["overall_score"].GetString() : ""};
    }
    return out;
  }

  Receiver receiver_;
  std::unique_ptr<FakeCertnProcess> fake_;
};

TEST_F(FakeCertnTest, MissingOrBadKeyIs401WithTheDocumentedBody) {
  auto missing = fake_->Call("GET", "/api/public/groups/");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr(R"(401: {"detail":"Invalid API key."})"));
  auto bad = fake_->Call("GET", "/api/public/groups/", "", {{"Authorization", "Api-Key nope"}});
  EXPECT_THAT(bad.status().message(), HasSubstr("401"));
}

TEST_F(FakeCertnTest, UnknownCaseIs404AndPagesPastTheEndAre404) {
  auto none = fake_->Call("GET", "/api/public/cases/zzz/", "", {{"Authorization", "Api-Key k1"}});
  EXPECT_THAT(none.status().message(), HasSubstr(R"(404: {"detail":"Not found."})"));
  auto page =
      fake_->Call("GET", "/api/public/packages/?page=9", "", {{"Authorization", "Api-Key k1"}});
  EXPECT_THAT(page.status().message(), HasSubstr("404"));
}

TEST_F(FakeCertnTest, OrderFieldErrorsUseTheDocumentedShape) {
  auto bad = fake_->Call("POST", "/api/public/cases/order-package/", R"({"package":"pkg"})",
                         {{"Authorization", "Api-Key k1"}});
  EXPECT_THAT(bad.status().message(),
              HasSubstr(R"(400: {"email_address":["This field is required."]})"));
  // docs/certn-api.md: the field is "package"; the guessed "package_id" is not read.
  auto old = fake_->Call("POST", "/api/public/cases/order-package/",
                         R"({"package_id":"pkg","email_address":"a@b.c"})",
                         {{"Authorization", "Api-Key k1"}});
  EXPECT_THAT(old.status().message(), HasSubstr(R"(400: {"package":["This field is required."]})"));
}

TEST_F(FakeCertnTest, GroupsNameNoTeamAndPackagesFilterOnIsActive) {
  auto groups = fake_->Call("GET", "/api/public/groups/", "", {{"Authorization", "Api-Key k1"}});
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_THAT(*groups, ::testing::Not(HasSubstr("team_id")));
  ASSERT_TRUE(fake_
                  ->Call("POST", "/_control/accounts",
                         R"({"api_key":"k2","certn_team_id":"team-2","packages":[
                              {"id":"on","name":"On","check_types":["CRIMINAL_RECORD_1"]},
                              {"id":"off","name":"Off","check_types":["CRIMINAL_RECORD_1"],"is_active":false}]})")
                  .ok());
  auto active = fake_->Call("GET", "/api/public/packages/?is_active=true", "",
                            {{"Authorization", "Api-Key k2"}});
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_THAT(*active, HasSubstr(R"("id":"on")"));
  EXPECT_THAT(*active, ::testing::Not(HasSubstr(R"("id":"off")")));
  auto all = fake_->Call("GET", "/api/public/packages/", "", {{"Authorization", "Api-Key k2"}});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(*all, HasSubstr(R"("id":"off")"));
}

TEST_F(FakeCertnTest, CancelAnswers204WithoutABody) {
  std::string id = Order();
  auto cancelled = fake_->Call("POST", "/api/public/cases/" + id + "/cancel/", "",
                               {{"Authorization", "Api-Key k1"}});
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(*cancelled, "");
  auto requests = fake_->Requests("cancel_case");
  ASSERT_TRUE(requests.ok());
  ASSERT_EQ(requests->size(), 1u);
  EXPECT_EQ((*requests)[0].status, 204);
}

TEST_F(FakeCertnTest, ListCasesFiltersByEmail) {
  Order();
  auto list = fake_->Call("GET", "/api/public/cases/?email_address=a%40b.c", "",
                          {{"Authorization", "Api-Key k1"}});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(*list, HasSubstr(R"("result_count":1)"));
  auto other = fake_->Call("GET", "/api/public/cases/?email_address=x%40y.z", "",
                           {{"Authorization", "Api-Key k1"}});
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(*other, HasSubstr(R"("result_count":0)"));
}

TEST_F(FakeCertnTest, HrInviteV1) {
  auto missing = fake_->Call("POST", "/api/v1/hr/applications/invite/", R"({"first_name":"A"})",
                             {{"Authorization", "Api-Key k1"}});
  EXPECT_THAT(missing.status().message(),
              HasSubstr(R"(400: {"email":["This field is required."]})"));
  auto ok =
      fake_->Call("POST", "/api/v1/hr/applications/invite/",
                  R"({"email":"a@b.c","first_name":"Ada"})", {{"Authorization", "Api-Key k1"}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_THAT(*ok, HasSubstr(R"("applicant":{)"));
  EXPECT_THAT(*ok, HasSubstr(R"("email":"a@b.c")"));
}

TEST_F(FakeCertnTest, AdvanceRejectsUnknownStatusesAndEndedCases) {
  std::string id = Order();
  EXPECT_THAT(fake_->AdvanceCase(id, "ON_THE_MOON").status().message(), HasSubstr("400"));
  // Unless asked to play a status Certn may add later.
  auto unknown = fake_->Call("POST", "/_control/cases/" + id + "/advance",
                             R"({"status":"ON_THE_MOON","allow_unknown":true})");
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_THAT(*unknown, HasSubstr(R"("overall_status":"ON_THE_MOON")"));
  EXPECT_THAT(fake_
                  ->Call("POST", "/_control/cases/" + id + "/advance",
                         R"({"status":"bad status","allow_unknown":true})")
                  .status()
                  .message(),
              HasSubstr("400"));
  ASSERT_TRUE(fake_->AdvanceCase(id, "CANCELLED").ok());
  EXPECT_THAT(fake_->AdvanceCase(id).status().message(), HasSubstr("409"));
}

TEST(PdfTest, IsStructurallyValid) {
  std::string pdf = MakePdf("Certn report CASE-ABC (x)", {"line \\ one"});
  ASSERT_TRUE(absl::StartsWith(pdf, "%PDF-1.4\n"));
  EXPECT_TRUE(absl::EndsWith(pdf, "%%EOF\n"));
  EXPECT_THAT(pdf, HasSubstr("CASE-ABC \\(x\\)"));
  // startxref points at the xref table, whose entries point at each object.
  size_t sx = pdf.rfind("startxref\n");
  ASSERT_NE(sx, std::string::npos);
  size_t xref = std::stoul(pdf.substr(sx + 10));
  ASSERT_EQ(pdf.compare(xref, 4, "xref"), 0);
  std::vector<std::string> rows = absl::StrSplit(pdf.substr(xref), '\n');
  ASSERT_GE(rows.size(), 8u);
  for (int obj = 1; obj <= 5; ++obj) {
    size_t offset = std::stoul(rows[2 + obj].substr(0, 10));
    const std::string header = std::to_string(obj) + " 0 obj";
    EXPECT_EQ(pdf.compare(offset, header.size(), header), 0) << obj;
  }
  // The content stream's /Length is exact.
  size_t length_at = pdf.find("/Length ");
  size_t length = std::stoul(pdf.substr(length_at + 8));
  size_t stream = pdf.find("stream\n", length_at) + 7;
  EXPECT_EQ(pdf.compare(stream + length, 9, "endstream"), 0);
}

// ---- webhooks ---------------------------------------------------------------

TEST_F(FakeCertnTest, DeliveriesCarryOnlyTheXSignatureByDefault) {
  std::string id = Order();
  auto got = receiver_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  const http::Request& r = got[0];
  EXPECT_EQ(Field(r.body, "object_id"), id);
  EXPECT_EQ(r.Header("X-Signature").value_or(""), HmacSha256Hex(kSecret, r.body));
  EXPECT_FALSE(r.Header("Certn-Team-ID").has_value());
  EXPECT_FALSE(r.Header("Certn-Signature").has_value());
}

TEST_F(FakeCertnTest, LegacyTeamIdFlagSignsDeliveriesInBothSchemes) {
  fake_certn::FakeCertnStartOptions options;
  options.extra_args = {"--legacy-team-id"};
  auto started = FakeCertnProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  fake_ = std::move(*started);
  CreateAccount();
  auto groups = fake_->Call("GET", "/api/public/groups/", "", {{"Authorization", "Api-Key k1"}});
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_THAT(*groups, HasSubstr(R"("team_id":"team-1")"));
  std::string id = Order();
  auto got = receiver_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  const http::Request& r = got[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/certn/hook");
  EXPECT_EQ(Field(r.body, "object_id"), id);
  EXPECT_EQ(Field(r.body, "event_type"), "CASE_STATUS_CHANGED");
  EXPECT_EQ(Field(r.body, "object_type"), "CASE");
  EXPECT_FALSE(Field(r.body, "id").empty());
  EXPECT_EQ(r.Header("X-Signature").value_or(""), HmacSha256Hex(kSecret, r.body));
  EXPECT_EQ(r.Header("Certn-Team-ID").value_or(""), "team-1");
  std::string certn_sig(r.Header("Certn-Signature").value_or(""));
  std::smatch m;
  ASSERT_TRUE(std::regex_match(certn_sig, m, std::regex("t=(\\d+),v1=([0-9a-f]{64})")))
      << certn_sig;
  EXPECT_EQ(m[2].str(), HmacSha256Hex(kSecret, m[1].str() + "." + r.body));
  int64_t t = 0;
  ASSERT_TRUE(absl::SimpleAtoi(m[1].str(), &t));
  EXPECT_LE(std::abs(t - absl::ToUnixSeconds(absl::Now())), 60);
}

TEST_F(FakeCertnTest, LifecycleEventsAndReportReady) {
  std::string id = Order();
  ASSERT_EQ(receiver_.WaitFor(1).size(), 1u);
  ASSERT_TRUE(fake_->AdvanceCase(id, "COMPLETE").ok());  // 2 checks change + the case
  ASSERT_TRUE(fake_
                  ->Call("POST", "/api/public/cases/" + id + "/generate-report/", "",
                         {{"Authorization", "Api-Key k1"}})
                  .ok());
  auto got = receiver_.WaitFor(5);
  ASSERT_EQ(got.size(), 5u);
  std::vector<std::string> types;
  for (const auto& r : got) types.push_back(Field(r.body, "event_type"));
  EXPECT_THAT(types, ::testing::ElementsAre("CASE_STATUS_CHANGED", "CHECK_STATUS_CHANGED",
                                            "CHECK_STATUS_CHANGED", "CASE_STATUS_CHANGED",
                                            "CASE_REPORT_READY"));
}

TEST_F(FakeCertnTest, RetriesOn5xxWithGrowingDelaysAndFreshSignatures) {
  receiver_.Script({503, 500, 200});
  Order();
  auto log = fake_->WaitForDeliveries(3);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].status, 503);
  EXPECT_EQ((*log)[1].status, 500);
  EXPECT_EQ((*log)[2].status, 200);
  EXPECT_EQ((*log)[2].attempt, 3);
  EXPECT_EQ((*log)[0].delivery_id, (*log)[2].delivery_id);
  auto got = receiver_.WaitFor(3);
  for (const auto& r : got)
    EXPECT_EQ(r.Header("X-Signature").value_or(""), HmacSha256Hex(kSecret, r.body));
}

TEST_F(FakeCertnTest, GivesUpAfterThreeMoreAttempts) {
  receiver_.Script({502, 502, 502, 502, 502});
  Order();
  auto log = fake_->WaitForDeliveries(4);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->size(), 4u);  // 1 + 3 retries, then nothing pending
  EXPECT_EQ(log->back().attempt, 4);
}

TEST_F(FakeCertnTest, OtherClientErrorsAreNotRetried) {
  receiver_.Script({400});
  Order();
  auto log = fake_->WaitForDeliveries(1);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].status, 400);
}

TEST_F(FakeCertnTest, WrongSignatureFault) {
  ASSERT_TRUE(fake_->SetWebhookFaults({.wrong_signature = true, .times = 1}).ok());
  Order();
  Order();
  auto got = receiver_.WaitFor(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0].Header("X-Signature").value_or(""), HmacSha256Hex(kSecret, got[0].body));
  EXPECT_EQ(got[1].Header("X-Signature").value_or(""), HmacSha256Hex(kSecret, got[1].body));
}

TEST_F(FakeCertnTest, DuplicateDeliveryFault) {
  ASSERT_TRUE(fake_->SetWebhookFaults({.duplicate = true, .times = 1}).ok());
  Order();
  auto got = receiver_.WaitFor(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body, got[1].body);  // same delivery id, same event
}

TEST_F(FakeCertnTest, OutOfOrderDeliveryFault) {
  ASSERT_TRUE(fake_->SetWebhookFaults({.out_of_order = true, .times = 1}).ok());
  std::string first = Order();
  std::string second = Order();
  auto got = receiver_.WaitFor(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(Field(got[0].body, "object_id"), second);
  EXPECT_EQ(Field(got[1].body, "object_id"), first);
}

TEST_F(FakeCertnTest, IdempotencyKeyReturnsTheSameCase) {
  std::string a = Order("same-ref");
  std::string b = Order("same-ref");
  std::string c = Order("other-ref");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

// fake-certn --demo: every new case moves by itself (fixtures/README.md, "The
// demo lifecycle"). --demo-step-ms makes a step a few milliseconds, so the
// test waits on conditions with deadlines, never on the clock.
TEST_F(FakeCertnTest, DemoLifecycleMovesEveryNewCaseToCompleteWithSignedWebhooks) {
  Restart({"--demo-step-ms", "40"});
  const std::string clear = Field(OrderJson("", "ada@example.com"), "id");
  const std::string review =
      Field(OrderJson("", "bob@example.com"), "id");  // every second one: REVIEW
  const std::string bounced = Field(OrderJson("", "cy+bounce@example.com"), "id");
  std::vector<std::string> seen;  // the first case's statuses as polled, without repeats
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::map<std::string, std::pair<std::string, std::string>> cases;
  while (absl::Now() < deadline) {
    cases = Cases();
    if (seen.empty() || seen.back() != cases[clear].first) seen.push_back(cases[clear].first);
    if (cases[clear].first == "COMPLETE" && cases[review].first == "COMPLETE") break;
    absl::SleepFor(absl::Milliseconds(5));  // a polling interval, not a synchronisation
  }
  ASSERT_EQ(cases[clear].first, "COMPLETE");
  ASSERT_EQ(cases[review].first, "COMPLETE");
  EXPECT_EQ(cases[clear].second, "CLEAR");
  EXPECT_EQ(cases[review].second, "REVIEW");
  EXPECT_EQ(cases[bounced].first, "INVITE_UNDELIVERABLE");  // a bounced invitation stays bounced
  // Never backwards: whatever the polls caught is in lifecycle order.
  const std::vector<std::string> order = {"APPLICANT_INVITED", "APPLICANT_STARTED", "IN_PROGRESS",
                                          "COMPLETE"};
  size_t at = 0;
  for (const std::string& status : seen) {
    while (at < order.size() && order[at] != status) ++at;
    ASSERT_LT(at, order.size()) << "out of order: " << absl::StrJoin(seen, " → ");
  }
  // Each move was sent as a control-API advance sends it: the case event
  // (ordered, started, in progress, complete) and one per check that changed
  // (in progress completes the first of the two and starts the other;
  // complete finishes it), every one signed with the account's secret.
  auto log = fake_->WaitForDeliveries(2 * 7 + 1);
  ASSERT_TRUE(log.ok()) << log.status();
  std::map<std::string, std::map<std::string, int>> events;  // case → event type → count
  for (const DeliveryRecord& d : *log) {
    EXPECT_TRUE(d.signed_correctly);
    ++events[d.object_id][d.event_type];
  }
  for (const std::string& id : {clear, review}) {
    EXPECT_EQ(events[id]["CASE_STATUS_CHANGED"], 4) << id;
    EXPECT_EQ(events[id]["CHECK_STATUS_CHANGED"], 3) << id;
  }
  EXPECT_EQ(events[bounced]["CASE_STATUS_CHANGED"], 1);
  for (const http::Request& r : receiver_.WaitFor(log->size())) {
    EXPECT_EQ(r.Header("X-Signature").value_or(""), HmacSha256Hex(kSecret, r.body));
  }
}

TEST_F(FakeCertnTest, ACaseTheControlApiMovesLeavesTheDemoLifecycle) {
  Restart({"--demo-step-ms", "40"});
  const std::string driven = Order();
  ASSERT_TRUE(fake_->AdvanceCase(driven, "APPLICANT_OPENED").ok());
  const std::string left_alone = Order();  // ordered later, so planned later
  std::map<std::string, std::pair<std::string, std::string>> cases;
  for (absl::Time deadline = absl::Now() + absl::Seconds(20); absl::Now() < deadline;
       absl::SleepFor(absl::Milliseconds(5))) {
    cases = Cases();
    if (cases[left_alone].first == "COMPLETE") break;
  }
  ASSERT_EQ(cases[left_alone].first, "COMPLETE");
  EXPECT_EQ(cases[driven].first, "APPLICANT_OPENED");
  // ... and the caller takes it on from there.
  auto next = fake_->AdvanceCase(driven);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(Field(*next, "overall_status"), "APPLICANT_STARTED");
}

TEST_F(FakeCertnTest, WithoutDemoCasesMoveOnlyWhenTold) {
  // The default of the plain fake; --demo-step-ms 0 gives the same with --demo.
  std::string id = Order();
  EXPECT_EQ(Cases()[id].first, "APPLICANT_INVITED");
  ASSERT_TRUE(fake_->AdvanceCase(id).ok());
  EXPECT_EQ(Cases()[id].first, "APPLICANT_OPENED");
}

// The console shows Certn's short case id (CASE-XXXXXXXX); the control API
// takes it as well as the UUID.
TEST_F(FakeCertnTest, ControlApiAcceptsTheShortId) {
  const std::string json = OrderJson();
  const std::string id = Field(json, "id");
  const std::string short_id = Field(json, "short_id");
  ASSERT_THAT(short_id, ::testing::StartsWith("CASE-"));
  auto moved = fake_->AdvanceCase(short_id, "APPLICANT_STARTED");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(Field(*moved, "id"), id);
  EXPECT_EQ(Cases()[id].first, "APPLICANT_STARTED");
  EXPECT_TRUE(fake_->SendWebhook(short_id, "CASE_REPORT_READY").ok());
  auto got = receiver_.WaitFor(3);  // ordered, started, the extra event
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(Field(got[2].body, "object_id"), id);  // webhooks always name the UUID
  EXPECT_EQ(Field(got[2].body, "event_type"), "CASE_REPORT_READY");
  EXPECT_THAT(fake_->AdvanceCase("CASE-NOTACASE").status().message(), HasSubstr("404"));
}

// docs/certn-api.md: keys are region-scoped. The demo account lives in
// north_america; another region's host answers the plain 401 the adapter
// reads as "invalid key or wrong region".
TEST_F(FakeCertnTest, DemoKeyOnTheWrongRegionIs401) {
  fake_.reset();
  FakeCertnStartOptions options;
  options.demo = true;
  auto started = FakeCertnProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  fake_ = std::move(*started);
  const std::vector<std::pair<std::string, std::string>> key = {
      {"Authorization", "Api-Key demo-certn-api-key"}};
  EXPECT_TRUE(fake_->Call("GET", "/regions/north_america/api/public/groups/", "", key).ok());
  for (const char* region : {"uk_emea", "apac", "sandbox"}) {
    auto wrong =
        fake_->Call("GET", absl::StrCat("/regions/", region, "/api/public/groups/"), "", key);
    EXPECT_THAT(wrong.status().message(), HasSubstr(R"(401: {"detail":"Invalid API key."})"))
        << region;
  }
}

}  // namespace
}  // namespace stagecheck::fake_certn
