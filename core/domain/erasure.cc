#include "core/domain/erasure.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

bool IsWordByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || absl::ascii_isalnum(u);
}

void AddNameParts(std::string_view name, std::vector<std::string>& out) {
  for (absl::string_view spaced : absl::StrSplit(ToAbsl(name), ' ', absl::SkipWhitespace())) {
    out.emplace_back(spaced);
    if (!absl::StrContains(spaced, '-')) continue;
    for (absl::string_view part : absl::StrSplit(spaced, '-', absl::SkipEmpty())) {
      out.emplace_back(part);
    }
  }
}

// Whether `word` is at `at` of `text` (ASCII case ignored unless `exact`).
bool MatchesAt(std::string_view text, size_t at, std::string_view word, bool exact) {
  if (word.empty() || text.size() - at < word.size()) return false;
  std::string_view here = text.substr(at, word.size());
  return exact ? here == word : absl::EqualsIgnoreCase(ToAbsl(here), ToAbsl(word));
}

bool WholeWordAt(std::string_view text, size_t at, std::string_view word) {
  if (!MatchesAt(text, at, word, word.size() == 1)) return false;
  const size_t end = at + word.size();
  return (at == 0 || !IsWordByte(text[at - 1])) && (end == text.size() || !IsWordByte(text[end]));
}

// The length of the longest personal word at `at`, or 0.
size_t LongestMatchAt(std::string_view text, size_t at, const PersonalWords& words) {
  size_t longest = 0;
  for (const std::string& w : words.anywhere) {
    if (w.size() > longest && MatchesAt(text, at, w, false)) longest = w.size();
  }
  for (const std::string& w : words.whole_words) {
    if (w.size() > longest && WholeWordAt(text, at, w)) longest = w.size();
  }
  return longest;
}

}  // namespace

PersonalWords PersonalWordsOf(std::string_view first_name, std::string_view last_name,
                              const std::optional<std::string>& email,
                              const std::optional<std::string>& phone) {
  PersonalWords words;
  std::string full = std::string(absl::StripAsciiWhitespace(ToAbsl(first_name))) + " " +
                     std::string(absl::StripAsciiWhitespace(ToAbsl(last_name)));
  if (full.size() > 1) words.whole_words.push_back(std::move(full));
  for (const std::optional<std::string>& v : {email, phone}) {
    if (v && !v->empty()) words.anywhere.push_back(*v);
  }
  AddNameParts(first_name, words.whole_words);
  AddNameParts(last_name, words.whole_words);
  return words;
}

std::string ScrubPersonalWords(std::string_view text, const PersonalWords& words,
                               std::string_view replacement) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    if (size_t n = LongestMatchAt(text, at, words); n > 0) {
      out.append(replacement);
      at += n;
    } else {
      out.push_back(text[at++]);
    }
  }
  return out;
}

}  // namespace stagecheck
