#include "tests/unit/certn_plugin/plugin_harness.h"

#include <future>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "plugin/certn/signature.h"
#include "sqlite3.h"

namespace stagecheck::plugintest {

absl::Status ScriptedGateway::Enter(const std::string& operation, const CertnCredentials& creds) {
  if (auto hook = during.find(operation); hook != during.end() && hook->second) {
    std::function<void()> run = hook->second;  // the hook may erase itself
    run();
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_[operation];
  auto& queued = faults_[operation];
  if (!queued.empty()) {
    absl::Status fault = queued.front();
    queued.erase(queued.begin());
    return fault;
  }
  if (creds.api_key != expected_key) return absl::UnauthenticatedError("Invalid API key.");
  return absl::OkStatus();
}

absl::StatusOr<CertnVerification> ScriptedGateway::Verify(const CertnCredentials& creds) {
  absl::Status s = Enter("verify", creds);
  if (s.code() == absl::StatusCode::kUnauthenticated) {
    return CertnVerification{ConnectionStatus::kInvalidKey, "invalid key or wrong region",
                             std::nullopt};
  }
  if (!s.ok())
    return CertnVerification{ConnectionStatus::kUnreachable, "Certn cannot be reached",
                             std::nullopt};
  if (!names_team) return CertnVerification{ConnectionStatus::kConnected, "", std::nullopt};
  return CertnVerification{ConnectionStatus::kConnected, "", "certn-team-for-" + creds.api_key};
}

absl::StatusOr<std::vector<CertnPackage>> ScriptedGateway::ListPackages(
    const CertnCredentials& creds) {
  if (absl::Status s = Enter("packages", creds); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  return packages;
}

absl::StatusOr<CertnCase> ScriptedGateway::OrderPackage(const CertnCredentials& creds,
                                                        const CertnOrder& order) {
  if (absl::Status s = Enter("order", creds); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  orders_.push_back(order);
  // Like the fake Certn: the same reference never makes a second case.
  if (auto it = case_by_reference_.find(order.reference); it != case_by_reference_.end()) {
    return cases_[it->second];
  }
  CertnCase c;
  c.id = absl::StrCat("case-", cases_.size() + 1, "-", order.reference.substr(0, 8));
  c.short_id = absl::StrCat("CASE-", 1000 + cases_.size());
  c.overall_status = "APPLICANT_INVITED";
  c.status = CheckStatus::kInvited;
  c.email = order.email;
  c.package_id = order.package_id;
  cases_[c.id] = c;
  case_by_reference_[order.reference] = c.id;
  last_case_id_ = c.id;
  return c;
}

absl::StatusOr<CertnCase> ScriptedGateway::GetCase(const CertnCredentials& creds,
                                                   const std::string& id) {
  if (absl::Status s = Enter("get_case", creds); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cases_.find(id);
  if (it == cases_.end()) return absl::NotFoundError("Not found.");
  return it->second;
}

absl::Status ScriptedGateway::CancelCase(const CertnCredentials& creds, const std::string& id) {
  if (absl::Status s = Enter("cancel", creds); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  cases_[id].status = CheckStatus::kCancelled;
  cases_[id].overall_status = "CANCELLED";
  return absl::OkStatus();  // 204, no body (docs/certn-api.md)
}

absl::Status ScriptedGateway::GenerateReport(const CertnCredentials& creds, const std::string& id) {
  if (absl::Status s = Enter("generate_report", creds); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  cases_[id].report_file_id = "file-" + id;
  return absl::OkStatus();
}

std::string ScriptedGateway::PdfFor(const std::string& case_id) {
  return "%PDF-1.4\n% report for " + case_id + "\n%%EOF\n";
}

absl::StatusOr<std::string> ScriptedGateway::DownloadReport(const CertnCredentials& creds,
                                                            const std::string& file_id, int64_t) {
  if (absl::Status s = Enter("download", creds); !s.ok()) return s;
  return PdfFor(file_id.substr(5));
}

void ScriptedGateway::SetStatus(const std::string& case_id, CheckStatus status, std::string overall,
                                std::vector<CertnCheckResult> checks) {
  std::lock_guard<std::mutex> lock(mu_);
  CertnCase& c = cases_[case_id];
  c.status = status;
  c.overall_status = std::move(overall);
  c.checks = std::move(checks);
  // The report file appears only once generate-report was called (docs/certn-api.md).
  if (status == CheckStatus::kComplete) c.completed = absl::FromUnixSeconds(1'800'000'500);
  events_.push_back(
      CertnEvent{absl::StrCat(events_.size() + 1), "CASE_STATUS_CHANGED", case_id, event_time});
}

absl::StatusOr<CertnEventsRead> ScriptedGateway::ListEvents(
    const CertnCredentials& creds, const std::optional<std::string>& after_event_id, int max_pages,
    absl::Time young_after) {
  (void)max_pages;  // one page holds the whole scripted feed
  if (absl::Status s = Enter("list_events", creds); !s.ok()) return s;
  last_young_after = young_after;
  if (!events_feed) {
    return Error(absl::StatusCode::kUnimplemented, "events_feed_unavailable", "no event feed");
  }
  std::lock_guard<std::mutex> lock(mu_);
  size_t after = 0;
  if (after_event_id && !after_event_id->empty() && !absl::SimpleAtoi(*after_event_id, &after)) {
    return absl::InvalidArgumentError("bad cursor");
  }
  CertnEventsRead read;
  for (size_t i = after; i < events_.size(); ++i) read.events.push_back(events_[i]);
  return read;
}

void ScriptedGateway::Update(const std::string& case_id,
                             const std::function<void(CertnCase&)>& change) {
  std::lock_guard<std::mutex> lock(mu_);
  change(cases_[case_id]);
}

void ScriptedGateway::FailNext(std::string operation, absl::Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < times; ++i) faults_[operation].push_back(status);
}

int ScriptedGateway::calls(const std::string& operation) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = calls_.find(operation);
  return it == calls_.end() ? 0 : it->second;
}

std::vector<CertnOrder> ScriptedGateway::orders() const {
  std::lock_guard<std::mutex> lock(mu_);
  return orders_;
}

std::string ScriptedGateway::last_case_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_case_id_;
}

void PluginHarness::SetUp() {
  auto db = storetest::TestDatabase::Create("sqlite");
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = *std::move(db);
  auto cipher = crypto::AesGcmCipher::FromRawKey(crypto_.RandomBytes(32));
  ASSERT_TRUE(cipher.ok()) << cipher.status();
  cipher_ = *std::move(cipher);
  // Report data sealed at rest with the deployment key, as in production.
  StoreOptions options;
  options.at_rest = cipher_.get();
  auto store = db_->Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  real_store_ = *std::move(store);
  store_ = std::make_unique<storetest::FaultyStore>(*real_store_);
  deps_ = std::make_unique<Deps>(Deps{*store_, clock_, ids_, crypto_, log_, metrics_, kinds_});
  certn_plugin::PluginConfig config;
  config.public_base_url = "https://stagecheck.example";
  config.fetch_coalesce = absl::ZeroDuration();  // the manual clock does not move by itself
  // Event-feed reads stay out of the way unless a test asks for them.
  config.reconcile_interval = absl::Hours(24 * 3650);
  Configure(config);
  ASSERT_OK(RegisterBuiltinKinds(kinds_));
  committer_ = std::make_unique<GroupCommitter>(*store_);
  // No threads: tests run due work by hand (Drain), on the hand-driven clock.
  // Claims and outcomes ride the group commit, as in production.
  WorkRunnerOptions work_options = certn_plugin::WorkOptions(config, "test-worker", 0);
  work_options.committer = committer_.get();
  ConfigureWork(work_options);
  worker_ = std::make_unique<WorkRunner>(*deps_, std::move(work_options));
  // The same factory production uses (adapters/cli/app.cc).
  auto plugin = certn_plugin::CertnPlugin::Create(*deps_, gateway_, *cipher_, *committer_, config,
                                                  kinds_, *worker_);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  plugin_ = *std::move(plugin);
  integrations_ = &plugin_->integrations();
  checks_ = &plugin_->checks();
  webhook_ = &plugin_->webhook();
  accounts_ = std::make_unique<Accounts>(*deps_);
  plans_ = std::make_unique<Plans>(*deps_);
  applications_ = std::make_unique<Applications>(*deps_);
  ASSERT_OK(applications_->RegisterWork(*worker_));
}

void PluginHarness::TearDown() {
  worker_.reset();
  plugin_.reset();
  committer_.reset();
}

Principal PluginHarness::NewTeam(const std::string& certn_team_id) {
  auto issued = accounts_->CreateTeam("Team " + certn_team_id);
  EXPECT_TRUE(issued.ok()) << issued.status();
  Principal admin{issued->team, issued->user, Role::kAdmin};
  gateway_.expected_key = "certn-key-0001";
  certn_plugin::ConnectRequest connect{"certn-key-0001", CertnRegion::kSandbox, kSecret};
  // The scripted gateway names the Certn team after the key; vary the key per team.
  connect.api_key = "key-for-" + certn_team_id;
  gateway_.expected_key = *connect.api_key;
  auto view = integrations_->Connect(admin, connect);
  EXPECT_TRUE(view.ok()) << view.status();
  if (view.ok()) {
    EXPECT_EQ(view->status, ConnectionStatus::kConnected);
    certn_team_of_[admin.team.value()] = *view->certn_team_id;
  }
  return admin;
}

Principal PluginHarness::Recruiter(const Principal& admin) {
  auto issued = accounts_->CreateToken(admin.team, Role::kRecruiter, "rita");
  EXPECT_TRUE(issued.ok()) << issued.status();
  return Principal{admin.team, issued->user, Role::kRecruiter};
}

JobId PluginHarness::NewJob(const Principal& admin, bool auto_send) {
  auto job =
      plans_->CreateJob(admin, stagecheck::NewJob{"Engineer", std::nullopt, {}}, std::nullopt);
  EXPECT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(plans_->AddStage(admin, job->id, "Screen", std::nullopt).ok());
  StageId background;
  EXPECT_TRUE(plans_->AddStage(admin, job->id, "Background", std::nullopt, &background).ok());
  ActivitySettings settings;
  settings.Set("package_id", std::string("pkg-basic"));
  settings.Set("auto_send", auto_send);
  auto plan = plans_->AddActivity(admin, job->id, background, "certn_background_check", settings);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return job->id;
}

CandidateId PluginHarness::NewCandidate(const Principal& who, std::optional<std::string> email,
                                        std::vector<std::string> tags) {
  auto c = applications_->CreateCandidate(
      who, stagecheck::NewCandidate{"Ada", "Lovelace", email, std::nullopt, tags}, std::nullopt);
  EXPECT_TRUE(c.ok()) << c.status();
  return c->id;
}

ApplicationId PluginHarness::NewApplication(const Principal& who, const CandidateId& c,
                                            const JobId& j) {
  auto a = applications_->CreateApplication(who, c, j, std::nullopt);
  EXPECT_TRUE(a.ok()) << a.status();
  return a->id;
}

ActivityId PluginHarness::CertnActivity(const Principal& who, const JobId& job) {
  auto plan = plans_->GetPlan(who, job);
  EXPECT_TRUE(plan.ok());
  for (const Stage& s : plan->stages()) {
    for (const Activity& a : s.activities) {
      if (a.kind == certn_plugin::kKindName) return a.id;
    }
  }
  ADD_FAILURE() << "no Certn activity";
  return ActivityId();
}

StageId PluginHarness::StageNamed(const Principal& who, const JobId& job, const std::string& name) {
  auto plan = plans_->GetPlan(who, job);
  EXPECT_TRUE(plan.ok());
  for (const Stage& s : plan->stages()) {
    if (s.name == name) return s.id;
  }
  ADD_FAILURE() << "no stage " << name;
  return StageId();
}

int PluginHarness::Drain() {
  int total = 0;
  for (int round = 0; round < 100; ++round) {
    int ran = worker_->RunDue(50);
    if (ran == 0) return total;
    total += ran;
  }
  ADD_FAILURE() << "work never drained";
  return total;
}

BackgroundCheck PluginHarness::Check(const Principal& who, const CheckId& id) {
  auto c = checks_->Get(who, id);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : BackgroundCheck{};
}

std::vector<FeedEvent> PluginHarness::FeedOf(const Principal& who, const CandidateId& c) {
  auto page = applications_->Feed(who, c, PageRequest{100, ""});
  EXPECT_TRUE(page.ok()) << page.status();
  return page.ok() ? page->items : std::vector<FeedEvent>{};
}

certn_plugin::WebhookAnswer PluginHarness::Deliver(certn_plugin::WebhookRequest request) {
  std::promise<certn_plugin::WebhookAnswer> answered;
  auto future = answered.get_future();
  webhook_->Receive(std::move(request),
                    [&answered](certn_plugin::WebhookAnswer a) { answered.set_value(a); });
  EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return future.get();
}

certn_plugin::WebhookRequest PluginHarness::SignedEvent(const std::string& delivery_id,
                                                        const std::string& case_id,
                                                        const std::string& event_type,
                                                        bool with_team_header) {
  certn_plugin::WebhookRequest r;
  r.body = absl::StrCat(R"({"id":")", delivery_id, R"(","event_type":")", event_type,
                        R"(","object_id":")", case_id, R"(","object_type":"CASE"})");
  if (with_team_header) {
    r.certn_team_id = certn_team_of_.begin()->second;
    r.certn_signature = certn_plugin::SignCertnSignature(crypto_, kSecret,
                                                         absl::ToUnixSeconds(clock_.Now()), r.body);
  } else {
    r.x_signature = certn_plugin::SignXSignature(crypto_, kSecret, r.body);
  }
  return r;
}

}  // namespace stagecheck::plugintest

namespace stagecheck::plugintest {

int64_t PluginHarness::CountRows(const std::string& table) {
  sqlite3* db = nullptr;
  int64_t count = -1;
  if (sqlite3_open_v2(db_->db().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    std::string sql = "SELECT COUNT(*) FROM " + table;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      count = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  EXPECT_GE(count, 0) << "cannot count " << table;
  return count;
}

}  // namespace stagecheck::plugintest
