// What erasing a candidate cuts out of free text (feed lines): their personal
// words, found safely. Used by the stores' erasure (adapters/store/sql).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stagecheck {

// The words of one candidate that free text may hold.
struct PersonalWords {
  // Cut wherever they occur, ignoring ASCII case: the email and the phone.
  // Specific, so any occurrence is the person.
  std::vector<std::string> anywhere;
  // Cut only as whole words: the full name, and each part of the first and
  // last name (split at spaces and hyphens, the hyphenated whole too),
  // whatever its length.
  std::vector<std::string> whole_words;
};

PersonalWords PersonalWordsOf(std::string_view first_name, std::string_view last_name,
                              const std::optional<std::string>& email,
                              const std::optional<std::string>& phone);

// `text` with every occurrence of `words` replaced by `replacement`, in one
// pass from the left, the longest match first (so "Ada Lovelace" goes as one).
//
// The rule for name parts, and why: a name part is cut only where it stands
// as a whole word, that is where the characters on both sides are not
// letters or digits (an apostrophe or a hyphen ends a word: "Ada's" loses
// "Ada"). Whole words never cut a name out of another word ("Lee" stays in
// "Fleet", "Al" in "Also"), so names of any length, "Li" or "Al", are cut
// safely. A byte of a multi-byte UTF-8 character counts as a letter, so "Zoë"
// is one word and "Zo" is not found inside it. Names of two or more
// characters match regardless of ASCII case ("LEE" is Lee); a one-letter part
// (an initial) matches only in its own case, so that a candidate "A. Smith"
// does not erase every article "a". What can still be cut is an ordinary
// word equal to a name part ("Will", "Rose"): in a line about this candidate
// that errs on the side of the person's privacy.
std::string ScrubPersonalWords(std::string_view text, const PersonalWords& words,
                               std::string_view replacement);

}  // namespace stagecheck
