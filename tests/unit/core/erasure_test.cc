// What erasure cuts out of free text (core/domain/erasure.h).
#include "core/domain/erasure.h"

#include "gtest/gtest.h"

namespace stagecheck {
namespace {

std::string Scrub(std::string_view text, std::string_view first, std::string_view last,
                  std::optional<std::string> email = std::nullopt,
                  std::optional<std::string> phone = std::nullopt) {
  return ScrubPersonalWords(text, PersonalWordsOf(first, last, email, phone), "[x]");
}

TEST(ScrubPersonalWords, CutsTheFullNameInOnePieceAndEachPartAlone) {
  EXPECT_EQ(Scrub("Sent to Ada Lovelace. Ada opened it; LOVELACE signed.", "Ada", "Lovelace"),
            "Sent to [x]. [x] opened it; [x] signed.");
}

TEST(ScrubPersonalWords, ShortNamesGoAsWholeWordsButNeverInsideOtherWords) {
  EXPECT_EQ(Scrub("Lee met Al in Fleet Street; also Alan and Leeds.", "Al", "Lee"),
            "[x] met [x] in Fleet Street; also Alan and Leeds.");
  EXPECT_EQ(Scrub("Li's check, Li-Na's too", "Li", "Wu"), "[x]'s check, [x]-Na's too");
}

TEST(ScrubPersonalWords, HyphenatedAndMultiPartNamesLoseEveryPart) {
  EXPECT_EQ(Scrub("Mary-Jane, Mary and Jane; van der Berg", "Mary-Jane", "van der Berg"),
            "[x], [x] and [x]; [x] [x] [x]");
}

TEST(ScrubPersonalWords, AnInitialMatchesOnlyInItsOwnCase) {
  EXPECT_EQ(Scrub("J sent a check to J. Smith", "J", "Smith"), "[x] sent a check to [x]. [x]");
  EXPECT_EQ(Scrub("a check", "A", "Smith"), "a check");
}

TEST(ScrubPersonalWords, NonAsciiLettersAreLettersOfTheWord) {
  EXPECT_EQ(Scrub("Zoë and Zo and Zoëy", "Zo", "Ng"), "Zoë and [x] and Zoëy");
  EXPECT_EQ(Scrub("Zoë Ng, Zoë", "Zoë", "Ng"), "[x], [x]");
}

TEST(ScrubPersonalWords, EmailAndPhoneGoWhereverTheyStand) {
  EXPECT_EQ(
      Scrub("mail:ADA@x.example,tel+1 555 0100.", "Ada", "Byron", "ada@x.example", "+1 555 0100"),
      "mail:[x],tel[x].");
}

TEST(ScrubPersonalWords, EmptyNamesCutNothing) {
  EXPECT_EQ(Scrub("nothing here", "", ""), "nothing here");
  EXPECT_EQ(Scrub("", "Ada", "Byron"), "");
}

}  // namespace
}  // namespace stagecheck
