// Strong identifier types: every entity has its own id type so that a
// CandidateId can never be passed where an ApplicationId is expected.
#pragma once

#include <compare>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

namespace stagecheck {

template <typename Tag>
class Id {
 public:
  Id() = default;
  explicit Id(std::string value) : value_(std::move(value)) {}

  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend auto operator<=>(const Id&, const Id&) = default;
  friend bool operator==(const Id&, const Id&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Id& id) { return os << id.value_; }
  template <typename H>
  friend H AbslHashValue(H h, const Id& id) {
    return H::combine(std::move(h), id.value_);
  }

 private:
  std::string value_;
};

using TeamId = Id<struct TeamTag>;
using UserId = Id<struct UserTag>;
using JobId = Id<struct JobTag>;
using StageId = Id<struct StageTag>;
using ActivityId = Id<struct ActivityTag>;
using CandidateId = Id<struct CandidateTag>;
using ApplicationId = Id<struct ApplicationTag>;
using CheckId = Id<struct CheckTag>;
using FileId = Id<struct FileTag>;
using FeedEventId = Id<struct FeedEventTag>;
using WorkItemId = Id<struct WorkItemTag>;
using BulkSendId = Id<struct BulkSendTag>;
using TokenId = Id<struct TokenTag>;

}  // namespace stagecheck

template <typename Tag>
struct std::hash<stagecheck::Id<Tag>> {
  size_t operator()(const stagecheck::Id<Tag>& id) const noexcept {
    return std::hash<std::string>()(id.value());
  }
};
