// Paginated lists: bad limit / cursor answers 400 with a specific code;
// walking `next` visits every item exactly once, newest first.
#include <set>

#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class PaginationTest : public ApiTest {};

std::vector<std::string> Lists(const World& w) {
  return {"/api/v1/jobs", "/api/v1/candidates", "/api/v1/applications",
          "/api/v1/candidates/" + w.candidate + "/activity"};
}

TEST_F(PaginationTest, BadLimitIs400InvalidLimit) {
  World w = NewWorld(/*connect_certn=*/false, /*send_check=*/false);
  for (const std::string& list : Lists(w)) {
    for (const char* limit : {"0", "-1", "101", "abc", "1.5", "", "99999999999", "1e2", "%20"}) {
      SCOPED_TRACE(list + "?limit=" + limit);
      EXPECT_PROBLEM(svc().Get(list + "?limit=" + limit, w.team.recruiter_token), 400,
                     "invalid_limit");
    }
    EXPECT_EQ(svc().Get(list + "?limit=1", w.team.recruiter_token).status, 200);
    EXPECT_EQ(svc().Get(list + "?limit=100", w.team.recruiter_token).status, 200);
  }
}

TEST_F(PaginationTest, BadCursorIs400InvalidCursor) {
  World w = NewWorld(/*connect_certn=*/false, /*send_check=*/false);
  for (const std::string& list : Lists(w)) {
    for (const std::string& after :
         {std::string("garbage!!"), std::string("bm9jb2xvbg"), std::string(201, 'a'),
          std::string("%00"), std::string("YWJjOmRlZg"), std::string("OnNvbWVpZA")}) {
      SCOPED_TRACE(list + "?after=" + after.substr(0, 30));
      EXPECT_PROBLEM(svc().Get(list + "?after=" + after, w.team.recruiter_token), 400,
                     "invalid_cursor");
    }
  }
}

// Follows `next` from the first page; returns the IDs in order.
std::vector<std::string> Walk(ServiceProcess& svc, const std::string& list,
                              const std::string& token, int limit, int* pages) {
  std::vector<std::string> ids;
  std::string next;
  *pages = 0;
  for (int guard = 0; guard < 100; ++guard) {
    std::string path =
        absl::StrCat(list, list.find('?') == std::string::npos ? "?" : "&", "limit=", limit);
    if (!next.empty()) path += "&after=" + next;
    HttpResponse r = svc.Get(path, token);
    EXPECT_EQ(r.status, 200) << Describe(r);
    if (r.status != 200) break;
    ++*pages;
    rapidjson::Document doc = r.Json();
    const rapidjson::Value* items = stagecheck::testing::JsonAt(doc, "/items");
    EXPECT_TRUE(items != nullptr && items->IsArray()) << r.body;
    if (items == nullptr || !items->IsArray()) break;
    EXPECT_LE(items->Size(), static_cast<unsigned>(limit));
    for (const auto& item : items->GetArray()) ids.emplace_back(item["id"].GetString());
    if (r.IsNull("/next")) break;
    std::optional<std::string> cursor = r.String("/next");
    EXPECT_TRUE(cursor && !cursor->empty()) << r.body;
    EXPECT_EQ(items->Size(), static_cast<unsigned>(limit)) << "a page before the last one is full";
    if (!cursor) break;
    next = *cursor;
  }
  return ids;
}

TEST_F(PaginationTest, WalkingNextVisitsEveryItemOnceNewestFirst) {
  TeamTokens team = NewTeam();
  std::vector<std::string> jobs, candidates, applications;
  for (int i = 0; i < 7; ++i) {
    jobs.push_back(CreateJob(team, absl::StrCat("Job ", i)));
    candidates.push_back(CreateCandidate(team, absl::StrCat("c", i, "@example.com")));
  }
  for (int i = 0; i < 7; ++i)
    applications.push_back(CreateApplication(team, candidates[i], jobs[i]));
  struct Case {
    std::string list;
    std::vector<std::string> created;
  };
  for (const Case& c : {Case{"/api/v1/jobs", jobs}, Case{"/api/v1/candidates", candidates},
                        Case{"/api/v1/applications", applications}}) {
    for (int limit : {1, 3, 7, 50}) {
      SCOPED_TRACE(absl::StrCat(c.list, " limit ", limit));
      int pages = 0;
      std::vector<std::string> seen = Walk(svc(), c.list, team.recruiter_token, limit, &pages);
      EXPECT_EQ(pages, limit >= 7 ? 1 : (7 + limit - 1) / limit);
      std::vector<std::string> newest_first(c.created.rbegin(), c.created.rend());
      EXPECT_EQ(seen, newest_first);
    }
  }
  // Filters page too.
  int pages = 0;
  std::vector<std::string> one =
      Walk(svc(), "/api/v1/applications?job_id=" + jobs[2], team.recruiter_token, 1, &pages);
  EXPECT_EQ(one, std::vector<std::string>{applications[2]});
  EXPECT_EQ(pages, 1);
}

TEST_F(PaginationTest, ActivityFeedPagesToo) {
  TeamTokens team = NewTeam();
  std::string job = CreateJob(team);
  std::string candidate = CreateCandidate(team);
  // Each edit of the candidate and each application appends to the feed.
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(svc()
                  .Patch("/api/v1/candidates/" + candidate,
                         absl::StrCat(R"({"phone":"+1555000)", i, R"("})"), team.recruiter_token)
                  .status,
              200);
  }
  CreateApplication(team, candidate, job);
  HttpResponse all =
      svc().Get("/api/v1/candidates/" + candidate + "/activity?limit=100", team.recruiter_token);
  ASSERT_EQ(all.status, 200) << Describe(all);
  const size_t total = all.Size("/items").value_or(0);
  ASSERT_GE(total, 1u) << all.body;
  int pages = 0;
  std::vector<std::string> seen =
      Walk(svc(), "/api/v1/candidates/" + candidate + "/activity", team.recruiter_token, 1, &pages);
  EXPECT_EQ(seen.size(), total);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), total) << "no item twice";
}

}  // namespace
}  // namespace stagecheck::api_test
