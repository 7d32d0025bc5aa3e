// The activity feed: the `feed_events` table, each candidate's timeline,
// appended to and read newest first.
#include "adapters/store/sql/unit_of_work.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/pages.h"
#include "adapters/store/sql/rows.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using pages::BuildPage;
using pages::FinishPage;
using pages::PageQuery;
using rows::Cells;
using rows::P;

constexpr std::string_view kFeedCols =
    "team_id, event_id, candidate_id, application_id, check_id, at, type, actor, message";
FeedEvent ReadFeedEvent(const Row& row) {
  Cells c(row);
  FeedEvent e;
  e.team = c.IdOf<TeamId>();
  e.id = c.IdOf<FeedEventId>();
  e.candidate = c.IdOf<CandidateId>();
  e.application = c.OptId<ApplicationId>();
  e.check = c.OptId<CheckId>();
  e.at = c.Time();
  e.type = c.Text();
  e.actor = c.Text();
  e.message = c.Text();
  return e;
}

}  // namespace

absl::Status SqlUnitOfWork::AppendFeedEvent(const FeedEvent& e) {
  return Insert(absl::StrCat("INSERT INTO feed_events (", ToAbsl(kFeedCols),
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {P(e.team), P(e.id), P(e.candidate), P(e.application), P(e.check), P(e.at),
                 P(e.type), P(e.actor), P(e.message)},
                "feed event");
}

absl::StatusOr<Page<FeedEvent>> SqlUnitOfWork::ListFeed(const TeamId& team,
                                                        const CandidateId& candidate,
                                                        const PageRequest& page) {
  return ListFeedExcept(team, candidate, page, "");
}

absl::StatusOr<Page<FeedEvent>> SqlUnitOfWork::ListFeedExcept(const TeamId& team,
                                                              const CandidateId& candidate,
                                                              const PageRequest& page,
                                                              std::string_view except_type) {
  absl::StatusOr<PageQuery> q =
      BuildPage(absl::StrCat("SELECT ", ToAbsl(kFeedCols), " FROM feed_events"),
                "team_id = ? AND candidate_id = ? AND type <> ?",
                {P(team), P(candidate), P(except_type)}, "at", "event_id", page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  std::vector<FeedEvent> events;
  for (const Row& row : *rows) events.push_back(ReadFeedEvent(row));
  return FinishPage(std::move(events), q->limit,
                    [](const FeedEvent& e) { return TimeCursor(e.at, e.id.value()); });
}

}  // namespace stagecheck::store
