// Command-line flags: `--name value` or `--name=value`, every flag known in
// advance so that a typo is an error (exit 2), never silently ignored.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace stagecheck::cli {

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> switches;

  std::optional<std::string> Get(const std::string& name) const;
  bool Has(const std::string& name) const { return switches.contains(name); }
};

// `value_flags` take a value; `switch_flags` take none.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::set<std::string>& value_flags,
                                     const std::set<std::string>& switch_flags);

struct HostPort {
  std::string host;
  uint16_t port = 0;
};
absl::StatusOr<HostPort> ParseHostPort(const std::string& text);
absl::StatusOr<int> ParseIntInRange(const std::string& flag, const std::string& text, int min,
                                    int max);
absl::StatusOr<int> ParsePositiveInt(const std::string& flag, const std::string& text, int max);

}  // namespace stagecheck::cli
