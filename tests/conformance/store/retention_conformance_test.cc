// Retention, erasure and report data at rest on every Store back-end (in each
// back-end's conformance binary, like store_conformance_test.cc): the retention job's
// purges, a candidate's erasure searched for in every column the schema
// catalogue lists, and report bytes sealed with the deployment key.
#include "adapters/crypto/aes_gcm_cipher.h"
#include "adapters/store/open_store.h"
#include "core/ports/notification_store.h"
#include "core/ports/retention_store.h"
#include "core/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/conformance/store/backend_under_test.h"
#include "tests/support/store/catalog_search.h"
#include "tests/support/store/test_store.h"

namespace stagecheck {
namespace {

using ::testing::IsEmpty;

const std::string_view kBackend = storetest::BackendUnderTest();
const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
absl::Time Day(int d) { return kT0 + absl::Hours(24) * d; }

// Words no other row of the fixture contains.
constexpr char kFirst[] = "Zenobia";
constexpr char kLast[] = "Quartermaine";
constexpr char kEmail[] = "zenobia.q@erasure.example";
constexpr char kPhone[] = "+1 555 0199 4242";
constexpr char kPdf[] = "%PDF-1.7 report of Zenobia Quartermaine zenobia.q@erasure.example";

#define ASSERT_OK(expr)                            \
  do {                                             \
    const absl::Status _st = (expr);               \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st; \
  } while (0)

class RetentionConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<crypto::AesGcmCipher>> cipher =
        crypto::AesGcmCipher::FromKeyText(std::string(64, 'a'));
    ASSERT_TRUE(cipher.ok()) << cipher.status();
    cipher_ = *std::move(cipher);
    StoreOptions options;
    options.at_rest = cipher_.get();
    absl::StatusOr<storetest::FreshStore> fresh = storetest::OpenFreshStore(kBackend, options);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    db_ = std::move(fresh->db);
    store_ = std::move(fresh->store);
  }

  absl::Status Tx(const std::function<absl::Status(UnitOfWork&)>& work) {
    return store_->Transact(work);
  }

  // Team t1 with the candidate, a job, an application and a completed check
  // (case-z) with results and its report file; team t2 with a bystander.
  static Candidate NewCandidate(const char* team, std::string first, std::string last,
                                std::string email) {
    Candidate c;
    c.team = TeamId(team);
    c.id = CandidateId("cand");
    c.first_name = std::move(first);
    c.last_name = std::move(last);
    c.email = std::move(email);
    c.created_at = kT0;
    c.updated_at = kT0;
    return c;
  }

  void Seed() {
    ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
      for (const char* t : {"t1", "t2"}) {
        RETURN_IF_ERROR(u.InsertTeam(Team{TeamId(t), "Team", std::nullopt, kT0}));
        Job job;
        job.team = TeamId(t);
        job.id = JobId("job");
        job.title = "Job";
        job.created_at = kT0;
        RETURN_IF_ERROR(u.InsertJob(job));
      }
      Candidate c = NewCandidate("t1", kFirst, kLast, kEmail);
      c.phone = kPhone;
      c.tags = {"vip Zenobia"};
      RETURN_IF_ERROR(u.InsertCandidate(c));
      RETURN_IF_ERROR(u.InsertCandidate(NewCandidate("t2", "Ada", "Byron", "ada@other.example")));
      Application a;
      a.team = TeamId("t1");
      a.id = ApplicationId("app");
      a.candidate = CandidateId("cand");
      a.job = JobId("job");
      a.created_at = kT0;
      a.updated_at = kT0;
      RETURN_IF_ERROR(u.InsertApplication(a));
      RETURN_IF_ERROR(u.InsertFile(ReportFile("t1", "file-1", "cand"), kPdf));
      RETURN_IF_ERROR(u.InsertCheck(CompleteCheck("t1", "chk", "cand", "case-z", "file-1", 10)));
      return u.AppendFeedEvent(FeedEvent{TeamId("t1"), FeedEventId("ev1"), CandidateId("cand"),
                                         std::nullopt, std::nullopt, kT0, "note", "user:u1",
                                         "Called Zenobia Quartermaine at +1 555 0199 "
                                         "4242 about zenobia.q@erasure.example"});
    }));
  }

  static CandidateFile ReportFile(const char* team, const char* id, const char* candidate) {
    return CandidateFile{TeamId(team),
                         FileId(id),
                         CandidateId(candidate),
                         "report.pdf",
                         "application/pdf",
                         sizeof(kPdf) - 1,
                         "00",
                         kT0};
  }

  static BackgroundCheck CompleteCheck(const char* team, const char* id, const char* candidate,
                                       const char* case_id, const char* file, int completed_day) {
    BackgroundCheck k;
    k.team = TeamId(team);
    k.id = CheckId(id);
    k.candidate = CandidateId(candidate);
    k.application = ApplicationId("app");
    k.package_id = "pkg";
    k.package_name = "Basic";
    k.requested_by = UserId("u1");
    k.status = CheckStatus::kComplete;
    k.external_id = case_id;
    k.report_saved_as = FileId(file);
    k.results = {CheckResult{"CRIMINAL_RECORD_SECRETWORD", "COMPLETE", "CLEAR", std::nullopt}};
    k.created_at = Day(0);
    k.completed_at = Day(completed_day);
    k.updated_at = Day(completed_day);
    return k;
  }

  std::vector<std::string> Holding(std::string_view needle) {
    absl::StatusOr<std::vector<std::string>> hits = storetest::ColumnsContaining(db_->db(), needle);
    EXPECT_TRUE(hits.ok()) << hits.status();
    return hits.ok() ? *hits : std::vector<std::string>{"<search failed>"};
  }

  std::unique_ptr<storetest::TestDatabase> db_;
  std::unique_ptr<crypto::AesGcmCipher> cipher_;
  std::unique_ptr<Store> store_;
};

TEST_F(RetentionConformance, SettingsDefaultThenRoundTrip) {
  Seed();
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(RetentionSettings s, RetentionRows(u).GetRetention(TeamId("t1")));
    EXPECT_EQ(s.report_days, 365);
    EXPECT_EQ(s.delivery_body_days, 30);
    EXPECT_EQ(s.unverified_metadata_days, 7);
    EXPECT_FALSE(s.updated_at.has_value());
    s.report_days = 90;
    s.updated_at = Day(1);
    RETURN_IF_ERROR(RetentionRows(u).PutRetention(TeamId("t1"), s));
    s.report_days = 30;
    return RetentionRows(u).PutRetention(TeamId("t1"), s);
  }));
  ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(RetentionSettings s, RetentionRows(u).GetRetention(TeamId("t1")));
    EXPECT_EQ(s.report_days, 30);
    EXPECT_EQ(s.updated_at, Day(1));
    ASSIGN_OR_RETURN(RetentionSettings other, RetentionRows(u).GetRetention(TeamId("t2")));
    EXPECT_EQ(other.report_days, 365);
    ASSIGN_OR_RETURN(std::vector<TeamId> teams, RetentionRows(u).ListTeamIds(std::nullopt, 1));
    EXPECT_EQ(teams, std::vector<TeamId>{TeamId("t1")});
    ASSIGN_OR_RETURN(teams, RetentionRows(u).ListTeamIds(TeamId("t1"), 10));
    EXPECT_EQ(teams, std::vector<TeamId>{TeamId("t2")});
    return absl::OkStatus();
  }));
}

TEST_F(RetentionConformance, ReportsArePurgedOnceAfterTheirCutoff) {
  Seed();
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    RETURN_IF_ERROR(u.InsertFile(ReportFile("t1", "file-2", "cand"), kPdf));
    BackgroundCheck recent = CompleteCheck("t1", "chk2", "cand", "case-y", "file-2", 200);
    recent.application.reset();
    return u.InsertCheck(recent);
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    // Before the first check's completion: nothing is old enough.
    ASSIGN_OR_RETURN(auto none, RetentionRows(u).PurgeReports(TeamId("t1"), Day(10), Day(400), 10));
    EXPECT_THAT(none, IsEmpty());
    ASSIGN_OR_RETURN(auto purged,
                     RetentionRows(u).PurgeReports(TeamId("t1"), Day(100), Day(400), 10));
    EXPECT_EQ(purged.size(), 1u);
    if (!purged.empty()) {
      EXPECT_EQ(purged[0].check, CheckId("chk"));
      EXPECT_EQ(purged[0].candidate, CandidateId("cand"));
      EXPECT_TRUE(purged[0].file_removed);
    }
    ASSIGN_OR_RETURN(auto again,
                     RetentionRows(u).PurgeReports(TeamId("t1"), Day(100), Day(400), 10));
    EXPECT_THAT(again, IsEmpty());
    return absl::OkStatus();
  }));
  ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    EXPECT_EQ(u.GetFile(TeamId("t1"), FileId("file-1")).status().code(),
              absl::StatusCode::kNotFound);
    ASSIGN_OR_RETURN(BackgroundCheck purged, u.GetCheck(TeamId("t1"), CheckId("chk")));
    EXPECT_THAT(purged.results, IsEmpty());
    EXPECT_EQ(purged.report_saved_as, FileId("file-1"));  // never downloaded again
    ASSIGN_OR_RETURN(BackgroundCheck kept, u.GetCheck(TeamId("t1"), CheckId("chk2")));
    EXPECT_EQ(kept.results.size(), 1u);
    ASSIGN_OR_RETURN(std::string bytes, u.GetFileContent(TeamId("t1"), FileId("file-2")));
    EXPECT_EQ(bytes, kPdf);
    return absl::OkStatus();
  }));
}

WebhookDelivery Delivery(const char* team, std::string id, int day, std::string case_id,
                         std::string body) {
  WebhookDelivery d;
  d.team = TeamId(team);
  d.delivery_id = std::move(id);
  d.received_at = Day(day);
  d.scheme = "sig";
  d.event_type = "CASE_STATUS_CHANGED";
  d.object_type = "CASE";
  d.object_id = std::move(case_id);
  d.body = std::move(body);
  return d;
}

TEST_F(RetentionConformance, DeliveryBodiesArePurgedInBatches) {
  Seed();
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    for (int i = 0; i < 3; ++i)
      RETURN_IF_ERROR(u.InsertDelivery(Delivery("t1", "old" + std::to_string(i), i, "c", "{}")));
    RETURN_IF_ERROR(u.InsertDelivery(Delivery("t1", "new", 50, "c", "{\"fresh\":1}")));
    return u.InsertDelivery(Delivery("t2", "old-other", 0, "c", "{\"other\":1}"));
  }));
  std::vector<int64_t> runs;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
      ASSIGN_OR_RETURN(int64_t n, RetentionRows(u).PurgeDeliveryBodies(TeamId("t1"), Day(30), 2));
      runs.push_back(n);
      return absl::OkStatus();
    }));
  }
  EXPECT_EQ(runs, (std::vector<int64_t>{2, 1, 0}));
  ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(WebhookDelivery old, u.GetDelivery(TeamId("t1"), "old0"));
    EXPECT_EQ(old.body, "");
    EXPECT_EQ(old.object_id, "c");  // the metadata stays
    ASSIGN_OR_RETURN(WebhookDelivery fresh, u.GetDelivery(TeamId("t1"), "new"));
    EXPECT_EQ(fresh.body, "{\"fresh\":1}");
    ASSIGN_OR_RETURN(WebhookDelivery other, u.GetDelivery(TeamId("t2"), "old-other"));
    EXPECT_EQ(other.body, "{\"other\":1}");
    return absl::OkStatus();
  }));
}

TEST_F(RetentionConformance, ErasureLeavesNoPersonalWordInAnyColumnOfAnyTable) {
  Seed();
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    RETURN_IF_ERROR(u.InsertDelivery(
        Delivery("t1", "d1", 1, "case-z", std::string("{\"email\":\"") + kEmail + "\"}")));
    for (const char* kind : {"certn.fetch_case", "certn.cancel"}) {
      WorkItem w;
      w.team = TeamId("t1");
      w.id = WorkItemId(kind);
      w.kind = kind;
      w.subject = "chk";
      w.payload = kEmail;
      w.run_at = kT0;
      RETURN_IF_ERROR(u.EnqueueWork(w));
    }
    // A notification's words name the candidate.
    Notification note;
    note.team = TeamId("t1");
    note.id = NotificationId("note-1");
    note.user = UserId("someone");
    note.text = absl::StrCat("Background check for ", kFirst, " ", kLast, " is complete: clear");
    note.check = CheckId("chk");
    note.candidate = CandidateId("cand");
    note.created_at = kT0;
    RETURN_IF_ERROR(NotificationRows(u).InsertNotification(note));
    // So does a delayed one; the job's memory of the delay holds ids only.
    note.id = NotificationId("note-2");
    note.kind = NotificationKind::kDelayed;
    note.text = absl::StrCat("Background check for ", kFirst, " ", kLast,
                             " is past its expected date (1 December 2026)");
    RETURN_IF_ERROR(NotificationRows(u).InsertNotification(note));
    return NotificationRows(u)
        .RecordDelayNotice(TeamId("t1"), CheckId("chk"), "projection", kT0, kT0)
        .status();
  }));
  for (const char* word : {kFirst, kLast, kEmail, kPhone})
    ASSERT_FALSE(Holding(word).empty()) << word << " should be found before the erasure";

  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(ErasureCounts counts,
                     RetentionRows(u).EraseCandidate(TeamId("t1"), CandidateId("cand"), Day(3)));
    EXPECT_EQ(counts.files, 1);
    EXPECT_EQ(counts.checks, 1);
    EXPECT_EQ(counts.deliveries, 1);
    return absl::OkStatus();
  }));

  absl::StatusOr<int> columns = storetest::CountSearchableColumns(db_->db());
  ASSERT_TRUE(columns.ok()) << columns.status();
  EXPECT_GT(*columns, 60);  // every table's text and byte columns were searched
  for (const char* word : {kFirst, kLast, kEmail, kPhone, "%PDF", "SECRETWORD"})
    EXPECT_THAT(Holding(word), IsEmpty()) << word;
  EXPECT_FALSE(Holding("ada@other.example").empty());  // another team's candidate is untouched

  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<absl::Time> at,
                     RetentionRows(u).GetErasure(TeamId("t1"), CandidateId("cand")));
    EXPECT_EQ(at, Day(3));
    ASSIGN_OR_RETURN(Candidate c, u.GetCandidate(TeamId("t1"), CandidateId("cand")));
    EXPECT_EQ(c.first_name + " " + c.last_name, "Erased candidate");
    EXPECT_FALSE(c.email.has_value());
    EXPECT_THAT(c.tags, IsEmpty());
    ASSIGN_OR_RETURN(Page<FeedEvent> feed,
                     u.ListFeed(TeamId("t1"), CandidateId("cand"), PageRequest{}));
    EXPECT_EQ(feed.items.size(), 1u);  // the audit trail stays, anonymised
    // The cancel still reaches the vendor; the fetch is dropped.
    ASSIGN_OR_RETURN(std::vector<WorkItem> due, u.ClaimWork(Day(4), "me", Day(5), 10));
    EXPECT_EQ(due.size(), 1u);
    if (!due.empty()) {
      EXPECT_EQ(due[0].kind, "certn.cancel");
    }
    // A report arriving afterwards is not kept.
    EXPECT_EQ(u.InsertFile(ReportFile("t1", "late", "cand"), kPdf).code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(RetentionRows(u).GetErasure(TeamId("t2"), CandidateId("nobody")).status().code(),
              absl::StatusCode::kNotFound);
    return absl::OkStatus();
  }));
}

// Short names are cut from free text too, as whole words only: "Al" goes,
// "Also" and "Alma" stay; another candidate's lines are untouched.
TEST_F(RetentionConformance, ErasureCutsShortNamesAsWholeWordsOnly) {
  Seed();
  const std::string line =
      "Al Li's invite bounced; LI asked Al to retry. Also Alma, Lin and Lisa stay.";
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    Candidate shorty = NewCandidate("t1", "Al", "Li", "al@short.example");
    shorty.id = CandidateId("short");
    RETURN_IF_ERROR(u.InsertCandidate(shorty));
    for (const char* c : {"short", "cand"}) {
      RETURN_IF_ERROR(u.AppendFeedEvent(FeedEvent{TeamId("t1"), FeedEventId(std::string("n-") + c),
                                                  CandidateId(c), std::nullopt, std::nullopt, kT0,
                                                  "note", "user:u1", line}));
    }
    return absl::OkStatus();
  }));
  ASSERT_OK(Tx([&](UnitOfWork& u) -> absl::Status {
    return RetentionRows(u).EraseCandidate(TeamId("t1"), CandidateId("short"), Day(3)).status();
  }));
  ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(Page<FeedEvent> erased,
                     u.ListFeed(TeamId("t1"), CandidateId("short"), PageRequest{}));
    EXPECT_EQ(erased.items.size(), 1u);
    if (!erased.items.empty()) {
      EXPECT_EQ(erased.items[0].message,
                "[erased]'s invite bounced; [erased] asked [erased] to retry. Also Alma, Lin and "
                "Lisa stay.");
    }
    ASSIGN_OR_RETURN(Page<FeedEvent> other,
                     u.ListFeed(TeamId("t1"), CandidateId("cand"), PageRequest{}));
    bool untouched = false;
    for (const FeedEvent& e : other.items) untouched = untouched || e.message == line;
    EXPECT_TRUE(untouched) << "another candidate's line must keep its words";
    return absl::OkStatus();
  }));
  EXPECT_THAT(Holding("al@short.example"), IsEmpty());
}

TEST_F(RetentionConformance, ReportBytesAndResultsAreSealedAtRestAndOldRowsStillRead) {
  Seed();
  EXPECT_THAT(Holding("%PDF"), IsEmpty());
  EXPECT_THAT(Holding("SECRETWORD"), IsEmpty());
  // A row written in clear (before v11, or by a command without the key).
  absl::StatusOr<std::unique_ptr<Store>> clear = db_->Open();
  ASSERT_TRUE(clear.ok()) << clear.status();
  ASSERT_OK((*clear)->Transact([&](UnitOfWork& u) -> absl::Status {
    RETURN_IF_ERROR(u.InsertFile(ReportFile("t1", "legacy", "cand"), kPdf));
    BackgroundCheck old = CompleteCheck("t1", "chk-old", "cand", "case-old", "legacy", 5);
    old.application.reset();
    return u.InsertCheck(old);
  }));
  EXPECT_FALSE(Holding("%PDF").empty());
  ASSERT_OK(store_->Read([&](UnitOfWork& u) -> absl::Status {
    ASSIGN_OR_RETURN(std::string sealed, u.GetFileContent(TeamId("t1"), FileId("file-1")));
    EXPECT_EQ(sealed, kPdf);
    ASSIGN_OR_RETURN(std::string legacy, u.GetFileContent(TeamId("t1"), FileId("legacy")));
    EXPECT_EQ(legacy, kPdf);
    for (const char* id : {"chk", "chk-old"}) {
      ASSIGN_OR_RETURN(BackgroundCheck k, u.GetCheck(TeamId("t1"), CheckId(id)));
      EXPECT_EQ(k.results.size(), 1u) << id;
      if (!k.results.empty()) {
        EXPECT_EQ(k.results[0].check_type, "CRIMINAL_RECORD_SECRETWORD");
      }
    }
    return absl::OkStatus();
  }));
  // Without the key a sealed file is refused, not shown as ciphertext.
  ASSERT_OK((*clear)->Read([&](UnitOfWork& u) -> absl::Status {
    EXPECT_EQ(u.GetFileContent(TeamId("t1"), FileId("file-1")).status().code(),
              absl::StatusCode::kFailedPrecondition);
    return absl::OkStatus();
  }));
}

}  // namespace
}  // namespace stagecheck
