// How domain values become column values and back: times as int64 unix
// microseconds, small vectors (tags, check results, history, plan stages)
// as JSON text, and keyset-pagination cursors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/domain/background_check.h"
#include "core/domain/job.h"

namespace stagecheck::store {

inline int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
inline absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

std::string EncodeStrings(const std::vector<std::string>& values);
absl::StatusOr<std::vector<std::string>> DecodeStrings(const std::string& json);

std::string EncodeResults(const std::vector<CheckResult>& results);
absl::StatusOr<std::vector<CheckResult>> DecodeResults(const std::string& json);

std::string EncodeHistory(const std::vector<StatusTransition>& history);
absl::StatusOr<std::vector<StatusTransition>> DecodeHistory(const std::string& json);

std::string EncodeStages(const std::vector<Stage>& stages);
absl::StatusOr<std::vector<Stage>> DecodeStages(const std::string& json);

// A keyset position: the sort keys of a page's last row (integers in
// decimal), the id that breaks ties last, and the name of the order they
// belong to ("" for a list with one order), so that a cursor of one order is
// refused by another.
struct Cursor {
  std::string order;
  std::vector<std::string> keys;
};
// The position of a list ordered by (time, id), newest first.
Cursor TimeCursor(absl::Time at, const std::string& id);
std::string EncodeCursor(const Cursor& cursor);
// InvalidArgument for a cursor this store did not hand out.
absl::StatusOr<std::optional<Cursor>> DecodeCursor(const std::string& after);
// The page size actually used: defaults and caps keep one page cheap.
int PageLimit(int requested);

}  // namespace stagecheck::store
