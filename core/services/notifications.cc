#include "core/services/notifications.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "core/ports/notification_store.h"
#include "core/services/check_lifecycle.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

// What the change of `check` tells people, if anything.
std::optional<NotificationKind> KindOf(std::optional<CheckStatus> stored_status,
                                       const BackgroundCheck& check) {
  if (stored_status == check.status) return std::nullopt;
  if (check.status == CheckStatus::kError) return NotificationKind::kError;
  if (check.status != CheckStatus::kComplete) return std::nullopt;
  return ScoreNeedsReview(check.overall_score) ? NotificationKind::kNeedsReview
                                               : NotificationKind::kCompleted;
}

absl::StatusOr<std::string> CandidateName(UnitOfWork& uow, const BackgroundCheck& check) {
  absl::StatusOr<Candidate> c = uow.GetCandidate(check.team, check.candidate);
  if (absl::IsNotFound(c.status())) return std::string("a candidate");
  if (!c.ok()) return c.status();
  std::string name = std::string(absl::StripAsciiWhitespace(
      ToAbsl(absl::StrCat(ToAbsl(c->first_name), " ", ToAbsl(c->last_name)))));
  return name.empty() ? std::string("a candidate") : name;
}

// The sender and the application's watchers, each once.
absl::StatusOr<std::set<UserId>> Recipients(UnitOfWork& uow, const BackgroundCheck& check) {
  std::set<UserId> users;
  if (!check.requested_by.empty()) users.insert(check.requested_by);
  if (check.application) {
    ASSIGN_OR_RETURN(std::vector<UserId> watchers,
                     NotificationRows(uow).ListWatchers(check.team, *check.application));
    users.insert(watchers.begin(), watchers.end());
  }
  return users;
}

Notification NewNotification(const Deps& deps, const TeamId& team, const UserId& user,
                             NotificationKind kind, std::string text) {
  Notification n;
  n.team = team;
  n.id = NotificationId(deps.ids.NewId());
  n.user = user;
  n.kind = kind;
  n.text = std::move(text);
  n.created_at = deps.clock.Now();
  return n;
}

// One notification of `kind` about `check` for its sender and its
// application's watchers, worded by `text(candidate name)`.
absl::Status NotifyCheckPeople(UnitOfWork& uow, const Deps& deps, const BackgroundCheck& check,
                               NotificationKind kind,
                               const std::function<std::string(std::string_view)>& text) {
  ASSIGN_OR_RETURN(std::set<UserId> users, Recipients(uow, check));
  if (users.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string name, CandidateName(uow, check));
  const std::string words = text(name);
  for (const UserId& user : users) {
    Notification n = NewNotification(deps, check.team, user, kind, words);
    n.check = check.id;
    n.candidate = check.candidate;
    n.application = check.application;
    RETURN_IF_ERROR(NotificationRows(uow).InsertNotification(n));
  }
  return absl::OkStatus();
}

constexpr std::string_view kMonths[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};

// "1 December 2026": the day (UTC) a check was expected by.
std::string DayWords(absl::Time t) {
  const absl::CivilDay day = absl::ToCivilDay(t, absl::UTCTimeZone());
  return absl::StrCat(day.day(), " ", ToAbsl(kMonths[day.month() - 1]), " ", day.year());
}

// The endpoint as an admin knows it: its description, else its URL without
// the query (which may carry a token).
std::string EndpointName(const WebhookEndpoint& e) {
  if (!e.description.empty()) return e.description;
  return e.url.substr(0, e.url.find_first_of("?#"));
}

}  // namespace

std::string DelayedText(std::string_view candidate_name, absl::Time late_at) {
  return absl::StrCat("Background check for ", ToAbsl(candidate_name),
                      " is past its expected date (", DayWords(late_at), ")");
}

std::string EndpointDisabledText(const WebhookEndpoint& endpoint) {
  // The same advice as the endpoint's own reason (adapters/http/api/outbound_render.cc).
  const bool gone = endpoint.disabled_reason == kDisabledGone;
  return absl::StrCat("Outbound webhook endpoint ", EndpointName(endpoint),
                      " was disabled automatically: ",
                      gone ? "it answered 410 Gone, which asks us to stop sending. Check the URL"
                           : "every delivery to it failed for 72 hours. Fix the receiver",
                      ", then enable it on the Outbound webhooks page.");
}

std::string NotificationText(NotificationKind kind, std::string_view candidate_name,
                             const std::optional<std::string>& score) {
  const std::string subject = absl::StrCat("Background check for ", ToAbsl(candidate_name));
  const std::string result = score ? absl::AsciiStrToLower(ToAbsl(*score)) : "";
  switch (kind) {
    case NotificationKind::kNeedsReview:
      // "needs review: review" would say it twice; another result (reject) is named.
      return result.empty() || result == "review"
                 ? absl::StrCat(subject, " is complete and needs review")
                 : absl::StrCat(subject, " is complete and needs review: ", result);
    case NotificationKind::kError:
      return absl::StrCat(subject, " could not be completed");
    case NotificationKind::kCompleted:
    case NotificationKind::kDelayed:           // worded by DelayedText
    case NotificationKind::kEndpointDisabled:  // worded by EndpointDisabledText
      break;
  }
  return result.empty() ? absl::StrCat(subject, " is complete")
                        : absl::StrCat(subject, " is complete: ", result);
}

Notification WithoutResult(Notification n) {
  // Only a completion carries a result; an error, a delay or an endpoint's
  // disable says none.
  if (n.kind != NotificationKind::kCompleted && n.kind != NotificationKind::kNeedsReview) return n;
  n.kind = NotificationKind::kCompleted;
  // NotificationText's words: "<subject> is complete[ and needs review]: <result>".
  // The subject names the candidate, so the last " is complete" is ours.
  constexpr std::string_view kComplete = " is complete";
  const size_t at = n.text.rfind(kComplete);
  if (at != std::string::npos) n.text.resize(at + kComplete.size());
  return n;
}

absl::Status RecordCheckNotifications(UnitOfWork& uow, const Deps& deps,
                                      std::optional<CheckStatus> stored_status,
                                      const BackgroundCheck& check) {
  std::optional<NotificationKind> kind = KindOf(stored_status, check);
  if (!kind) return absl::OkStatus();
  return NotifyCheckPeople(uow, deps, check, *kind, [&](std::string_view name) {
    return NotificationText(*kind, name, check.overall_score);
  });
}

absl::Status RecordDelayNotifications(UnitOfWork& uow, const Deps& deps,
                                      const BackgroundCheck& check, absl::Time late_at) {
  return NotifyCheckPeople(uow, deps, check, NotificationKind::kDelayed,
                           [&](std::string_view name) { return DelayedText(name, late_at); });
}

absl::Status RecordEndpointDisabledNotifications(UnitOfWork& uow, const Deps& deps,
                                                 const WebhookEndpoint& endpoint) {
  ASSIGN_OR_RETURN(std::vector<User> users, uow.ListUsers(endpoint.team));
  const std::string text = EndpointDisabledText(endpoint);
  for (const User& user : users) {
    if (user.role != Role::kAdmin || user.deactivated_at) continue;
    Notification n =
        NewNotification(deps, endpoint.team, user.id, NotificationKind::kEndpointDisabled, text);
    n.endpoint = endpoint.id;
    RETURN_IF_ERROR(NotificationRows(uow).InsertNotification(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<Page<Notification>> Notifications::List(const Principal& who,
                                                       const PageRequest& page) {
  return InReadTransaction<Page<Notification>>(deps_.store, [&](UnitOfWork& uow) {
    return NotificationRows(uow).ListNotifications(who.team, who.user, page);
  });
}

absl::StatusOr<int64_t> Notifications::UnreadCount(const Principal& who) {
  return InReadTransaction<int64_t>(deps_.store, [&](UnitOfWork& uow) {
    return NotificationRows(uow).CountUnreadNotifications(who.team, who.user);
  });
}

absl::StatusOr<Notification> Notifications::MarkRead(const Principal& who,
                                                     const NotificationId& id) {
  return InTransaction<Notification>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<Notification> {
        NotificationUnitOfWork& rows = NotificationRows(uow);
        RETURN_IF_ERROR(rows.MarkNotificationRead(who.team, who.user, id, deps_.clock.Now()));
        return rows.GetNotification(who.team, who.user, id);
      });
}

absl::StatusOr<int64_t> Notifications::MarkAllRead(const Principal& who) {
  return InTransaction<int64_t>(deps_.store, [&](UnitOfWork& uow) {
    return NotificationRows(uow).MarkAllNotificationsRead(who.team, who.user, deps_.clock.Now());
  });
}

absl::Status Notifications::Watch(const Principal& who, const ApplicationId& application) {
  return deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    RETURN_IF_ERROR(uow.GetApplication(who.team, application).status());
    return NotificationRows(uow).AddWatch(
        ApplicationWatch{who.team, application, who.user, deps_.clock.Now()});
  });
}

absl::Status Notifications::Unwatch(const Principal& who, const ApplicationId& application) {
  return deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    RETURN_IF_ERROR(uow.GetApplication(who.team, application).status());
    absl::Status removed = NotificationRows(uow).RemoveWatch(who.team, application, who.user);
    return absl::IsNotFound(removed) ? absl::OkStatus() : removed;
  });
}

absl::StatusOr<bool> Notifications::Watching(const Principal& who,
                                             const ApplicationId& application) {
  return InReadTransaction<bool>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<bool> {
    RETURN_IF_ERROR(uow.GetApplication(who.team, application).status());
    ASSIGN_OR_RETURN(std::vector<UserId> watchers,
                     NotificationRows(uow).ListWatchers(who.team, application));
    return std::find(watchers.begin(), watchers.end(), who.user) != watchers.end();
  });
}

}  // namespace stagecheck
