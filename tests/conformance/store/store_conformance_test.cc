// One conformance suite for every Store back-end. The same source is built
// once and linked into one binary per back-end (backend_under_test.h), so
// both promise exactly the same behaviour. Each test gets a fresh database.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "adapters/store/open_store.h"
#include "core/services/call_budgets.h"
#include "core/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/certn/ports/certn_store.h"
#include "tests/conformance/store/backend_under_test.h"
#include "tests/support/store/test_store.h"

namespace stagecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string_view kBackend = storetest::BackendUnderTest();
const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

absl::Time At(int seconds) { return kT0 + absl::Seconds(seconds); }

#define ASSERT_OK(expr)                            \
  do {                                             \
    const absl::Status _st = (expr);               \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st; \
  } while (0)
#define EXPECT_OK(expr)                            \
  do {                                             \
    const absl::Status _st = (expr);               \
    EXPECT_TRUE(_st.ok()) << #expr << ": " << _st; \
  } while (0)

template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& v) {
  return v.status();
}
absl::Status StatusOf(const absl::Status& s) { return s; }

#define EXPECT_CODE(expr, code_) \
  EXPECT_EQ(StatusOf(expr).code(), absl::StatusCode::code_) << StatusOf(expr)

Team MakeTeam(const std::string& id) {
  return Team{.id = TeamId(id),
              .name = "Team " + id,
              .default_package_id = std::nullopt,
              .created_at = kT0};
}

Candidate MakeCandidate(const std::string& team, const std::string& id, int at = 0) {
  Candidate c;
  c.team = TeamId(team);
  c.id = CandidateId(id);
  c.first_name = "Ada";
  c.last_name = "Lovelace";
  c.email = id + "@example.com";
  c.tags = {"engineering", "CERTN - Pending"};
  c.created_at = At(at);
  c.updated_at = At(at);
  return c;
}

Job MakeJob(const std::string& team, const std::string& id, int at = 0) {
  return Job{.team = TeamId(team),
             .id = JobId(id),
             .title = "Engineer " + id,
             .default_package_id = "pkg-1",
             .tags = {"Premium Package"},
             .created_at = At(at)};
}

Application MakeApplication(const std::string& team, const std::string& id,
                            const std::string& candidate, const std::string& job, int at = 0) {
  Application a;
  a.team = TeamId(team);
  a.id = ApplicationId(id);
  a.candidate = CandidateId(candidate);
  a.job = JobId(job);
  a.stage = StageId("stage-1");
  a.created_at = At(at);
  a.updated_at = At(at);
  return a;
}

BackgroundCheck MakeCheck(const std::string& team, const std::string& id,
                          const std::string& candidate, std::optional<std::string> application,
                          CheckStatus status = CheckStatus::kQueued, int at = 0) {
  BackgroundCheck k;
  k.team = TeamId(team);
  k.id = CheckId(id);
  k.candidate = CandidateId(candidate);
  if (application) k.application = ApplicationId(*application);
  k.activity = ActivityId("act-1");
  k.package_id = "pkg-1";
  k.package_name = "Basic";
  k.trigger = SendTrigger::kAutoSend;
  k.requested_by = UserId("user-1");
  k.status = status;
  k.created_at = At(at);
  k.updated_at = At(at);
  return k;
}

WorkItem MakeWork(const std::string& team, const std::string& id,
                  std::optional<std::string> dedupe = std::nullopt, int run_at = 0) {
  WorkItem w;
  w.team = TeamId(team);
  w.id = WorkItemId(id);
  w.kind = "certn.order";
  w.subject = "check-" + id;
  w.payload = std::string("{\"x\":1}\0binary", 14);
  w.dedupe_key = std::move(dedupe);
  w.run_at = At(run_at);
  return w;
}

class StoreConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<storetest::FreshStore> fresh = storetest::OpenFreshStore(kBackend);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    db_ = std::move(fresh->db);
    store_ = std::move(fresh->store);
  }

  absl::Status Tx(const std::function<absl::Status(UnitOfWork&)>& work) {
    return store_->Transact(work);
  }

  // A team with one candidate, one job and one application, for tests that
  // need a parent row.
  void SeedTeam(const std::string& team) {
    ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
      if (absl::Status s = u.InsertTeam(MakeTeam(team)); !s.ok()) return s;
      if (absl::Status s = u.InsertCandidate(MakeCandidate(team, team + "-cand")); !s.ok())
        return s;
      if (absl::Status s = u.InsertJob(MakeJob(team, team + "-job")); !s.ok()) return s;
      return u.InsertApplication(
          MakeApplication(team, team + "-app", team + "-cand", team + "-job"));
    }));
  }

  std::unique_ptr<storetest::TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

// ---- Basics ---------------------------------------------------------------

TEST_F(StoreConformance, ReportsItsBackendAndPings) {
  EXPECT_EQ(store_->backend(), kBackend);
  EXPECT_OK(store_->Ping());
}

TEST_F(StoreConformance, TeamsRoundTripAndReportMissingAndDuplicate) {
  Team t = MakeTeam("t1");
  t.default_package_id = "pkg-9";
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertTeam(t); }));
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.InsertTeam(t); }), kAlreadyExists);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<Team> got = u.GetTeam(TeamId("t1"));
    if (!got.ok()) return got.status();
    EXPECT_EQ(got->name, "Team t1");
    EXPECT_EQ(got->default_package_id, "pkg-9");
    EXPECT_EQ(got->created_at, kT0);
    got->name = "Renamed";
    got->default_package_id.reset();
    return u.UpdateTeam(*got);
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<Team> got = u.GetTeam(TeamId("t1"));
    EXPECT_TRUE(got.ok());
    if (got.ok()) {
      EXPECT_EQ(got->name, "Renamed");
      EXPECT_EQ(got->default_package_id, std::nullopt);
    }
    EXPECT_CODE(u.GetTeam(TeamId("nope")), kNotFound);
    EXPECT_CODE(u.UpdateTeam(MakeTeam("nope")), kNotFound);
    return absl::OkStatus();
  }));
}

User MakeUser(const std::string& team, const std::string& id, const std::string& name, Role role) {
  User u;
  u.team = TeamId(team);
  u.id = UserId(id);
  u.name = name;
  u.role = role;
  u.created_at = kT0;
  return u;
}

ApiToken MakeToken(const User& user, const std::string& hash, const std::string& id) {
  ApiToken t;
  t.team = user.team;
  t.user = user.id;
  t.role = user.role;
  t.token_hash = hash;
  t.created_at = kT0;
  t.id = TokenId(id);
  t.name = "laptop";
  return t;
}

TEST_F(StoreConformance, TokensFindTheirPrincipalGlobally) {
  SeedTeam("t1");
  const User ada = MakeUser("t1", "u1", "Ada", Role::kAdmin);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    if (auto s = u.InsertUser(ada); !s.ok()) return s;
    return u.InsertToken(MakeToken(ada, "hash-1", "tok-1"));
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<TokenLookup> p = u.FindTokenByHash("hash-1");
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) {
      EXPECT_EQ(p->who.team, TeamId("t1"));
      EXPECT_EQ(p->who.user, UserId("u1"));
      EXPECT_EQ(p->who.role, Role::kAdmin);
      EXPECT_EQ(p->token, TokenId("tok-1"));
      EXPECT_EQ(p->last_used_at, std::nullopt);
    }
    EXPECT_CODE(u.FindTokenByHash("hash-2"), kNotFound);
    EXPECT_CODE(u.InsertUser(MakeUser("t1", "u1", "Again", Role::kAdmin)), kAlreadyExists);
    return absl::OkStatus();
  }));
  // The hash is unique across teams.
  SeedTeam("t2");
  const User bob = MakeUser("t2", "u2", "Bob", Role::kRecruiter);
  EXPECT_CODE(Tx([&](UnitOfWork& u) -> absl::Status {
                if (auto s = u.InsertUser(bob); !s.ok()) return s;
                return u.InsertToken(MakeToken(bob, "hash-1", "tok-2"));
              }),
              kAlreadyExists);
}

TEST_F(StoreConformance, RevokedTokensAndDeactivatedUsersAreNotFound) {
  SeedTeam("t1");
  SeedTeam("t2");
  User dana = MakeUser("t1", "u1", "Dana Lee", Role::kCoordinator);
  dana.email = "dana@example.com";
  const User vic = MakeUser("t1", "u2", "Vic", Role::kViewer);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_OK(u.InsertUser(dana));
    EXPECT_OK(u.InsertUser(vic));
    EXPECT_OK(u.InsertToken(MakeToken(dana, "hash-a", "tok-a")));
    EXPECT_OK(u.InsertToken(MakeToken(dana, "hash-b", "tok-b")));
    EXPECT_OK(u.InsertToken(MakeToken(vic, "hash-c", "tok-c")));
    User twin = MakeUser("t1", "u3", "Twin", Role::kViewer);
    twin.email = "dana@example.com";
    EXPECT_CODE(u.InsertUser(twin), kAlreadyExists);  // one email per team
    return absl::OkStatus();
  }));
  const absl::Time later = kT0 + absl::Minutes(5);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_OK(u.TouchToken(TeamId("t1"), TokenId("tok-a"), later, later - absl::Minutes(1)));
    // Within the minute: no second write.
    EXPECT_OK(u.TouchToken(TeamId("t1"), TokenId("tok-a"), later + absl::Seconds(30),
                           later - absl::Seconds(30)));
    EXPECT_OK(u.RevokeToken(TeamId("t1"), UserId("u1"), TokenId("tok-b"), later));
    EXPECT_OK(u.RevokeToken(TeamId("t1"), UserId("u1"), TokenId("tok-b"), later + absl::Hours(1)));
    EXPECT_CODE(u.RevokeToken(TeamId("t2"), UserId("u1"), TokenId("tok-a"), later), kNotFound);
    EXPECT_CODE(u.RevokeToken(TeamId("t1"), UserId("u2"), TokenId("tok-a"), later), kNotFound);
    EXPECT_OK(u.DeactivateUser(TeamId("t1"), UserId("u2"), later));
    EXPECT_CODE(u.DeactivateUser(TeamId("t2"), UserId("u1"), later), kNotFound);
    return absl::OkStatus();
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<TokenLookup> a = u.FindTokenByHash("hash-a");
    EXPECT_TRUE(a.ok()) << a.status();
    if (a.ok()) {
      EXPECT_EQ(a->last_used_at, later);
    }
    EXPECT_CODE(u.FindTokenByHash("hash-b"), kNotFound);  // revoked
    EXPECT_CODE(u.FindTokenByHash("hash-c"), kNotFound);  // its user is deactivated
    absl::StatusOr<std::vector<ApiToken>> tokens = u.ListTokens(TeamId("t1"), UserId("u1"));
    EXPECT_TRUE(tokens.ok() && tokens->size() == 2u);
    if (tokens.ok() && tokens->size() == 2u) {
      for (const ApiToken& t : *tokens) {
        EXPECT_EQ(t.revoked_at.has_value(), t.id == TokenId("tok-b"));
        if (t.revoked_at) {
          EXPECT_EQ(*t.revoked_at, later);  // the first revocation stands
        }
      }
    }
    absl::StatusOr<std::vector<User>> users = u.ListUsers(TeamId("t1"));
    EXPECT_TRUE(users.ok() && users->size() == 2u);
    if (users.ok() && users->size() == 2u) {
      EXPECT_EQ((*users)[0].name, "Dana Lee");
      EXPECT_EQ((*users)[0].email, "dana@example.com");
      EXPECT_EQ((*users)[0].role, Role::kCoordinator);
      EXPECT_EQ((*users)[1].deactivated_at, later);
    }
    EXPECT_CODE(u.GetUser(TeamId("t2"), UserId("u1")), kNotFound);
    EXPECT_TRUE(u.ListUsers(TeamId("t2")).ok());
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, IntegrationUpsertsKeepsBinarySecretsAndOwnsItsCertnTeam) {
  SeedTeam("t1");
  SeedTeam("t2");
  CertnIntegration i;
  i.team = TeamId("t1");
  i.region = CertnRegion::kUkEmea;
  i.api_key_encrypted = std::string("\x00\xff\x10secret", 9);
  i.api_key_last4 = "abcd";
  i.webhook_secret_encrypted = std::string("\x01\x00\x02", 3);
  i.status = ConnectionStatus::kUnverified;
  i.updated_at = At(1);
  ASSERT_OK(Tx([&](UnitOfWork& u) { return CertnRows(u).UpsertIntegration(i); }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    // Certn's per-account limits by default (docs/certn-api.md).
    EXPECT_EQ(CertnRows(u).GetIntegration(TeamId("t1"))->requests_per_minute, 60);
    EXPECT_EQ(CertnRows(u).GetIntegration(TeamId("t1"))->requests_per_day, 7220);
    return absl::OkStatus();
  }));
  i.requests_per_minute = 30;
  i.requests_per_day = 1000;
  i.status = ConnectionStatus::kConnected;
  i.status_reason = "ok";
  i.certn_team_id = "certn-team-1";
  i.verified_at = At(2);
  i.previous_webhook_secret_encrypted = std::string("\x00old", 4);
  i.previous_secret_valid_until = At(3);
  i.last_delivery_at = At(4);
  i.updated_at = At(5);
  ASSERT_OK(Tx([&](UnitOfWork& u) { return CertnRows(u).UpsertIntegration(i); }));

  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<CertnIntegration> got = CertnRows(u).GetIntegration(TeamId("t1"));
    if (!got.ok()) return got.status();
    EXPECT_EQ(got->region, CertnRegion::kUkEmea);
    EXPECT_EQ(got->api_key_encrypted, i.api_key_encrypted);
    EXPECT_EQ(got->webhook_secret_encrypted, i.webhook_secret_encrypted);
    EXPECT_EQ(got->previous_webhook_secret_encrypted, i.previous_webhook_secret_encrypted);
    EXPECT_EQ(got->previous_secret_valid_until, At(3));
    EXPECT_EQ(got->status, ConnectionStatus::kConnected);
    EXPECT_EQ(got->status_reason, "ok");
    EXPECT_EQ(got->certn_team_id, "certn-team-1");
    EXPECT_EQ(got->verified_at, At(2));
    EXPECT_EQ(got->last_delivery_at, At(4));
    EXPECT_EQ(got->updated_at, At(5));
    EXPECT_EQ(got->requests_per_minute, 30);
    EXPECT_EQ(got->requests_per_day, 1000);
    EXPECT_EQ(CertnRows(u).FindTeamByCertnTeamId("certn-team-1").value_or(TeamId()), TeamId("t1"));
    EXPECT_CODE(CertnRows(u).FindTeamByCertnTeamId("other"), kNotFound);
    EXPECT_CODE(CertnRows(u).GetIntegration(TeamId("t2")), kNotFound);
    return absl::OkStatus();
  }));

  // A second team cannot claim the same Certn team, and the transaction can
  // carry on after the refusal.
  CertnIntegration other = i;
  other.team = TeamId("t2");
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_CODE(CertnRows(u).UpsertIntegration(other), kAlreadyExists);
    other.certn_team_id = "certn-team-2";
    return CertnRows(u).UpsertIntegration(other);
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_EQ(CertnRows(u).FindTeamByCertnTeamId("certn-team-1").value_or(TeamId()), TeamId("t1"));
    EXPECT_EQ(CertnRows(u).FindTeamByCertnTeamId("certn-team-2").value_or(TeamId()), TeamId("t2"));
    return absl::OkStatus();
  }));
}

// ---- Jobs and plans -------------------------------------------------------

TEST_F(StoreConformance, JobsRoundTripAndStartWithAnEmptyPlan) {
  SeedTeam("t1");
  Job j = MakeJob("t1", "j2", 5);
  j.default_package_id.reset();
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertJob(j); }));
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.InsertJob(j); }), kAlreadyExists);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<Job> got = u.GetJob(TeamId("t1"), JobId("j2"));
    if (!got.ok()) return got.status();
    EXPECT_EQ(got->title, "Engineer j2");
    EXPECT_EQ(got->default_package_id, std::nullopt);
    EXPECT_THAT(got->tags, ElementsAre("Premium Package"));
    EXPECT_EQ(got->created_at, At(5));
    got->title = "Staff";
    got->tags = {"a", "b \"quoted\""};
    return u.UpdateJob(*got);
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<Job> got = u.GetJob(TeamId("t1"), JobId("j2"));
    if (!got.ok()) return got.status();
    EXPECT_EQ(got->title, "Staff");
    EXPECT_THAT(got->tags, ElementsAre("a", "b \"quoted\""));
    absl::StatusOr<InterviewPlan> plan = u.GetPlan(TeamId("t1"), JobId("j2"));
    if (!plan.ok()) return plan.status();
    EXPECT_THAT(plan->stages(), IsEmpty());
    EXPECT_EQ(plan->version(), 0);
    EXPECT_CODE(u.GetJob(TeamId("t1"), JobId("nope")), kNotFound);
    EXPECT_CODE(u.GetPlan(TeamId("t1"), JobId("nope")), kNotFound);
    EXPECT_CODE(u.UpdateJob(MakeJob("t1", "nope")), kNotFound);
    return absl::OkStatus();
  }));
}

InterviewPlan SamplePlan(const std::string& team, const std::string& job, int64_t version) {
  ActivitySettings settings;
  settings.Set("package_id", std::string("pkg-7"));
  settings.Set("auto_send", true);
  settings.Set("delay_minutes", int64_t{-42});
  std::vector<Stage> stages = {
      Stage{StageId("s1"), "Screen", {Activity{ActivityId("a1"), "certn", settings}}},
      Stage{StageId("s2"), "Onsite \"final\"", {}},
  };
  return InterviewPlan(TeamId(team), JobId(job), std::move(stages), version);
}

TEST_F(StoreConformance, SavePlanUsesOptimisticLocking) {
  SeedTeam("t1");
  InterviewPlan mine = SamplePlan("t1", "t1-job", 0);
  InterviewPlan theirs = SamplePlan("t1", "t1-job", 0);
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.SavePlan(mine); }));
  EXPECT_EQ(mine.version(), 1);
  // A save based on the old version loses, and changes nothing.
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.SavePlan(theirs); }), kAborted);
  EXPECT_EQ(theirs.version(), 0);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    // Editing the job does not touch its plan.
    absl::StatusOr<Job> job = u.GetJob(TeamId("t1"), JobId("t1-job"));
    if (!job.ok()) return job.status();
    job->title = "Changed";
    if (absl::Status s = u.UpdateJob(*job); !s.ok()) return s;
    absl::StatusOr<InterviewPlan> got = u.GetPlan(TeamId("t1"), JobId("t1-job"));
    if (!got.ok()) return got.status();
    EXPECT_EQ(got->version(), 1);
    EXPECT_EQ(got->stages(), mine.stages());
    return absl::OkStatus();
  }));
  InterviewPlan missing = SamplePlan("t1", "nope", 0);
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.SavePlan(missing); }), kNotFound);
}

// ---- Candidates and files -------------------------------------------------

TEST_F(StoreConformance, CandidatesRoundTripWithOptionalFields) {
  SeedTeam("t1");
  Candidate c = MakeCandidate("t1", "c2", 3);
  c.email.reset();
  c.phone = "+1 555 0100";
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertCandidate(c); }));
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.InsertCandidate(c); }), kAlreadyExists);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<Candidate> got = u.GetCandidate(TeamId("t1"), CandidateId("c2"));
    if (!got.ok()) return got.status();
    EXPECT_EQ(got->email, std::nullopt);
    EXPECT_EQ(got->phone, "+1 555 0100");
    EXPECT_EQ(got->tags, c.tags);
    got->email = "new@example.com";
    got->tags.clear();
    got->updated_at = At(9);
    return u.UpdateCandidate(*got);
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<Candidate> got = u.GetCandidate(TeamId("t1"), CandidateId("c2"));
    if (!got.ok()) return got.status();
    EXPECT_EQ(got->email, "new@example.com");
    EXPECT_THAT(got->tags, IsEmpty());
    EXPECT_EQ(got->created_at, At(3));
    EXPECT_EQ(got->updated_at, At(9));
    EXPECT_CODE(u.UpdateCandidate(MakeCandidate("t1", "nope")), kNotFound);
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, FilesKeepEveryByte) {
  SeedTeam("t1");
  std::string content;
  for (int i = 0; i < 256; ++i) content += static_cast<char>(i);
  CandidateFile f{TeamId("t1"),
                  FileId("f1"),
                  CandidateId("t1-cand"),
                  "report.pdf",
                  "application/pdf",
                  static_cast<int64_t>(content.size()),
                  "ab12",
                  At(1)};
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertFile(f, content); }));
  CandidateFile empty = f;
  empty.id = FileId("f0");
  empty.size = 0;
  empty.created_at = At(0);
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertFile(empty, ""); }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<std::string> bytes = u.GetFileContent(TeamId("t1"), FileId("f1"));
    if (!bytes.ok()) return bytes.status();
    EXPECT_EQ(*bytes, content);
    EXPECT_EQ(u.GetFileContent(TeamId("t1"), FileId("f0")).value_or("x"), "");
    absl::StatusOr<CandidateFile> meta = u.GetFile(TeamId("t1"), FileId("f1"));
    if (!meta.ok()) return meta.status();
    EXPECT_EQ(meta->name, "report.pdf");
    EXPECT_EQ(meta->size, 256);
    EXPECT_EQ(meta->sha256_hex, "ab12");
    absl::StatusOr<std::vector<CandidateFile>> list =
        u.ListFiles(TeamId("t1"), CandidateId("t1-cand"));
    if (!list.ok()) return list.status();
    EXPECT_EQ(list->size(), 2u);
    if (list->size() == 2u) {
      EXPECT_EQ((*list)[0].id, FileId("f0"));
      EXPECT_EQ((*list)[1].id, FileId("f1"));
    }
    EXPECT_CODE(u.GetFile(TeamId("t1"), FileId("nope")), kNotFound);
    EXPECT_CODE(u.GetFileContent(TeamId("t1"), FileId("nope")), kNotFound);
    return absl::OkStatus();
  }));
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.InsertFile(f, content); }), kAlreadyExists);
  // A file must belong to a known candidate of the same team.
  CandidateFile orphan = f;
  orphan.id = FileId("f2");
  orphan.candidate = CandidateId("ghost");
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.InsertFile(orphan, "x"); }), kFailedPrecondition);
}

// ---- Applications ---------------------------------------------------------

TEST_F(StoreConformance, ApplicationsRoundTripAndFilter) {
  SeedTeam("t1");
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    if (auto s = u.InsertCandidate(MakeCandidate("t1", "c2")); !s.ok()) return s;
    if (auto s = u.InsertJob(MakeJob("t1", "j2")); !s.ok()) return s;
    if (auto s = u.InsertApplication(MakeApplication("t1", "a2", "c2", "t1-job", 2)); !s.ok())
      return s;
    return u.InsertApplication(MakeApplication("t1", "a3", "c2", "j2", 3));
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<Application> a = u.GetApplication(TeamId("t1"), ApplicationId("a2"));
    if (!a.ok()) return a.status();
    EXPECT_EQ(a->stage, StageId("stage-1"));
    a->stage.reset();
    a->status = ApplicationStatus::kHired;
    a->updated_at = At(8);
    return u.UpdateApplication(*a);
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<Application> a = u.GetApplication(TeamId("t1"), ApplicationId("a2"));
    if (!a.ok()) return a.status();
    EXPECT_EQ(a->stage, std::nullopt);
    EXPECT_EQ(a->status, ApplicationStatus::kHired);
    EXPECT_EQ(a->updated_at, At(8));
    auto ids = [](const Page<ApplicationSummary>& p) {
      std::vector<std::string> out;
      for (const ApplicationSummary& x : p.items) out.push_back(x.application.id.value());
      return out;
    };
    auto all = u.ListApplications(TeamId("t1"), {}, {});
    auto by_job = u.ListApplications(TeamId("t1"), {.job = JobId("t1-job")}, {});
    auto by_cand = u.ListApplications(TeamId("t1"), {.candidate = CandidateId("c2")}, {});
    auto both =
        u.ListApplications(TeamId("t1"), {.job = JobId("j2"), .candidate = CandidateId("c2")}, {});
    if (!all.ok() || !by_job.ok() || !by_cand.ok() || !both.ok()) {
      return absl::InternalError("list failed");
    }
    // Last activity first: a2 changed at 8.
    EXPECT_THAT(ids(*all), ElementsAre("a2", "a3", "t1-app"));
    EXPECT_THAT(ids(*by_job), ElementsAre("a2", "t1-app"));
    EXPECT_THAT(ids(*by_cand), ElementsAre("a2", "a3"));
    EXPECT_THAT(ids(*both), ElementsAre("a3"));
    EXPECT_CODE(u.GetApplication(TeamId("t1"), ApplicationId("nope")), kNotFound);
    EXPECT_CODE(u.UpdateApplication(MakeApplication("t1", "nope", "c2", "j2")), kNotFound);
    return absl::OkStatus();
  }));
  // Parents must exist.
  EXPECT_CODE(Tx([&](UnitOfWork& u) {
                return u.InsertApplication(MakeApplication("t1", "a9", "ghost", "t1-job"));
              }),
              kFailedPrecondition);
}

// ---- Background checks ----------------------------------------------------

// ---- The pipeline overview --------------------------------------------------

class PipelineConformance : public StoreConformance {
 protected:
  // Four applications of team t1 (and one of team t2 that must never show):
  //   a1 Ada Lovelace    j1 stage-1 active    checks k0 (error, older) and k1 complete CLEAR at 5
  //   a2 Grace Hopper    j1 stage-1 active    k2 complete REVIEW at 6
  //   a3 Alan Turing     j2 stage-2 active    k3 invited at 7
  //   a4 Edsger Dijkstra j2 stage-1 rejected  no check, rejected at 8
  void SetUp() override {
    StoreConformance::SetUp();
    SeedTeam("t2");
    ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
      RETURN_IF_ERROR(u.InsertTeam(MakeTeam("t1")));
      RETURN_IF_ERROR(u.InsertJob(MakeJob("t1", "j1")));
      RETURN_IF_ERROR(u.InsertJob(MakeJob("t1", "j2")));
      const char* names[][4] = {{"c1", "Ada", "Lovelace", "ada@example.com"},
                                {"c2", "Grace", "Hopper", "grace@navy.example"},
                                {"c3", "Alan", "Turing", "alan@example.org"},
                                {"c4", "Edsger", "Dijkstra", ""}};
      for (int i = 0; i < 4; ++i) {
        Candidate c = MakeCandidate("t1", names[i][0]);
        c.first_name = names[i][1];
        c.last_name = names[i][2];
        c.email = *names[i][3] ? std::optional<std::string>(names[i][3]) : std::nullopt;
        RETURN_IF_ERROR(u.InsertCandidate(c));
        Application a = MakeApplication("t1", absl::StrCat("a", i + 1), names[i][0],
                                        i < 2 ? "j1" : "j2", i + 1);
        if (i == 2) a.stage = StageId("stage-2");
        RETURN_IF_ERROR(u.InsertApplication(a));
      }
      RETURN_IF_ERROR(u.InsertCheck(MakeCheck("t1", "k0", "c1", "a1", CheckStatus::kError, 1)));
      BackgroundCheck k1 = MakeCheck("t1", "k1", "c1", "a1", CheckStatus::kComplete, 5);
      k1.overall_score = "CLEAR";
      RETURN_IF_ERROR(u.InsertCheck(k1));
      BackgroundCheck k2 = MakeCheck("t1", "k2", "c2", "a2", CheckStatus::kInvited, 2);
      RETURN_IF_ERROR(u.InsertCheck(k2));
      k2.status = CheckStatus::kComplete;
      k2.overall_score = "REVIEW";
      k2.updated_at = At(6);
      RETURN_IF_ERROR(u.UpdateCheck(k2));
      RETURN_IF_ERROR(u.InsertCheck(MakeCheck("t1", "k3", "c3", "a3", CheckStatus::kInvited, 7)));
      // A change to an older check does not make it the latest.
      BackgroundCheck k0 = MakeCheck("t1", "k0", "c1", "a1", CheckStatus::kError, 1);
      k0.error_reason = "invite_undeliverable";
      RETURN_IF_ERROR(u.UpdateCheck(k0));
      Application a4 = MakeApplication("t1", "a4", "c4", "j2", 4);
      a4.status = ApplicationStatus::kRejected;
      a4.updated_at = At(8);
      return u.UpdateApplication(a4);
    }));
  }

  // Every page of `filter` in order, `limit` rows a page.
  std::vector<std::string> Ids(const ApplicationFilter& filter, int limit = 1) {
    std::vector<std::string> ids;
    PageRequest page{limit, ""};
    EXPECT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
      for (int guard = 0; guard < 20; ++guard) {
        ASSIGN_OR_RETURN(Page<ApplicationSummary> p,
                         u.ListApplications(TeamId("t1"), filter, page));
        for (const ApplicationSummary& a : p.items) ids.push_back(a.application.id.value());
        if (p.next.empty()) return absl::OkStatus();
        page.after = p.next;
      }
      return absl::InternalError("pages never ended");
    }));
    return ids;
  }

  std::map<std::string, int64_t> Counts(const ApplicationFilter& filter) {
    std::map<std::string, int64_t> counts;
    EXPECT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
      ASSIGN_OR_RETURN(auto rows, u.CountApplicationsByCheck(TeamId("t1"), filter));
      counts.insert(rows.begin(), rows.end());
      return absl::OkStatus();
    }));
    return counts;
  }
};

TEST_F(PipelineConformance, SortsByLastActivityNameOrStatusOnStablePages) {
  EXPECT_THAT(Ids({}), ElementsAre("a4", "a3", "a2", "a1"));
  EXPECT_THAT(Ids({}, 50), ElementsAre("a4", "a3", "a2", "a1"));
  EXPECT_THAT(Ids({.sort = ApplicationSort::kName}), ElementsAre("a1", "a3", "a4", "a2"));
  EXPECT_THAT(Ids({.sort = ApplicationSort::kName}, 3), ElementsAre("a1", "a3", "a4", "a2"));
  // Complete (newest first), then invited, then no check.
  EXPECT_THAT(Ids({.sort = ApplicationSort::kStatus}), ElementsAre("a2", "a1", "a3", "a4"));
  EXPECT_THAT(Ids({.sort = ApplicationSort::kStatus}, 2), ElementsAre("a2", "a1", "a3", "a4"));
}

TEST_F(PipelineConformance, FiltersByJobStageStatusCheckStatusAndResult) {
  EXPECT_THAT(Ids({.job = JobId("j1")}), ElementsAre("a2", "a1"));
  EXPECT_THAT(Ids({.candidate = CandidateId("c3")}), ElementsAre("a3"));
  EXPECT_THAT(Ids({.stage = StageId("stage-2")}), ElementsAre("a3"));
  EXPECT_THAT(Ids({.status = ApplicationStatus::kRejected}), ElementsAre("a4"));
  EXPECT_THAT(Ids({.check_status = "complete"}), ElementsAre("a2", "a1"));
  EXPECT_THAT(Ids({.check_status = "invited"}), ElementsAre("a3"));
  EXPECT_THAT(Ids({.check_status = std::string(kNoCheck)}), ElementsAre("a4"));
  EXPECT_THAT(Ids({.check_status = "error"}), IsEmpty());  // k0 is not a1's latest check
  EXPECT_THAT(Ids({.result = "REVIEW"}), ElementsAre("a2"));
  EXPECT_THAT(Ids({.result = "CLEAR"}), ElementsAre("a1"));
  EXPECT_THAT(Ids({.job = JobId("j1"), .check_status = "complete", .result = "CLEAR"}),
              ElementsAre("a1"));
  EXPECT_THAT(Ids({.job = JobId("j2"), .sort = ApplicationSort::kName}), ElementsAre("a3", "a4"));
}

TEST_F(PipelineConformance, SearchesNameAndEmailInAnyCaseAndTakesWildcardsLiterally) {
  EXPECT_THAT(Ids({.query = "GRACE"}), ElementsAre("a2"));
  EXPECT_THAT(Ids({.query = "ce ho"}), ElementsAre("a2"));
  EXPECT_THAT(Ids({.query = "example.o"}), ElementsAre("a3"));
  EXPECT_THAT(Ids({.query = "@example"}), ElementsAre("a3", "a1"));
  EXPECT_THAT(Ids({.query = "%"}), IsEmpty());
  EXPECT_THAT(Ids({.query = "a_a"}), IsEmpty());
  EXPECT_THAT(Ids({.query = "dijkstra", .sort = ApplicationSort::kName}), ElementsAre("a4"));
  // A renamed candidate is found by the new name at once.
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(Candidate c, u.GetCandidateForUpdate(TeamId("t1"), CandidateId("c2")));
    c.last_name = "Brewster";
    return u.UpdateCandidate(c);
  }));
  EXPECT_THAT(Ids({.query = "brewster"}), ElementsAre("a2"));
  EXPECT_THAT(Ids({.query = "hopper"}), IsEmpty());
}

TEST_F(PipelineConformance, RowsCarryCandidateAndLatestCheck) {
  ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(Page<ApplicationSummary> p,
                     u.ListApplications(TeamId("t1"), {.sort = ApplicationSort::kName}, {}));
    EXPECT_EQ(p.items.size(), 4u);
    if (p.items.size() != 4u) return absl::OkStatus();
    const ApplicationSummary& a1 = p.items[0];
    EXPECT_EQ(a1.candidate_name, "Ada Lovelace");
    EXPECT_EQ(a1.candidate_email, "ada@example.com");
    EXPECT_EQ(a1.application.stage, StageId("stage-1"));
    EXPECT_TRUE(a1.latest_check.has_value());
    if (a1.latest_check) {
      EXPECT_EQ(a1.latest_check->id, CheckId("k1"));
      EXPECT_EQ(a1.latest_check->status, CheckStatus::kComplete);
      EXPECT_EQ(a1.latest_check->overall_score, "CLEAR");
      EXPECT_EQ(a1.latest_check->package_name, "Basic");
      EXPECT_EQ(a1.latest_check->sent_at, At(5));
    }
    EXPECT_EQ(a1.last_activity_at, At(5));
    const ApplicationSummary& a4 = p.items[2];
    EXPECT_EQ(a4.candidate_email, std::nullopt);
    EXPECT_FALSE(a4.latest_check.has_value());
    EXPECT_EQ(a4.last_activity_at, At(8));
    return absl::OkStatus();
  }));
}

TEST_F(PipelineConformance, CountsPerCheckStatusFollowTheOtherFilters) {
  std::map<std::string, int64_t> all = {{"complete", 2}, {"invited", 1}, {"none", 1}};
  EXPECT_EQ(Counts({}), all);
  EXPECT_EQ(Counts({.check_status = "complete"}), all);  // the status itself is not narrowed
  EXPECT_EQ(Counts({.job = JobId("j1")}), (std::map<std::string, int64_t>{{"complete", 2}}));
  EXPECT_EQ(Counts({.result = "REVIEW"}), (std::map<std::string, int64_t>{{"complete", 1}}));
  EXPECT_EQ(Counts({.query = "zzz"}), (std::map<std::string, int64_t>{}));
}

TEST_F(PipelineConformance, ACursorOfAnotherOrderIsRefused) {
  std::string next;
  ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(Page<ApplicationSummary> p,
                     u.ListApplications(TeamId("t1"), {.sort = ApplicationSort::kName}, {1, ""}));
    next = p.next;
    return absl::OkStatus();
  }));
  ASSERT_FALSE(next.empty());
  EXPECT_CODE(store_->Read([&](UnitOfWork& u) {
    return u.ListApplications(TeamId("t1"), {}, {1, next}).status();
  }),
              kInvalidArgument);
}

TEST_F(StoreConformance, ChecksRoundTripEveryField) {
  SeedTeam("t1");
  BackgroundCheck k = MakeCheck("t1", "k1", "t1-cand", "t1-app", CheckStatus::kQueued, 1);
  ASSERT_TRUE(k.Transition(CheckStatus::kInvited, At(2), "send") == TransitionOutcome::kApplied);
  k.external_id = "case-1";
  k.external_short_id = "SHORT";
  k.external_status = "PENDING";
  k.results_url = "https://certn.example/r/1";
  k.report_file_id = "rep-1";
  k.report_saved_as = FileId("f1");
  k.results = {CheckResult{"ADVERSE_MEDIA_1", "COMPLETE", "CLEAR", At(3)},
               CheckResult{"CRIMINAL_1", "PENDING", std::nullopt, std::nullopt}};
  k.ordered_at = At(2);
  k.error_reason = "";
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertCheck(k); }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<BackgroundCheck> got = u.GetCheck(TeamId("t1"), CheckId("k1"));
    if (!got.ok()) return got.status();
    EXPECT_EQ(got->application, ApplicationId("t1-app"));
    EXPECT_EQ(got->activity, ActivityId("act-1"));
    EXPECT_EQ(got->trigger, SendTrigger::kAutoSend);
    EXPECT_EQ(got->requested_by, UserId("user-1"));
    EXPECT_EQ(got->status, CheckStatus::kInvited);
    EXPECT_EQ(got->external_id, "case-1");
    EXPECT_EQ(got->external_short_id, "SHORT");
    EXPECT_EQ(got->external_status, "PENDING");
    EXPECT_EQ(got->overall_score, std::nullopt);  // null until scored
    EXPECT_EQ(got->results_url, "https://certn.example/r/1");
    EXPECT_EQ(got->report_file_id, "rep-1");
    EXPECT_EQ(got->report_saved_as, FileId("f1"));
    EXPECT_EQ(got->results, k.results);
    EXPECT_EQ(got->history, k.history);
    EXPECT_EQ(got->ordered_at, At(2));
    EXPECT_EQ(got->completed_at, std::nullopt);
    got->Transition(CheckStatus::kError, At(4), "webhook:d1", "no_email");
    got->error_reason = "no_email";
    got->completed_at = At(4);
    got->updated_at = At(4);
    got->overall_score = "REVIEW";
    return u.UpdateCheck(*got);
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<BackgroundCheck> got = u.GetCheck(TeamId("t1"), CheckId("k1"));
    if (!got.ok()) return got.status();
    EXPECT_EQ(got->status, CheckStatus::kError);
    EXPECT_EQ(got->error_reason, "no_email");
    EXPECT_EQ(got->overall_score, "REVIEW");
    EXPECT_EQ(got->history.size(), 2u);
    EXPECT_EQ(got->completed_at, At(4));
    absl::StatusOr<BackgroundCheck> by_case = u.FindCheckByExternalId("case-1");
    EXPECT_TRUE(by_case.ok() && by_case->id == CheckId("k1"));
    EXPECT_CODE(u.FindCheckByExternalId("case-x"), kNotFound);
    absl::StatusOr<CaseCheck> case_check = CertnRows(u).FindCheckByCaseId("case-1");
    EXPECT_TRUE(case_check.ok() && case_check->id == CheckId("k1") &&
                case_check->team == TeamId("t1"));
    EXPECT_CODE(CertnRows(u).FindCheckByCaseId("case-x"), kNotFound);
    // Several at once: known cases answered, unknown ones absent, a repeat once.
    const std::vector<std::string> cases = {"case-x", "case-1", "case-y", "case-1"};
    absl::StatusOr<std::map<std::string, CaseCheck>> many = CertnRows(u).FindChecksByCaseIds(cases);
    EXPECT_TRUE(many.ok()) << many.status();
    if (many.ok()) {
      EXPECT_EQ(many->size(), 1u);
      EXPECT_TRUE(many->contains("case-1") && many->at("case-1").id == CheckId("k1") &&
                  many->at("case-1").team == TeamId("t1"));
    }
    std::vector<std::string> lots;  // 16 + 4 + 1 placeholders
    for (int i = 0; i < 20; ++i) lots.push_back(absl::StrCat("none-", i));
    lots.push_back("case-1");
    absl::StatusOr<std::map<std::string, CaseCheck>> chunked =
        CertnRows(u).FindChecksByCaseIds(lots);
    EXPECT_TRUE(chunked.ok() && chunked->size() == 1 && chunked->contains("case-1"));
    absl::StatusOr<std::map<std::string, CaseCheck>> none = CertnRows(u).FindChecksByCaseIds({});
    EXPECT_TRUE(none.ok() && none->empty());
    EXPECT_CODE(u.GetCheck(TeamId("t1"), CheckId("nope")), kNotFound);
    EXPECT_CODE(u.UpdateCheck(MakeCheck("t1", "nope", "t1-cand", std::nullopt)), kNotFound);
    return absl::OkStatus();
  }));
}

// A vendor answer that changed nothing writes only the check's updated_at
// (UnitOfWork::TouchCheck): every other column stays as it was, and the
// application's copy of its latest check, its last activity among them,
// does not move.
TEST_F(StoreConformance, TouchCheckSetsOnlyUpdatedAt) {
  SeedTeam("t1");
  SeedTeam("t2");
  BackgroundCheck k = MakeCheck("t1", "k1", "t1-cand", "t1-app", CheckStatus::kQueued, 1);
  ASSERT_TRUE(k.Transition(CheckStatus::kInvited, At(2), "send") == TransitionOutcome::kApplied);
  k.external_id = "case-1";
  k.external_status = "PENDING";
  k.results = {CheckResult{"CRIMINAL_1", "PENDING", std::nullopt, std::nullopt}};
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertCheck(k); }));
  auto last_activity = [&] {
    absl::Time at = absl::InfinitePast();
    EXPECT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
      ASSIGN_OR_RETURN(Page<ApplicationSummary> p, u.ListApplications(TeamId("t1"), {}, {}));
      for (const ApplicationSummary& a : p.items) {
        if (a.application.id == ApplicationId("t1-app")) at = a.last_activity_at;
      }
      return absl::OkStatus();
    }));
    return at;
  };
  const absl::Time activity_before = last_activity();
  ASSERT_NE(activity_before, absl::InfinitePast());

  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.TouchCheck(TeamId("t1"), CheckId("k1"), At(9)); }));
  ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(BackgroundCheck got, u.GetCheck(TeamId("t1"), CheckId("k1")));
    EXPECT_EQ(got.updated_at, At(9));
    EXPECT_EQ(got.status, CheckStatus::kInvited);
    EXPECT_EQ(got.external_id, "case-1");
    EXPECT_EQ(got.external_status, "PENDING");
    EXPECT_EQ(got.results, k.results);
    EXPECT_EQ(got.history, k.history);
    EXPECT_EQ(got.created_at, k.created_at);
    return absl::OkStatus();
  }));
  EXPECT_EQ(last_activity(), activity_before);

  // Another team's check, or none: NotFound, and nothing written.
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_CODE(u.TouchCheck(TeamId("t2"), CheckId("k1"), At(10)), kNotFound);
    EXPECT_CODE(u.TouchCheck(TeamId("t1"), CheckId("nope"), At(10)), kNotFound);
    return absl::OkStatus();
  }));
  // A read-only transaction refuses it.
  EXPECT_CODE(store_->Read(
                  [&](UnitOfWork& u) { return u.TouchCheck(TeamId("t1"), CheckId("k1"), At(11)); }),
              kFailedPrecondition);
  ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(BackgroundCheck got, u.GetCheck(TeamId("t1"), CheckId("k1")));
    EXPECT_EQ(got.updated_at, At(9));
    return absl::OkStatus();
  }));
}

// Certn's estimate for a check: the first is kept, the same one again
// changes nothing, a new one replaces it; each team sees only its own.
TEST_F(StoreConformance, CheckEstimateIsKeptOncePerCheckAndReplacedWhenItMoves) {
  SeedTeam("t1");
  SeedTeam("t2");
  auto estimate = [&](const char* team) {
    std::optional<absl::Time> got;
    EXPECT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
      ASSIGN_OR_RETURN(got, u.GetCheckEstimate(TeamId(team), CheckId("k1")));
      return absl::OkStatus();
    }));
    return got;
  };
  EXPECT_EQ(estimate("t1"), std::nullopt);
  ASSERT_OK(
      Tx([&](UnitOfWork& u) { return u.SetCheckEstimate(TeamId("t1"), CheckId("k1"), At(5)); }));
  EXPECT_EQ(estimate("t1"), At(5));
  ASSERT_OK(
      Tx([&](UnitOfWork& u) { return u.SetCheckEstimate(TeamId("t1"), CheckId("k1"), At(5)); }));
  EXPECT_EQ(estimate("t1"), At(5));
  ASSERT_OK(
      Tx([&](UnitOfWork& u) { return u.SetCheckEstimate(TeamId("t1"), CheckId("k1"), At(8)); }));
  EXPECT_EQ(estimate("t1"), At(8));
  EXPECT_EQ(estimate("t2"), std::nullopt);
  ASSERT_OK(
      Tx([&](UnitOfWork& u) { return u.SetCheckEstimate(TeamId("t2"), CheckId("k1"), At(3)); }));
  EXPECT_EQ(estimate("t2"), At(3));
  EXPECT_EQ(estimate("t1"), At(8));
  // A read-only transaction refuses it.
  EXPECT_CODE(store_->Read([&](UnitOfWork& u) {
    return u.SetCheckEstimate(TeamId("t1"), CheckId("k1"), At(9));
  }),
              kFailedPrecondition);
  EXPECT_EQ(estimate("t1"), At(8));
}

TEST_F(StoreConformance, OneActiveCheckPerApplicationIsEnforcedByTheDatabase) {
  SeedTeam("t1");
  ASSERT_OK(
      Tx([&](UnitOfWork& u) { return u.InsertCheck(MakeCheck("t1", "k1", "t1-cand", "t1-app")); }));
  EXPECT_CODE(
      Tx([&](UnitOfWork& u) {
        return u.InsertCheck(MakeCheck("t1", "k2", "t1-cand", "t1-app", CheckStatus::kInvited));
      }),
      kAlreadyExists);
  // Terminal checks do not count; ad-hoc checks (no application) never clash.
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    if (auto s = u.InsertCheck(MakeCheck("t1", "k3", "t1-cand", "t1-app", CheckStatus::kError));
        !s.ok())
      return s;
    if (auto s = u.InsertCheck(MakeCheck("t1", "k4", "t1-cand", std::nullopt)); !s.ok()) return s;
    return u.InsertCheck(MakeCheck("t1", "k5", "t1-cand", std::nullopt));
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<std::optional<BackgroundCheck>> active =
        u.FindActiveCheck(TeamId("t1"), ApplicationId("t1-app"));
    if (!active.ok()) return active.status();
    EXPECT_TRUE(active->has_value() && (*active)->id == CheckId("k1"));
    // Re-opening the terminal one would make two active: refused, and the
    // transaction goes on.
    absl::StatusOr<BackgroundCheck> k3 = u.GetCheck(TeamId("t1"), CheckId("k3"));
    if (!k3.ok()) return k3.status();
    k3->status = CheckStatus::kInvited;
    EXPECT_CODE(u.UpdateCheck(*k3), kAlreadyExists);
    // Completing k1 frees the application for a new check.
    absl::StatusOr<BackgroundCheck> k1 = u.GetCheck(TeamId("t1"), CheckId("k1"));
    if (!k1.ok()) return k1.status();
    k1->status = CheckStatus::kComplete;
    if (auto s = u.UpdateCheck(*k1); !s.ok()) return s;
    return u.InsertCheck(MakeCheck("t1", "k6", "t1-cand", "t1-app", CheckStatus::kQueued, 6));
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<std::optional<BackgroundCheck>> active =
        u.FindActiveCheck(TeamId("t1"), ApplicationId("t1-app"));
    if (!active.ok()) return active.status();
    EXPECT_TRUE(active->has_value() && (*active)->id == CheckId("k6"));
    auto for_app = u.ListChecksForApplication(TeamId("t1"), ApplicationId("t1-app"));
    auto for_cand = u.ListChecksForCandidate(TeamId("t1"), CandidateId("t1-cand"));
    if (!for_app.ok() || !for_cand.ok()) return absl::InternalError("list failed");
    EXPECT_EQ(for_app->size(), 3u);
    EXPECT_EQ(for_cand->size(), 5u);
    if (!for_app->empty()) {
      EXPECT_EQ(for_app->front().id, CheckId("k6"));  // newest first
    }
    absl::StatusOr<std::optional<BackgroundCheck>> none =
        u.FindActiveCheck(TeamId("t1"), ApplicationId("other"));
    EXPECT_TRUE(none.ok() && !none->has_value());
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, CertnCaseIdIsUniqueAcrossTeams) {
  SeedTeam("t1");
  SeedTeam("t2");
  BackgroundCheck a = MakeCheck("t1", "k1", "t1-cand", std::nullopt);
  a.external_id = "case-1";
  BackgroundCheck b = MakeCheck("t2", "k1", "t2-cand", std::nullopt);
  b.external_id = "case-1";
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertCheck(a); }));
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.InsertCheck(b); }), kAlreadyExists);
  b.external_id = "case-2";
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertCheck(b); }));
  b.external_id = "case-1";
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.UpdateCheck(b); }), kAlreadyExists);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<BackgroundCheck> found = u.FindCheckByExternalId("case-2");
    EXPECT_TRUE(found.ok() && found->team == TeamId("t2"));
    return absl::OkStatus();
  }));
}

// A check of `team` with this Certn case, status and last update (quiet-check tests).
BackgroundCheck CaseCheck(std::string team, std::string id, std::optional<std::string> case_id,
                          CheckStatus status, int updated) {
  BackgroundCheck k = MakeCheck(team, id, team + "-cand", std::nullopt, status);
  k.external_id = std::move(case_id);
  k.updated_at = At(updated);
  return k;
}

TEST_F(StoreConformance, QuietChecksAreOpenCasesNotUpdatedSince) {
  SeedTeam("t1");
  SeedTeam("t2");
  auto check = CaseCheck;
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (const BackgroundCheck& k :
         {check("t1", "old", "c-old", CheckStatus::kInvited, 10),
          check("t2", "older", "c-older", CheckStatus::kInProgress, 5),
          check("t1", "fresh", "c-fresh", CheckStatus::kInvited, 100),
          check("t1", "done", "c-done", CheckStatus::kComplete, 1),
          check("t1", "nocase", std::nullopt, CheckStatus::kQueued, 1)}) {
      if (auto s = u.InsertCheck(k); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<std::vector<BackgroundCheck>> quiet = u.ListQuietChecks(At(50), 10);
    if (!quiet.ok()) return quiet.status();
    std::vector<std::string> ids;
    for (const auto& k : *quiet) ids.push_back(k.id.value());
    EXPECT_THAT(ids, ElementsAre("older", "old"));
    absl::StatusOr<std::vector<BackgroundCheck>> one = u.ListQuietChecks(At(50), 1);
    EXPECT_TRUE(one.ok() && one->size() == 1u);
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, QuietChecksOfOneTeamLeaveOtherTeamsOut) {
  SeedTeam("t1");
  SeedTeam("t2");
  auto check = CaseCheck;
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (const BackgroundCheck& k : {check("t1", "old", "c-old", CheckStatus::kInvited, 10),
                                     check("t2", "older", "c-older", CheckStatus::kInProgress, 5),
                                     check("t1", "oldest", "c-oldest", CheckStatus::kPartial, 2),
                                     check("t1", "fresh", "c-fresh", CheckStatus::kInvited, 100),
                                     check("t1", "done", "c-done", CheckStatus::kComplete, 1)}) {
      if (auto s = u.InsertCheck(k); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<std::vector<BackgroundCheck>> quiet =
        u.ListQuietChecksOfTeam(TeamId("t1"), At(50), 10);
    if (!quiet.ok()) return quiet.status();
    std::vector<std::string> ids;
    for (const auto& k : *quiet) ids.push_back(k.id.value());
    EXPECT_THAT(ids, ElementsAre("oldest", "old"));
    absl::StatusOr<std::vector<BackgroundCheck>> one =
        u.ListQuietChecksOfTeam(TeamId("t1"), At(50), 1);
    EXPECT_TRUE(one.ok() && one->size() == 1u);
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, ConnectedIntegrationsAreListedInTeamOrderWithTheirEventsCursor) {
  for (const char* team : {"t1", "t2", "t3", "t4"}) SeedTeam(team);
  auto integration = [](std::string team, ConnectionStatus status) {
    CertnIntegration i;
    i.team = TeamId(team);
    i.api_key_encrypted = "key-" + team;
    i.api_key_last4 = "abcd";
    i.webhook_secret_encrypted = "secret";
    i.status = status;
    i.updated_at = At(1);
    return i;
  };
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (const CertnIntegration& i : {integration("t3", ConnectionStatus::kConnected),
                                      integration("t1", ConnectionStatus::kConnected),
                                      integration("t2", ConnectionStatus::kInvalidKey),
                                      integration("t4", ConnectionStatus::kConnected)}) {
      if (auto s = CertnRows(u).UpsertIntegration(i); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    auto teams = [](const absl::StatusOr<std::vector<CertnIntegration>>& list) {
      std::vector<std::string> out;
      for (const CertnIntegration& i : list.value_or(std::vector<CertnIntegration>{}))
        out.push_back(i.team.value());
      return out;
    };
    EXPECT_THAT(teams(CertnRows(u).ListConnectedIntegrations(std::nullopt, 10)),
                ElementsAre("t1", "t3", "t4"));
    EXPECT_THAT(teams(CertnRows(u).ListConnectedIntegrations(std::nullopt, 2)),
                ElementsAre("t1", "t3"));
    EXPECT_THAT(teams(CertnRows(u).ListConnectedIntegrations(TeamId("t3"), 2)), ElementsAre("t4"));
    absl::StatusOr<std::vector<CertnIntegration>> all =
        CertnRows(u).ListConnectedIntegrations(std::nullopt, 10);
    EXPECT_TRUE(all.ok() && !all->front().events_cursor.has_value());
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, TheEventsCursorAdvancesOnlyFromWhereItStandsAndSurvivesEdits) {
  SeedTeam("t1");
  CertnIntegration i;
  i.team = TeamId("t1");
  i.api_key_encrypted = "sealed-key-1";
  i.api_key_last4 = "abcd";
  i.webhook_secret_encrypted = "secret";
  i.status = ConnectionStatus::kConnected;
  i.updated_at = At(1);
  ASSERT_OK(Tx([&](UnitOfWork& u) { return CertnRows(u).UpsertIntegration(i); }));
  auto cursor = [&]() {
    std::optional<std::string> out;
    EXPECT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
      absl::StatusOr<CertnIntegration> got = CertnRows(u).GetIntegration(TeamId("t1"));
      if (!got.ok()) return got.status();
      out = got->events_cursor;
      return absl::OkStatus();
    }));
    return out;
  };
  EXPECT_EQ(cursor(), std::nullopt);
  // From none to "" (the feed was read and was empty), then on.
  ASSERT_OK(Tx([&](UnitOfWork& u) {
    return CertnRows(u).AdvanceEventsCursor(TeamId("t1"), std::nullopt, "");
  }));
  EXPECT_EQ(cursor(), "");
  ASSERT_OK(Tx([&](UnitOfWork& u) {
    return CertnRows(u).AdvanceEventsCursor(TeamId("t1"), std::string(""), "41");
  }));
  EXPECT_EQ(cursor(), "41");
  // Another replica moved it: a stale compare-and-set changes nothing.
  EXPECT_CODE(Tx([&](UnitOfWork& u) {
                return CertnRows(u).AdvanceEventsCursor(TeamId("t1"), std::string(""), "40");
              }),
              kAborted);
  EXPECT_CODE(Tx([&](UnitOfWork& u) {
                return CertnRows(u).AdvanceEventsCursor(TeamId("t1"), std::nullopt, "40");
              }),
              kAborted);
  EXPECT_CODE(Tx([&](UnitOfWork& u) {
                return CertnRows(u).AdvanceEventsCursor(TeamId("t9"), std::nullopt, "1");
              }),
              kAborted);
  EXPECT_EQ(cursor(), "41");
  // An admin's edit (same key and region) keeps the reconciler's cursor...
  i.status_reason = "edited";
  i.events_cursor = std::nullopt;
  ASSERT_OK(Tx([&](UnitOfWork& u) { return CertnRows(u).UpsertIntegration(i); }));
  EXPECT_EQ(cursor(), "41");
  // ...and new credentials take the one they bring (none: another account's feed).
  i.api_key_encrypted = "sealed-key-2";
  ASSERT_OK(Tx([&](UnitOfWork& u) { return CertnRows(u).UpsertIntegration(i); }));
  EXPECT_EQ(cursor(), std::nullopt);
  ASSERT_OK(Tx([&](UnitOfWork& u) {
    return CertnRows(u).AdvanceEventsCursor(TeamId("t1"), std::nullopt, "7");
  }));
  i.region = CertnRegion::kApac;
  i.events_cursor = "3";
  ASSERT_OK(Tx([&](UnitOfWork& u) { return CertnRows(u).UpsertIntegration(i); }));
  EXPECT_EQ(cursor(), "3");
}

// ---- Feed and pagination --------------------------------------------------

TEST_F(StoreConformance, FeedIsNewestFirstWithKeysetPages) {
  SeedTeam("t1");
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (int i = 0; i < 7; ++i) {
      FeedEvent e;
      e.team = TeamId("t1");
      e.id = FeedEventId("e" + std::to_string(i));
      e.candidate = CandidateId("t1-cand");
      if (i % 2 == 0) e.check = CheckId("k1");
      e.application = ApplicationId("t1-app");
      // Two events share each second: the id breaks the tie.
      e.at = At(i / 2);
      e.type = "status_changed";
      e.actor = "system";
      e.message = "event " + std::to_string(i);
      if (auto s = u.AppendFeedEvent(e); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  PageRequest req{.limit = 3, .after = ""};
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<Page<FeedEvent>> page;
    ASSERT_OK(Tx([&](UnitOfWork& u) {
      page = u.ListFeed(TeamId("t1"), CandidateId("t1-cand"), req);
      return page.status();
    }));
    sizes.push_back(page->items.size());
    for (const FeedEvent& e : page->items) seen.push_back(e.id.value());
    if (page->next.empty()) break;
    req.after = page->next;
  }
  EXPECT_THAT(sizes, ElementsAre(3, 3, 1));
  EXPECT_THAT(seen, ElementsAre("e6", "e5", "e4", "e3", "e2", "e1", "e0"));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<Page<FeedEvent>> page =
        u.ListFeed(TeamId("t1"), CandidateId("t1-cand"), PageRequest{.limit = 1, .after = ""});
    if (!page.ok()) return page.status();
    EXPECT_EQ(page->items.at(0).check, CheckId("k1"));
    EXPECT_EQ(page->items.at(0).message, "event 6");
    EXPECT_CODE(u.ListFeed(TeamId("t1"), CandidateId("t1-cand"),
                           PageRequest{.limit = 3, .after = "not a cursor!"}),
                kInvalidArgument);
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, ListsPageThroughJobsAndCandidatesNewestFirst) {
  SeedTeam("t1");
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (int i = 1; i <= 5; ++i) {
      if (auto s = u.InsertJob(MakeJob("t1", "j" + std::to_string(i), i)); !s.ok()) return s;
      if (auto s = u.InsertCandidate(MakeCandidate("t1", "c" + std::to_string(i), i)); !s.ok())
        return s;
    }
    return absl::OkStatus();
  }));
  std::vector<std::string> jobs, candidates;
  PageRequest jreq{.limit = 2, .after = ""}, creq{.limit = 4, .after = ""};
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<Page<Job>> jp;
    ASSERT_OK(Tx([&](UnitOfWork& u) {
      jp = u.ListJobs(TeamId("t1"), jreq);
      return jp.status();
    }));
    for (const Job& j : jp->items) jobs.push_back(j.id.value());
    if (jp->next.empty()) break;
    jreq.after = jp->next;
  }
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<Page<Candidate>> cp;
    ASSERT_OK(Tx([&](UnitOfWork& u) {
      cp = u.ListCandidates(TeamId("t1"), creq);
      return cp.status();
    }));
    for (const Candidate& c : cp->items) candidates.push_back(c.id.value());
    if (cp->next.empty()) break;
    creq.after = cp->next;
  }
  EXPECT_THAT(jobs, ElementsAre("j5", "j4", "j3", "j2", "j1", "t1-job"));
  EXPECT_THAT(candidates, ElementsAre("c5", "c4", "c3", "c2", "c1", "t1-cand"));
}

// ---- Idempotency and deliveries --------------------------------------------

TEST_F(StoreConformance, IdempotencyKeysAreUniquePerTeam) {
  SeedTeam("t1");
  SeedTeam("t2");
  IdempotencyRecord r{TeamId("t1"), "key-1", "POST /x abc", 201, "{\"id\":\"1\"}", At(1)};
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<std::optional<IdempotencyRecord>> none = u.GetIdempotency(TeamId("t1"), "key-1");
    EXPECT_TRUE(none.ok() && !none->has_value());
    return u.PutIdempotency(r);
  }));
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.PutIdempotency(r); }), kAlreadyExists);
  IdempotencyRecord other = r;
  other.team = TeamId("t2");
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.PutIdempotency(other); }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<std::optional<IdempotencyRecord>> got = u.GetIdempotency(TeamId("t1"), "key-1");
    if (!got.ok()) return got.status();
    EXPECT_TRUE(got->has_value());
    if (got->has_value()) {
      EXPECT_EQ((*got)->request_fingerprint, "POST /x abc");
      EXPECT_EQ((*got)->status_code, 201);
      EXPECT_EQ((*got)->response_body, "{\"id\":\"1\"}");
      EXPECT_EQ((*got)->created_at, At(1));
    }
    return absl::OkStatus();
  }));
}

WebhookDelivery MakeDelivery(std::optional<std::string> team, const std::string& id, int at,
                             DeliveryVerdict verdict = DeliveryVerdict::kApplied,
                             const std::string& case_id = "case-1") {
  WebhookDelivery d;
  if (team) d.team = TeamId(*team);
  d.delivery_id = id;
  d.received_at = At(at);
  d.scheme = "certn-signature";
  d.event_type = "CASE_STATUS_CHANGED";
  d.object_type = "CASE";
  d.object_id = case_id;
  d.body = std::string("{\"id\":\"") + id + "\"}";
  d.headers = "Certn-Team-ID: certn-" + id + "\nCertn-Signature: t=1,v1=ab\n";
  d.verdict = verdict;
  return d;
}

// A burst's deliveries in few statements (16, then 4 rows here): each row
// stored as InsertDelivery stores it, and a copy already stored, or a
// second copy within the batch, reported as not inserted.
TEST_F(StoreConformance, InsertDeliveriesStoresABatchAndReportsTheDuplicates) {
  SeedTeam("t1");
  SeedTeam("t2");
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertDelivery(MakeDelivery("t1", "known", 0)); }));
  std::vector<WebhookDelivery> batch;
  for (int i = 0; i < 17; ++i) batch.push_back(MakeDelivery("t1", absl::StrCat("b", i), i + 1));
  batch.push_back(MakeDelivery("t1", "known", 30));  // stored before
  batch.push_back(MakeDelivery("t1", "b3", 31));     // a second copy
  batch.push_back(MakeDelivery("t2", "b3", 32, DeliveryVerdict::kOrphan, "case-9"));  // t2's own
  std::vector<const WebhookDelivery*> rows;
  for (const WebhookDelivery& d : batch) rows.push_back(&d);
  std::vector<bool> inserted;
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(inserted, u.InsertDeliveries(rows));
    return absl::OkStatus();
  }));
  ASSERT_EQ(inserted.size(), batch.size());
  for (int i = 0; i < 17; ++i) EXPECT_TRUE(inserted[i]) << "b" << i;
  EXPECT_FALSE(inserted[17]) << "stored before";
  EXPECT_FALSE(inserted[18]) << "a second copy within the batch";
  EXPECT_TRUE(inserted[19]) << "the same Certn id for another team";
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(WebhookDelivery b3, u.GetDelivery(TeamId("t1"), "b3"));
    EXPECT_EQ(b3.received_at, At(4)) << "the first copy is the one kept";
    EXPECT_EQ(b3.body, batch[3].body);
    EXPECT_EQ(b3.headers, batch[3].headers);
    EXPECT_EQ(b3.verdict, DeliveryVerdict::kApplied);
    ASSIGN_OR_RETURN(WebhookDelivery other, u.GetDelivery(TeamId("t2"), "b3"));
    EXPECT_EQ(other.verdict, DeliveryVerdict::kOrphan);
    EXPECT_EQ(other.object_id, "case-9");
    ASSIGN_OR_RETURN(WebhookDelivery known, u.GetDelivery(TeamId("t1"), "known"));
    EXPECT_EQ(known.received_at, At(0)) << "a stored delivery is never overwritten";
    ASSIGN_OR_RETURN(std::vector<WebhookDelivery> all, u.ListDeliveries(std::nullopt, 100));
    EXPECT_EQ(all.size(), 19u);
    return absl::OkStatus();
  }));
  // A run whose last row is a copy, and a run of copies only: the rows
  // stored are told apart from the copies whatever their order.
  std::vector<WebhookDelivery> tail_copy = {MakeDelivery("t1", "late", 33),
                                            MakeDelivery("t1", "b5", 34)};
  std::vector<WebhookDelivery> copies = {MakeDelivery("t1", "b6", 35),
                                         MakeDelivery("t1", "known", 36)};
  for (const auto& [run, expected] : {std::pair{&tail_copy, std::vector<bool>{true, false}},
                                      std::pair{&copies, std::vector<bool>{false, false}}}) {
    std::vector<const WebhookDelivery*> run_rows;
    for (const WebhookDelivery& d : *run) run_rows.push_back(&d);
    ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
      ASSIGN_OR_RETURN(std::vector<bool> stored, u.InsertDeliveries(run_rows));
      EXPECT_EQ(stored, expected) << run->front().delivery_id;
      return absl::OkStatus();
    }));
  }
  // One delivery nobody verified refuses the whole batch: nothing is stored.
  std::vector<WebhookDelivery> mixed = {
      MakeDelivery("t1", "fresh", 40),
      MakeDelivery("t1", "unverified", 41, DeliveryVerdict::kUnverified)};
  std::vector<const WebhookDelivery*> mixed_rows = {&mixed[0], &mixed[1]};
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.InsertDeliveries(mixed_rows).status(); }),
              kInvalidArgument);
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.GetDelivery(TeamId("t1"), "fresh").status(); }),
              kNotFound);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<bool> none, u.InsertDeliveries({}));
    EXPECT_TRUE(none.empty());
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, DeliveriesAreUniquePerTeamAndListNewestFirst) {
  SeedTeam("t1");
  SeedTeam("t2");
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (const WebhookDelivery& d :
         {MakeDelivery("t1", "d1", 1), MakeDelivery("t1", "d2", 2, DeliveryVerdict::kOrphan),
          MakeDelivery("t1", "d3", 3, DeliveryVerdict::kOrphan, "case-2"),
          MakeDelivery("t2", "d1", 4)}) {  // the same Certn id for another team
      if (auto s = u.InsertDelivery(d); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.InsertDelivery(MakeDelivery("t1", "d1", 9)); }),
              kAlreadyExists);
  // A delivery nobody could verify is never stored (docs/architecture.md, "Webhook").
  EXPECT_CODE(
      Tx([&](UnitOfWork& u) {
        return u.InsertDelivery(MakeDelivery(std::nullopt, "dx", 5, DeliveryVerdict::kUnverified));
      }),
      kInvalidArgument);
  EXPECT_CODE(Tx([&](UnitOfWork& u) {
                return u.InsertDelivery(MakeDelivery("t1", "dy", 6, DeliveryVerdict::kUnverified));
              }),
              kInvalidArgument);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    auto ids = [](const absl::StatusOr<std::vector<WebhookDelivery>>& list) {
      std::vector<std::string> out;
      if (list.ok()) {
        for (const auto& d : *list) {
          out.push_back((d.team ? d.team->value() : std::string("-")) + "/" + d.delivery_id);
        }
      }
      return out;
    };
    EXPECT_THAT(ids(u.ListDeliveries(TeamId("t1"), 10)), ElementsAre("t1/d3", "t1/d2", "t1/d1"));
    EXPECT_THAT(ids(u.ListDeliveries(std::nullopt, 3)), ElementsAre("t2/d1", "t1/d3", "t1/d2"));
    EXPECT_THAT(ids(u.ListOrphans(TeamId("t1"), "case-1")), ElementsAre("t1/d2"));
    EXPECT_THAT(ids(u.ListOrphans(TeamId("t2"), "case-1")), IsEmpty());
    EXPECT_EQ(u.GetDelivery(TeamId("t1"), "d2").value().headers,
              "Certn-Team-ID: certn-d2\nCertn-Signature: t=1,v1=ab\n");
    if (auto s =
            u.UpdateDeliveryVerdict(TeamId("t1"), "d2", DeliveryVerdict::kApplied, CheckId("k1"));
        !s.ok())
      return s;
    EXPECT_THAT(ids(u.ListOrphans(TeamId("t1"), "case-1")), IsEmpty());
    absl::StatusOr<WebhookDelivery> d2 = u.GetDelivery(TeamId("t1"), "d2");
    if (!d2.ok()) return d2.status();
    EXPECT_EQ(d2->verdict, DeliveryVerdict::kApplied);
    EXPECT_EQ(d2->check, CheckId("k1"));
    EXPECT_EQ(d2->body, "{\"id\":\"d2\"}");
    EXPECT_EQ(d2->scheme, "certn-signature");
    EXPECT_EQ(d2->received_at, At(2));
    EXPECT_CODE(u.GetDelivery(TeamId("t1"), "nope"), kNotFound);
    EXPECT_CODE(
        u.UpdateDeliveryVerdict(TeamId("t2"), "d2", DeliveryVerdict::kApplied, std::nullopt),
        kNotFound);
    return absl::OkStatus();
  }));
}

// ---- Durable work ---------------------------------------------------------

TEST_F(StoreConformance, EnqueueIsANoOpForAPendingDedupeKey) {
  SeedTeam("t1");
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.EnqueueWork(MakeWork("t1", "w1", "order:k1")); }));
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.EnqueueWork(MakeWork("t1", "w2", "order:k1")); }));
  // Reusing an id is an error, not a dedupe.
  EXPECT_CODE(Tx([&](UnitOfWork& u) { return u.EnqueueWork(MakeWork("t1", "w1", "other")); }),
              kAlreadyExists);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_EQ(u.CountWork("pending").value_or(-1), 1);
    // Once done, the key may be used again.
    if (auto s = u.CompleteWork(TeamId("t1"), WorkItemId("w1")); !s.ok()) return s;
    if (auto s = u.EnqueueWork(MakeWork("t1", "w3", "order:k1")); !s.ok()) return s;
    EXPECT_EQ(u.CountWork("pending").value_or(-1), 1);
    EXPECT_EQ(u.CountWork("done").value_or(-1), 1);
    return absl::OkStatus();
  }));
}

// Whether the twin is looked for before the INSERT or only after it met a
// conflict, the answers are the same.
TEST_F(StoreConformance, EnqueueUnlessPendingTellsWhenTheTwinThatCoversItIsDue) {
  for (const auto& [team, check] : {std::pair{"t1", UnitOfWork::TwinCheck::kLookFirst},
                                    std::pair{"t2", UnitOfWork::TwinCheck::kInsertFirst}}) {
    SCOPED_TRACE(team);
    SeedTeam(team);
    ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
      ASSIGN_OR_RETURN(UnitOfWork::Enqueued first,
                       u.EnqueueWorkUnlessPending(MakeWork(team, "w1", "fetch:k1", 30), check));
      EXPECT_TRUE(first.queued);
      EXPECT_EQ(first.run_at, At(30));
      // A later twin is covered by the first, and learns when that one runs.
      ASSIGN_OR_RETURN(UnitOfWork::Enqueued twin,
                       u.EnqueueWorkUnlessPending(MakeWork(team, "w2", "fetch:k1", 45), check));
      EXPECT_FALSE(twin.queued);
      EXPECT_EQ(twin.run_at, At(30));
      // Reusing an id is still an error.
      EXPECT_CODE(u.EnqueueWorkUnlessPending(MakeWork(team, "w1", "fetch:k2", 30), check),
                  kAlreadyExists);
      EXPECT_EQ(u.CountWork("pending").value_or(-1), team == std::string("t1") ? 1 : 2);
      return absl::OkStatus();
    }));
  }
}

TEST_F(StoreConformance, PendingDueFindsEachKeysPendingTwinInOneLookUp) {
  SeedTeam("t1");
  SeedTeam("t2");
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (const WorkItem& w :
         {MakeWork("t1", "w1", "fetch:a", 30), MakeWork("t2", "w2", "fetch:a", 40),
          MakeWork("t1", "w3", "fetch:claimed", 10), MakeWork("t1", "w4", "fetch:done", 20)}) {
      if (auto s = u.EnqueueWork(w); !s.ok()) return s;
    }
    // A claimed item has released its key; a completed one is no twin.
    if (auto s = u.ClaimWorkItem(TeamId("t1"), WorkItemId("w3"), "w", At(1000)); !s.ok()) return s;
    return u.CompleteWork(TeamId("t1"), WorkItemId("w4"));
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    // Keys asked twice, of two teams, with and without a pending item, and
    // more of them than one statement takes (rows::kMaxRun).
    std::vector<UnitOfWork::DedupeKey> keys = {
        {TeamId("t1"), "fetch:a"},       {TeamId("t2"), "fetch:a"},    {TeamId("t1"), "fetch:a"},
        {TeamId("t1"), "fetch:claimed"}, {TeamId("t1"), "fetch:done"}, {TeamId("t2"), "fetch:none"},
        {TeamId("t3"), "fetch:a"}};
    for (int i = 0; i < 20; ++i) keys.emplace_back(TeamId("t1"), absl::StrCat("fetch:x", i));
    ASSIGN_OR_RETURN(auto due, u.PendingDue(keys));
    EXPECT_EQ(due.size(), 2u);
    EXPECT_EQ(due[UnitOfWork::DedupeKey(TeamId("t1"), "fetch:a")], At(30));
    EXPECT_EQ(due[UnitOfWork::DedupeKey(TeamId("t2"), "fetch:a")], At(40));
    ASSIGN_OR_RETURN(auto none, u.PendingDue({}));
    EXPECT_TRUE(none.empty());
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, OldestDueWorkIsTheLongestWaitingPendingItemLeasedOrNot) {
  SeedTeam("t1");
  SeedTeam("t2");
  auto oldest = [&](absl::Time now) {
    std::optional<absl::Time> got;
    EXPECT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
      absl::StatusOr<std::optional<absl::Time>> due = u.OldestDueWork(now);
      if (!due.ok()) return due.status();
      got = *due;
      return absl::OkStatus();
    }));
    return got;
  };
  EXPECT_EQ(oldest(At(100)), std::nullopt);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (const WorkItem& w :
         {MakeWork("t1", "w5", std::nullopt, 5), MakeWork("t2", "w7", std::nullopt, 7),
          MakeWork("t1", "later", std::nullopt, 50)}) {
      if (auto s = u.EnqueueWork(w); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(oldest(At(1)), std::nullopt);  // nothing due yet
  EXPECT_EQ(oldest(At(10)), At(5));
  // A worker holding the item does not make it less overdue.
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.ClaimWork(At(10), "w", At(1000), 1).status(); }));
  EXPECT_EQ(oldest(At(10)), At(5));
  // Done (or deferred) items no longer count.
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.CompleteWork(TeamId("t1"), WorkItemId("w5")); }));
  EXPECT_EQ(oldest(At(10)), At(7));
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.DeferWork(TeamId("t2"), WorkItemId("w7"), At(60)); }));
  EXPECT_EQ(oldest(At(10)), std::nullopt);
  EXPECT_EQ(oldest(At(60)), At(50));
}

TEST_F(StoreConformance, ClaimWorkLeasesDueItemsAndReleasesExpiredLeases) {
  SeedTeam("t1");
  SeedTeam("t2");
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (const WorkItem& w :
         {MakeWork("t1", "w1", std::nullopt, 0), MakeWork("t2", "w2", std::nullopt, 1),
          MakeWork("t1", "later", std::nullopt, 100)}) {
      if (auto s = u.EnqueueWork(w); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  auto claim = [&](absl::Time now, const std::string& owner, absl::Time until, int limit) {
    absl::StatusOr<std::vector<WorkItem>> items;
    EXPECT_OK(Tx([&](UnitOfWork& u) {
      items = u.ClaimWork(now, owner, until, limit);
      return items.status();
    }));
    std::vector<std::string> ids;
    if (items.ok()) {
      for (const WorkItem& w : *items)
        ids.push_back(w.id.value() + "#" + std::to_string(w.attempts));
    }
    return ids;
  };
  EXPECT_THAT(claim(At(10), "a", At(40), 1), ElementsAre("w1#1"));
  EXPECT_THAT(claim(At(10), "b", At(40), 10), ElementsAre("w2#1"));
  // Leased items are not due again until their lease runs out.
  EXPECT_THAT(claim(At(20), "c", At(60), 10), IsEmpty());
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.CompleteWork(TeamId("t1"), WorkItemId("w1")); }));
  // b died: at 40 its lease expired and w2 is claimable again.
  EXPECT_THAT(claim(At(40), "c", At(70), 10), ElementsAre("w2#2"));
  ASSERT_OK(Tx([&](UnitOfWork& u) {
    return u.RetryWork(TeamId("t2"), WorkItemId("w2"), At(90), "certn 503");
  }));
  EXPECT_THAT(claim(At(80), "d", At(85), 10), IsEmpty());
  EXPECT_THAT(claim(At(100), "d", At(130), 10), ElementsAre("w2#3", "later#1"));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    if (auto s = u.FailWork(TeamId("t2"), WorkItemId("w2"), "gave up"); !s.ok()) return s;
    if (auto s = u.CompleteWork(TeamId("t1"), WorkItemId("later")); !s.ok()) return s;
    EXPECT_EQ(u.CountWork("failed").value_or(-1), 1);
    EXPECT_EQ(u.CountWork("done").value_or(-1), 2);
    EXPECT_EQ(u.CountWork("pending").value_or(-1), 0);
    EXPECT_CODE(u.CompleteWork(TeamId("t1"), WorkItemId("nope")), kNotFound);
    EXPECT_CODE(u.RetryWork(TeamId("t2"), WorkItemId("w2"), At(1), "not pending"), kNotFound);
    EXPECT_CODE(u.FailWork(TeamId("t1"), WorkItemId("w2"), "wrong team"), kNotFound);
    return absl::OkStatus();
  }));
  // Claiming releases the dedupe key: the same key enqueued while the first
  // item runs is a new item (its event may postdate what the run read).
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.EnqueueWork(MakeWork("t1", "w10", "k10", 0)); }));
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.EnqueueWork(MakeWork("t1", "w11", "k10", 0)); }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<std::vector<WorkItem>> items = u.ClaimWork(At(50), "f", At(60), 10);
    if (!items.ok()) return items.status();
    // One item held k10 (w11 was its twin); the claim released the key.
    EXPECT_EQ(std::count_if(items->begin(), items->end(),
                            [](const WorkItem& w) { return w.id == WorkItemId("w10"); }),
              1);
    EXPECT_EQ(std::count_if(items->begin(), items->end(),
                            [](const WorkItem& w) { return w.id == WorkItemId("w11"); }),
              0);
    EXPECT_TRUE(std::none_of(items->begin(), items->end(),
                             [](const WorkItem& w) { return w.dedupe_key.has_value(); }));
    return absl::OkStatus();
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.EnqueueWork(MakeWork("t1", "w12", "k10", 0)); }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<std::vector<WorkItem>> items = u.ClaimWork(At(55), "g", At(65), 10);
    if (!items.ok()) return items.status();
    EXPECT_TRUE(std::any_of(items->begin(), items->end(),
                            [](const WorkItem& w) { return w.id == WorkItemId("w12"); }));
    if (auto st = u.CompleteWork(TeamId("t1"), WorkItemId("w10")); !st.ok()) return st;
    return u.CompleteWork(TeamId("t1"), WorkItemId("w12"));
  }));

  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    if (auto s = u.EnqueueWork(MakeWork("t1", "w9", "k9", 0)); !s.ok()) return s;
    return absl::OkStatus();
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) {
    return u.RetryWork(TeamId("t1"), WorkItemId("w9"), At(200), "timeout");
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    absl::StatusOr<std::vector<WorkItem>> items = u.ClaimWork(At(300), "e", At(400), 1);
    if (!items.ok()) return items.status();
    EXPECT_EQ(items->size(), 1u);
    if (!items->empty()) {
      const WorkItem& w = items->front();
      EXPECT_EQ(w.id, WorkItemId("w9"));
      EXPECT_EQ(w.payload, MakeWork("t1", "w9").payload);
      EXPECT_EQ(w.last_error, "timeout");
      EXPECT_EQ(w.dedupe_key, std::nullopt) << "released by the claim";
      EXPECT_EQ(w.attempts, 1) << "this run counted";
      EXPECT_EQ(w.kind, "certn.order");
      EXPECT_EQ(w.state, "pending");
      EXPECT_EQ(w.run_at, At(200));
    }
    return absl::OkStatus();
  }));
}

// A deferred item (refused by a rate limit) is due again at its new time,
// free for any claimer, and the run that was deferred is not counted.
TEST_F(StoreConformance, DeferWorkReschedulesWithoutCountingTheAttempt) {
  SeedTeam("t1");
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.EnqueueWork(MakeWork("t1", "w1")); }));
  auto claim = [&](absl::Time now, const std::string& owner) {
    absl::StatusOr<std::vector<WorkItem>> items;
    EXPECT_OK(Tx([&](UnitOfWork& u) {
      items = u.ClaimWork(now, owner, now + absl::Seconds(100), 10);
      return items.status();
    }));
    return items.ok() ? *items : std::vector<WorkItem>{};
  };
  for (int round = 0; round < 3; ++round) {
    std::vector<WorkItem> got = claim(At(10 * (round + 1)), "a");
    ASSERT_EQ(got.size(), 1u) << round;
    EXPECT_EQ(got[0].attempts, 1) << "a deferral must not count as an attempt";
    ASSERT_OK(Tx([&](UnitOfWork& u) {
      return u.DeferWork(TeamId("t1"), WorkItemId("w1"), At(10 * (round + 2)));
    }));
    // Not due before its new time, even for another owner; due at it.
    EXPECT_TRUE(claim(At(10 * (round + 2) - 1), "b").empty());
  }
  std::vector<WorkItem> last = claim(At(40), "b");
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].attempts, 1);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_OK(u.CompleteWork(TeamId("t1"), WorkItemId("w1")));
    EXPECT_CODE(u.DeferWork(TeamId("t1"), WorkItemId("w1"), At(50)),
                kNotFound);  // done: not pending
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, ConcurrentClaimersGetDisjointItems) {
  SeedTeam("t1");
  constexpr int kItems = 40;
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (int i = 0; i < kItems; ++i) {
      if (auto s = u.EnqueueWork(MakeWork("t1", "w" + std::to_string(i))); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  // Two replicas: two stores on the same database.
  absl::StatusOr<std::unique_ptr<Store>> second = db_->Open();
  ASSERT_TRUE(second.ok()) << second.status();
  std::vector<std::string> got[2];
  std::latch start(2);
  auto worker = [&](Store* store, std::vector<std::string>* out, std::string owner) {
    start.arrive_and_wait();
    for (;;) {
      absl::StatusOr<std::vector<WorkItem>> items;
      absl::Status s = store->Transact([&](UnitOfWork& u) {
        items = u.ClaimWork(At(10), owner, At(1000), 3);
        return items.status();
      });
      if (!s.ok() || items->empty()) {
        EXPECT_OK(s);
        return;
      }
      for (const WorkItem& w : *items) out->push_back(w.id.value());
    }
  };
  std::thread a(worker, store_.get(), &got[0], "a");
  std::thread b(worker, second->get(), &got[1], "b");
  a.join();
  b.join();
  std::set<std::string> all(got[0].begin(), got[0].end());
  for (const std::string& id : got[1]) {
    EXPECT_TRUE(all.insert(id).second) << id << " was claimed twice";
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kItems));
}

// ---- The shared call budget ----------------------------------------------

absl::StatusOr<CallSlot> TakeSlot(Store& store, int64_t account, absl::Time now,
                                  const CallLimits& limits) {
  return SharedCallBudget(store).TryTake(account, now, limits);
}

TEST_F(StoreConformance, CallBudgetGrantsAWindowsWorthThenSaysWhenTheOldestLeaves) {
  const CallLimits limits{.per_window = 3, .window = absl::Seconds(60), .per_day = 100};
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<CallSlot> slot = TakeSlot(*store_, 7, At(i), limits);
    ASSERT_TRUE(slot.ok()) << slot.status();
    EXPECT_EQ(slot->wait, absl::ZeroDuration()) << "call " << i;
  }
  absl::StatusOr<CallSlot> refused = TakeSlot(*store_, 7, At(10), limits);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->wait, absl::Seconds(50));  // the grant at 0 leaves at 60
  EXPECT_FALSE(refused->day_spent);
  // Another account has a budget of its own.
  EXPECT_EQ(TakeSlot(*store_, 8, At(10), limits)->wait, absl::ZeroDuration());
  // Once the oldest grant has left the window, one more call fits, not two.
  EXPECT_EQ(TakeSlot(*store_, 7, At(60), limits)->wait, absl::ZeroDuration());
  EXPECT_EQ(TakeSlot(*store_, 7, At(60), limits)->wait, absl::Seconds(1));
}

TEST_F(StoreConformance, CallBudgetRefusesForTheRestOfTheUtcDayOnceTheDayIsSpent) {
  const CallLimits limits{.per_window = 100, .window = absl::Seconds(60), .per_day = 2};
  const absl::Time midnight = UtcDayStart(At(0)) + absl::Hours(24);
  const absl::Time late = midnight - absl::Hours(1);
  EXPECT_EQ(TakeSlot(*store_, 7, late, limits)->wait, absl::ZeroDuration());
  EXPECT_EQ(TakeSlot(*store_, 7, late + absl::Minutes(5), limits)->wait, absl::ZeroDuration());
  absl::StatusOr<CallSlot> spent = TakeSlot(*store_, 7, late + absl::Minutes(10), limits);
  ASSERT_TRUE(spent.ok()) << spent.status();
  EXPECT_TRUE(spent->day_spent);
  EXPECT_EQ(spent->wait, absl::Minutes(50));  // until 00:00 UTC
  absl::StatusOr<CallSlot> tomorrow = TakeSlot(*store_, 7, midnight, limits);
  ASSERT_TRUE(tomorrow.ok()) << tomorrow.status();
  EXPECT_EQ(tomorrow->wait, absl::ZeroDuration());
  EXPECT_FALSE(tomorrow->day_spent);
}

TEST_F(StoreConformance, CallBudgetHoldsAcrossTwoStoresTakingAtOnce) {
  // Two replicas: two stores on one database, each asking 40 times in the
  // same instant for a budget of 25.
  absl::StatusOr<std::unique_ptr<Store>> second = db_->Open();
  ASSERT_TRUE(second.ok()) << second.status();
  const CallLimits limits{.per_window = 25, .window = absl::Seconds(60), .per_day = 1000};
  std::atomic<int> granted{0}, refused{0}, failed{0};
  std::latch start(2);
  auto replica = [&](Store* store) {
    start.arrive_and_wait();
    for (int i = 0; i < 40; ++i) {
      absl::StatusOr<CallSlot> slot = TakeSlot(*store, 7, At(5), limits);
      if (!slot.ok()) {
        ++failed;
      } else if (slot->wait == absl::ZeroDuration()) {
        ++granted;
      } else {
        ++refused;
      }
    }
  };
  std::thread a(replica, store_.get());
  std::thread b(replica, second->get());
  a.join();
  b.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(granted.load(), 25);
  EXPECT_EQ(refused.load(), 55);
}

// ---- Transactions ---------------------------------------------------------

TEST_F(StoreConformance, FailedWorkRollsBackEverything) {
  absl::Status s = Tx([&](UnitOfWork& u) -> absl::Status {
    if (auto st = u.InsertTeam(MakeTeam("t1")); !st.ok()) return st;
    if (auto st = u.InsertCandidate(MakeCandidate("t1", "c1")); !st.ok()) return st;
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_CODE(s, kFailedPrecondition);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_CODE(u.GetTeam(TeamId("t1")), kNotFound);
    EXPECT_CODE(u.GetCandidate(TeamId("t1"), CandidateId("c1")), kNotFound);
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, ConstraintViolationLeavesNothingHalfWritten) {
  SeedTeam("t1");
  ASSERT_OK(
      Tx([&](UnitOfWork& u) { return u.InsertCheck(MakeCheck("t1", "k1", "t1-cand", "t1-app")); }));
  // A request that writes a candidate, then trips the one-active rule and
  // gives up: the candidate must not be there.
  absl::Status s = Tx([&](UnitOfWork& u) -> absl::Status {
    if (auto st = u.InsertCandidate(MakeCandidate("t1", "c2")); !st.ok()) return st;
    return u.InsertCheck(MakeCheck("t1", "k2", "t1-cand", "t1-app"));
  });
  EXPECT_CODE(s, kAlreadyExists);
  // A request that handles the refusal and goes on commits its other writes.
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_CODE(u.GetCandidate(TeamId("t1"), CandidateId("c2")), kNotFound);
    EXPECT_CODE(u.InsertCheck(MakeCheck("t1", "k2", "t1-cand", "t1-app")), kAlreadyExists);
    EXPECT_CODE(u.InsertTeam(MakeTeam("t1")), kAlreadyExists);
    return u.InsertCandidate(MakeCandidate("t1", "c3"));
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_TRUE(u.GetCandidate(TeamId("t1"), CandidateId("c3")).ok());
    EXPECT_CODE(u.GetCheck(TeamId("t1"), CheckId("k2")), kNotFound);
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, BatchPiecesFailAlone) {
  SeedTeam("t1");
  ASSERT_OK(Tx([&](UnitOfWork& u) { return u.InsertDelivery(MakeDelivery("t1", "dup", 0)); }));
  std::vector<std::function<absl::Status(UnitOfWork&)>> pieces;
  pieces.push_back([](UnitOfWork& u) { return u.InsertDelivery(MakeDelivery("t1", "d1", 1)); });
  // Writes, then fails on a duplicate: its first write must vanish too.
  pieces.push_back([](UnitOfWork& u) -> absl::Status {
    if (auto s = u.InsertDelivery(MakeDelivery("t1", "d2", 2)); !s.ok()) return s;
    return u.InsertDelivery(MakeDelivery("t1", "dup", 3));
  });
  // Fails on its own terms after writing.
  pieces.push_back([](UnitOfWork& u) -> absl::Status {
    if (auto s = u.InsertDelivery(MakeDelivery("t1", "d3", 3)); !s.ok()) return s;
    return absl::InvalidArgumentError("bad piece");
  });
  pieces.push_back([](UnitOfWork& u) { return u.InsertDelivery(MakeDelivery("t1", "d4", 4)); });
  std::vector<absl::Status> out = store_->TransactBatch(pieces);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_OK(out[0]);
  EXPECT_CODE(out[1], kAlreadyExists);
  EXPECT_CODE(out[2], kInvalidArgument);
  EXPECT_OK(out[3]);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_TRUE(u.GetDelivery(TeamId("t1"), "d1").ok());
    EXPECT_CODE(u.GetDelivery(TeamId("t1"), "d2"), kNotFound);
    EXPECT_CODE(u.GetDelivery(TeamId("t1"), "d3"), kNotFound);
    EXPECT_TRUE(u.GetDelivery(TeamId("t1"), "d4").ok());
    return absl::OkStatus();
  }));
  EXPECT_THAT(store_->TransactBatch({}), IsEmpty());
  // A lone failing piece: its own error, and its write is gone.
  std::vector<absl::Status> lone = store_->TransactBatch({[](UnitOfWork& u) -> absl::Status {
    if (auto s = u.InsertDelivery(MakeDelivery("t1", "lone", 5)); !s.ok()) return s;
    return absl::InvalidArgumentError("bad lone piece");
  }});
  ASSERT_EQ(lone.size(), 1u);
  EXPECT_CODE(lone[0], kInvalidArgument);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_CODE(u.GetDelivery(TeamId("t1"), "lone"), kNotFound);
    return absl::OkStatus();
  }));
}

TEST_F(StoreConformance, ConcurrentPlanSavesLetExactlyOneWin) {
  SeedTeam("t1");
  absl::StatusOr<std::unique_ptr<Store>> second = db_->Open();
  ASSERT_TRUE(second.ok()) << second.status();
  constexpr int kWriters = 4;
  std::latch start(kWriters);
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      InterviewPlan plan = SamplePlan("t1", "t1-job", 0);
      start.arrive_and_wait();
      Store* store = i % 2 == 0 ? store_.get() : second->get();
      results[i] = store->Transact([&](UnitOfWork& u) { return u.SavePlan(plan); });
    });
  }
  for (std::thread& t : threads) t.join();
  int ok = 0;
  for (const absl::Status& s : results) {
    if (s.ok()) {
      ++ok;
    } else {
      EXPECT_CODE(s, kAborted);
    }
  }
  EXPECT_EQ(ok, 1);
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_EQ(u.GetPlan(TeamId("t1"), JobId("t1-job")).value().version(), 1);
    return absl::OkStatus();
  }));
}

// Replicas rewrite one candidate's tags and one check's results at the same
// time (a recruiter's edit and a status change; a webhook and a fetch). Read
// for update, every write survives; a plain read would let PostgreSQL's READ
// COMMITTED drop some of them.
TEST_F(StoreConformance, ConcurrentReadModifyWritesLoseNothing) {
  SeedTeam("t1");
  ASSERT_OK(
      Tx([&](UnitOfWork& u) { return u.InsertCheck(MakeCheck("t1", "k1", "t1-cand", "t1-app")); }));
  absl::StatusOr<std::unique_ptr<Store>> second = db_->Open();
  ASSERT_TRUE(second.ok()) << second.status();
  constexpr int kWriters = 4;
  constexpr int kRounds = 10;
  std::latch start(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      Store* store = i % 2 == 0 ? store_.get() : second->get();
      start.arrive_and_wait();
      for (int round = 0; round < kRounds; ++round) {
        const std::string mark = absl::StrCat("w", i, "-", round);
        EXPECT_OK(store->Transact([&](UnitOfWork& u) -> absl::Status {
          absl::StatusOr<Candidate> c =
              u.GetCandidateForUpdate(TeamId("t1"), CandidateId("t1-cand"));
          if (!c.ok()) return c.status();
          c->tags.push_back(mark);
          if (auto s = u.UpdateCandidate(*c); !s.ok()) return s;
          absl::StatusOr<BackgroundCheck> k = u.GetCheckForUpdate(TeamId("t1"), CheckId("k1"));
          if (!k.ok()) return k.status();
          k->results.push_back(CheckResult{mark, "COMPLETE", std::nullopt, std::nullopt});
          return u.UpdateCheck(*k);
        }));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    Candidate c = u.GetCandidate(TeamId("t1"), CandidateId("t1-cand")).value();
    BackgroundCheck k = u.GetCheck(TeamId("t1"), CheckId("k1")).value();
    std::set<std::string> tags(c.tags.begin(), c.tags.end());
    std::set<std::string> results;
    for (const CheckResult& r : k.results) results.insert(r.check_type);
    for (int i = 0; i < kWriters; ++i) {
      for (int round = 0; round < kRounds; ++round) {
        const std::string mark = absl::StrCat("w", i, "-", round);
        EXPECT_TRUE(tags.contains(mark)) << mark << " was lost from the candidate's tags";
        EXPECT_TRUE(results.contains(mark)) << mark << " was lost from the check's results";
      }
    }
    EXPECT_EQ(k.results.size(), static_cast<size_t>(kWriters * kRounds));
    return absl::OkStatus();
  }));
  // A missing row is NotFound through the locking reads too.
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_CODE(u.GetCheckForUpdate(TeamId("t1"), CheckId("nope")), kNotFound);
    EXPECT_CODE(u.GetCandidateForUpdate(TeamId("t2"), CandidateId("t1-cand")), kNotFound);
    return absl::OkStatus();
  }));
}

// A Read is a snapshot that neither waits for nor sees an open write
// transaction, and refuses to write.
TEST_F(StoreConformance, ReadsDoNotWaitForAWriterAndRefuseWrites) {
  SeedTeam("t1");
  std::latch writing(1);
  std::latch release(1);
  std::thread writer([&] {
    EXPECT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
      if (auto s = u.InsertCandidate(MakeCandidate("t1", "uncommitted")); !s.ok()) return s;
      writing.count_down();
      release.wait();
      return absl::OkStatus();
    }));
  });
  writing.wait();
  // Run on another thread so that a Read that waited for the writer fails
  // this test instead of hanging it.
  std::future<absl::Status> read = std::async(std::launch::async, [&] {
    return store_->Read([&](UnitOfWork& u) -> absl::Status {
      EXPECT_TRUE(u.GetCandidate(TeamId("t1"), CandidateId("t1-cand")).ok());
      EXPECT_CODE(u.GetCandidate(TeamId("t1"), CandidateId("uncommitted")), kNotFound);
      return absl::OkStatus();
    });
  });
  const bool finished = read.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  release.count_down();
  writer.join();
  ASSERT_TRUE(finished) << "a Read waited for an open write transaction";
  EXPECT_OK(read.get());

  absl::Status wrote = store_->Read([&](UnitOfWork& u) -> absl::Status {
    EXPECT_CODE(u.GetCheckForUpdate(TeamId("t1"), CheckId("k1")), kFailedPrecondition);
    EXPECT_CODE(u.GetCandidateForUpdate(TeamId("t1"), CandidateId("t1-cand")), kFailedPrecondition);
    return u.InsertCandidate(MakeCandidate("t1", "from-a-read"));
  });
  EXPECT_CODE(wrote, kFailedPrecondition);
  ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    EXPECT_CODE(u.GetCandidate(TeamId("t1"), CandidateId("from-a-read")), kNotFound);
    EXPECT_TRUE(u.GetCandidate(TeamId("t1"), CandidateId("uncommitted")).ok());
    return absl::OkStatus();
  }));
}

// ---- Tenant isolation -----------------------------------------------------

TEST_F(StoreConformance, TeamBNeverSeesTeamARows) {
  SeedTeam("A");
  SeedTeam("B");
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    CertnIntegration i;
    i.team = TeamId("A");
    i.api_key_encrypted = "k";
    i.webhook_secret_encrypted = "w";
    if (auto s = CertnRows(u).UpsertIntegration(i); !s.ok()) return s;
    if (auto s = u.InsertFile(CandidateFile{TeamId("A"), FileId("f"), CandidateId("A-cand"), "n",
                                            "text/plain", 1, "h", kT0},
                              "x");
        !s.ok())
      return s;
    BackgroundCheck k = MakeCheck("A", "k", "A-cand", "A-app");
    k.external_id = "case-A";
    if (auto s = u.InsertCheck(k); !s.ok()) return s;
    FeedEvent e{TeamId("A"),  FeedEventId("e"), CandidateId("A-cand"),
                std::nullopt, std::nullopt,     kT0,
                "t",          "system",         "m"};
    if (auto s = u.AppendFeedEvent(e); !s.ok()) return s;
    if (auto s = u.PutIdempotency({TeamId("A"), "key", "fp", 200, "b", kT0}); !s.ok()) return s;
    if (auto s = u.InsertDelivery(MakeDelivery("A", "d", 0, DeliveryVerdict::kOrphan)); !s.ok())
      return s;
    return u.EnqueueWork(MakeWork("A", "w", "dk"));
  }));
  // B asks for A's ids: every getter says NotFound, every list is empty of
  // A's rows, every update touches nothing.
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    const TeamId b("B");
    EXPECT_CODE(u.GetJob(b, JobId("A-job")), kNotFound);
    EXPECT_CODE(u.GetPlan(b, JobId("A-job")), kNotFound);
    EXPECT_CODE(u.GetCandidate(b, CandidateId("A-cand")), kNotFound);
    EXPECT_CODE(u.GetApplication(b, ApplicationId("A-app")), kNotFound);
    EXPECT_CODE(u.GetCheck(b, CheckId("k")), kNotFound);
    EXPECT_CODE(u.GetFile(b, FileId("f")), kNotFound);
    EXPECT_CODE(u.GetFileContent(b, FileId("f")), kNotFound);
    EXPECT_CODE(CertnRows(u).GetIntegration(b), kNotFound);
    EXPECT_CODE(u.GetDelivery(b, "d"), kNotFound);
    EXPECT_TRUE(u.GetIdempotency(b, "key").value_or(IdempotencyRecord{}).has_value() == false);
    EXPECT_TRUE(u.FindActiveCheck(b, ApplicationId("A-app")).value().has_value() == false);
    EXPECT_THAT(u.ListFiles(b, CandidateId("A-cand")).value(), IsEmpty());
    EXPECT_THAT(u.ListChecksForApplication(b, ApplicationId("A-app")).value(), IsEmpty());
    EXPECT_THAT(u.ListChecksForCandidate(b, CandidateId("A-cand")).value(), IsEmpty());
    EXPECT_THAT(u.ListFeed(b, CandidateId("A-cand"), {}).value().items, IsEmpty());
    EXPECT_THAT(u.ListOrphans(b, "case-1").value(), IsEmpty());
    EXPECT_EQ(u.ListDeliveries(b, 10).value().size(), 0u);
    absl::StatusOr<Page<Job>> jobs = u.ListJobs(b, {});
    absl::StatusOr<Page<Candidate>> candidates = u.ListCandidates(b, {});
    absl::StatusOr<Page<ApplicationSummary>> apps = u.ListApplications(b, {}, {});
    if (!jobs.ok() || !candidates.ok() || !apps.ok()) return absl::InternalError("list failed");
    EXPECT_EQ(jobs->items.size(), 1u);
    EXPECT_EQ(candidates->items.size(), 1u);
    EXPECT_EQ(apps->items.size(), 1u);
    for (const Job& j : jobs->items) EXPECT_EQ(j.team, b);
    for (const Candidate& c : candidates->items) EXPECT_EQ(c.team, b);
    for (const ApplicationSummary& a : apps->items) EXPECT_EQ(a.application.team, b);
    EXPECT_THAT(u.ListApplications(b, {.job = JobId("A-job")}, {}).value().items, IsEmpty());
    EXPECT_THAT(u.ListApplications(b, {.candidate = CandidateId("A-cand")}, {}).value().items,
                IsEmpty());
    EXPECT_THAT(u.CountApplicationsByCheck(b, {.job = JobId("A-job")}).value(), IsEmpty());
    // Writes addressed with B's team and A's ids change nothing of A's.
    Candidate c = MakeCandidate("B", "A-cand");
    EXPECT_CODE(u.UpdateCandidate(c), kNotFound);
    EXPECT_CODE(u.UpdateJob(MakeJob("B", "A-job")), kNotFound);
    EXPECT_CODE(u.UpdateApplication(MakeApplication("B", "A-app", "A-cand", "A-job")), kNotFound);
    EXPECT_CODE(u.UpdateCheck(MakeCheck("B", "k", "A-cand", std::nullopt)), kNotFound);
    EXPECT_CODE(u.UpdateDeliveryVerdict(b, "d", DeliveryVerdict::kApplied, std::nullopt),
                kNotFound);
    EXPECT_CODE(u.CompleteWork(b, WorkItemId("w")), kNotFound);
    EXPECT_CODE(u.RetryWork(b, WorkItemId("w"), kT0, "x"), kNotFound);
    EXPECT_CODE(u.FailWork(b, WorkItemId("w"), "x"), kNotFound);
    InterviewPlan plan = SamplePlan("B", "A-job", 0);
    EXPECT_CODE(u.SavePlan(plan), kNotFound);
    // B may use the same natural keys for its own rows.
    EXPECT_OK(u.PutIdempotency({b, "key", "fp", 200, "b", kT0}));
    EXPECT_OK(u.InsertDelivery(MakeDelivery("B", "d", 0)));
    EXPECT_OK(u.EnqueueWork(MakeWork("B", "w", "dk")));
    return absl::OkStatus();
  }));
  // A's rows are intact.
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    EXPECT_EQ(u.GetCandidate(TeamId("A"), CandidateId("A-cand")).value().first_name, "Ada");
    EXPECT_EQ(u.GetDelivery(TeamId("A"), "d").value().verdict, DeliveryVerdict::kOrphan);
    EXPECT_EQ(u.CountWork("pending").value(), 2);
    return absl::OkStatus();
  }));
}

// ---- Migrations -----------------------------------------------------------

TEST_F(StoreConformance, MigrationsAreIdempotentOnReopen) {
  SeedTeam("t1");
  store_.reset();
  absl::StatusOr<MigrateResult> again = Migrate(db_->db(), {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->backend, kBackend);
  EXPECT_EQ(again->from_version, again->to_version);
  EXPECT_GE(again->to_version, 1);
  StoreOptions no_migrate;
  no_migrate.migrate = false;
  absl::StatusOr<std::unique_ptr<Store>> reopened = db_->Open(no_migrate);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  ASSERT_OK((*reopened)->Transact([](UnitOfWork& u) { return u.GetTeam(TeamId("t1")).status(); }));
}

TEST(StoreMigrations, AFreshDatabaseIsRefusedWithoutMigrating) {
  absl::StatusOr<std::unique_ptr<storetest::TestDatabase>> db =
      storetest::TestDatabase::Create(kBackend);
  ASSERT_TRUE(db.ok()) << db.status();
  StoreOptions no_migrate;
  no_migrate.migrate = false;
  EXPECT_CODE((*db)->Open(no_migrate), kFailedPrecondition);
  absl::StatusOr<MigrateResult> first = Migrate((*db)->db(), {});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->from_version, 0);
  EXPECT_GE(first->to_version, 1);
  EXPECT_TRUE((*db)->Open(no_migrate).ok());
}

}  // namespace
}  // namespace stagecheck
