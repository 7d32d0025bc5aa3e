// The pipeline overview through HTTP: GET /api/v1/applications filters,
// searches and sorts (every filter on both stores: the conformance suite),
// each row carries its candidate, stage and latest check, bad values are 400
// naming the parameter, and GET /api/v1/applications/counts counts per check
// status.
#include "gmock/gmock.h"
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class PipelineTest : public ApiTest {
 protected:
  // The world's application (Ada, check invited) plus Grace (moved to the
  // Background stage, no check) and Alan (check complete, REVIEW).
  struct Pipeline {
    World w;
    std::string ada, grace, alan;
  };

  Pipeline Build() {
    Pipeline p;
    p.w = NewWorld();
    p.ada = p.w.application;
    p.grace = CreateApplication(p.w.team, Candidate(p.w, "Grace", "Hopper", "grace@example.org"),
                                p.w.job);
    HttpResponse moved = svc().Post("/api/v1/applications/" + p.grace + "/move",
                                    absl::StrCat(R"({"stage_id":)", JsonQuote(p.w.bg_stage), "}"),
                                    p.w.team.recruiter_token);
    EXPECT_EQ(moved.status, 200) << Describe(moved);
    p.alan = CreateApplication(
        p.w.team, Candidate(p.w, "Alan", "Turing", "alan+review@example.net"), p.w.job);
    std::string check = SendCheck(p.w.team, p.alan, p.w.activity);
    WaitOrdered(p.w.team, check);
    std::string case_id = svc()
                              .Get("/api/v1/background-checks/" + check, p.w.team.recruiter_token)
                              .String("/certn_case_id")
                              .value_or("");
    EXPECT_TRUE(fake().AdvanceCase(case_id, "COMPLETE").ok());
    WaitQuiet(p.w.team);
    return p;
  }

  std::string Candidate(const World& w, const std::string& first, const std::string& last,
                        const std::string& email) {
    HttpResponse r =
        svc().Post("/api/v1/candidates",
                   absl::StrCat(R"({"first_name":)", JsonQuote(first), R"(,"last_name":)",
                                JsonQuote(last), R"(,"email":)", JsonQuote(email), "}"),
                   w.team.recruiter_token);
    EXPECT_EQ(r.status, 201) << Describe(r);
    return r.String("/id").value_or("");
  }

  // The ids of the first page of `query` (limit 100).
  std::vector<std::string> Ids(const World& w, const std::string& query) {
    HttpResponse r = svc().Get("/api/v1/applications?limit=100&" + query, w.team.recruiter_token);
    EXPECT_EQ(r.status, 200) << query << ": " << Describe(r);
    std::vector<std::string> ids;
    for (size_t i = 0; i < r.Size("/items").value_or(0); ++i) {
      ids.push_back(r.String(absl::StrCat("/items/", i, "/id")).value_or(""));
    }
    return ids;
  }
};

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

TEST_F(PipelineTest, EveryFilterSearchAndSortAnswersTheRightRows) {
  Pipeline p = Build();
  const World& w = p.w;
  EXPECT_THAT(Ids(w, "job_id=" + w.job), UnorderedElementsAre(p.ada, p.grace, p.alan));
  EXPECT_THAT(Ids(w, "candidate_id=" + w.candidate), ElementsAre(p.ada));
  EXPECT_THAT(Ids(w, "stage_id=" + w.bg_stage), ElementsAre(p.grace));
  EXPECT_THAT(Ids(w, "status=active"), UnorderedElementsAre(p.ada, p.grace, p.alan));
  EXPECT_THAT(Ids(w, "status=hired"), IsEmpty());
  EXPECT_THAT(Ids(w, "check_status=complete"), ElementsAre(p.alan));
  EXPECT_THAT(Ids(w, "check_status=invited"), ElementsAre(p.ada));
  EXPECT_THAT(Ids(w, "check_status=none"), ElementsAre(p.grace));
  EXPECT_THAT(Ids(w, "result=REVIEW"), ElementsAre(p.alan));
  EXPECT_THAT(Ids(w, "result=review&check_status=complete"), ElementsAre(p.alan));
  EXPECT_THAT(Ids(w, "result=CLEAR"), IsEmpty());
  EXPECT_THAT(Ids(w, "q=HOPPER"), ElementsAre(p.grace));
  EXPECT_THAT(Ids(w, "q=example.org"), ElementsAre(p.grace));
  EXPECT_THAT(Ids(w, "q=a%25"), IsEmpty());  // "a%": the % is literal
  EXPECT_THAT(Ids(w, "sort=name"), ElementsAre(p.ada, p.alan, p.grace));
  EXPECT_THAT(Ids(w, "sort=status"), ElementsAre(p.alan, p.ada, p.grace));
  // The last change first: Alan's check completed after Grace moved.
  EXPECT_EQ(Ids(w, "sort=updated").front(), p.alan);
  EXPECT_EQ(Ids(w, "sort=updated"), Ids(w, ""));
}

TEST_F(PipelineTest, RowsCarryTheCandidateStageAndLatestCheck) {
  Pipeline p = Build();
  HttpResponse r = svc().Get("/api/v1/applications?sort=name", p.w.team.recruiter_token);
  ASSERT_EQ(r.status, 200) << Describe(r);
  // sort=name: Ada, Alan, Grace.
  EXPECT_EQ(r.String("/items/1/candidate/name"), "Alan Turing");
  EXPECT_EQ(r.String("/items/1/candidate/email"), "alan+review@example.net");
  EXPECT_EQ(r.String("/items/1/job_title"), "Site Reliability Engineer");
  EXPECT_EQ(r.String("/items/1/stage_name"), "Screen");
  EXPECT_EQ(r.String("/items/1/latest_check/status"), "complete");
  EXPECT_EQ(r.String("/items/1/latest_check/overall_score"), "REVIEW");
  EXPECT_EQ(r.String("/items/1/latest_check/labels/kula"), "Needs review");
  EXPECT_FALSE(r.String("/items/1/latest_check/package_name").value_or("").empty()) << r.body;
  EXPECT_TRUE(r.String("/items/1/latest_check/sent_at").has_value());
  EXPECT_TRUE(r.String("/items/1/last_activity_at").has_value());
  EXPECT_EQ(r.String("/items/2/stage_name"), "Background");
  EXPECT_TRUE(r.IsNull("/items/2/latest_check")) << r.body;
}

TEST_F(PipelineTest, PagesFollowTheSortAndACursorOfAnotherSortIsRefused) {
  Pipeline p = Build();
  const std::string& token = p.w.team.recruiter_token;
  HttpResponse first = svc().Get("/api/v1/applications?sort=name&limit=2", token);
  ASSERT_EQ(first.status, 200) << Describe(first);
  EXPECT_EQ(first.String("/items/0/id"), p.ada);
  EXPECT_EQ(first.String("/items/1/id"), p.alan);
  std::string next = first.String("/next").value_or("");
  ASSERT_FALSE(next.empty()) << first.body;
  HttpResponse second = svc().Get("/api/v1/applications?sort=name&limit=2&after=" + next, token);
  ASSERT_EQ(second.status, 200) << Describe(second);
  EXPECT_EQ(second.Size("/items"), 1u);
  EXPECT_EQ(second.String("/items/0/id"), p.grace);
  EXPECT_TRUE(second.IsNull("/next"));
  EXPECT_PROBLEM(svc().Get("/api/v1/applications?sort=status&after=" + next, token), 400,
                 "invalid_cursor");
}

TEST_F(PipelineTest, CountsPerCheckStatusFollowTheOtherFilters) {
  Pipeline p = Build();
  const std::string& token = p.w.team.recruiter_token;
  HttpResponse all = svc().Get("/api/v1/applications/counts?check_status=complete", token);
  ASSERT_EQ(all.status, 200) << Describe(all);
  EXPECT_EQ(all.Int("/total"), 3);
  EXPECT_EQ(all.Int("/check_status/none"), 1);
  EXPECT_EQ(all.Int("/check_status/invited"), 1);
  EXPECT_EQ(all.Int("/check_status/complete"), 1);
  EXPECT_EQ(all.Int("/check_status/error"), 0);
  HttpResponse one = svc().Get("/api/v1/applications/counts?q=hopper", token);
  EXPECT_EQ(one.Int("/total"), 1);
  EXPECT_EQ(one.Int("/check_status/none"), 1);
  // Another team counts none of these.
  TeamTokens other = NewTeam();
  EXPECT_EQ(svc().Get("/api/v1/applications/counts", other.recruiter_token).Int("/total"), 0);
}

TEST_F(PipelineTest, BadValuesAre400NamingTheParameter) {
  TeamTokens team = NewTeam();
  const std::string long_q(101, 'x');
  const std::pair<std::string, std::string> bad[] = {
      {"check_status=done", "check_status"},
      {"result=GREEN", "result"},
      {"sort=age", "sort"},
      {"status=fired", "status"},
      {"q=", "q"},
      {"q=" + long_q, "q"},
      {"job_id=", "job_id"},
      {"stage_id=", "stage_id"},
      {"candidate_id=", "candidate_id"},
  };
  for (const auto& [query, field] : bad) {
    for (const char* path : {"/api/v1/applications?", "/api/v1/applications/counts?"}) {
      HttpResponse r = svc().Get(path + query, team.recruiter_token);
      EXPECT_PROBLEM(r, 400, "invalid_filter");
      EXPECT_EQ(r.String("/field"), field) << path << query << ": " << r.body;
    }
  }
}

}  // namespace
}  // namespace stagecheck::api_test
