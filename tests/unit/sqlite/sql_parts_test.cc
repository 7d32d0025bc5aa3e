// The database-free parts of adapters/store/sql: dialects, codecs, cursors,
// and that the two back-ends' migration histories stay in step.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "adapters/store/postgres/postgres_store.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/dialect.h"
#include "adapters/store/sqlite/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stagecheck::store {
namespace {

TEST(Dialect, NumbersPlaceholdersOutsideQuotesForPostgres) {
  EXPECT_EQ(PostgresDialect().Sql("SELECT ? FROM t WHERE a = '?' AND b = ?"),
            "SELECT $1 FROM t WHERE a = '?' AND b = $2");
  EXPECT_EQ(SqliteDialect().Sql("SELECT ? WHERE b = ?"), "SELECT ? WHERE b = ?");
}

TEST(Codec, VectorsRoundTripThroughJson) {
  std::vector<std::string> tags = {"a", "quote \" and \\ and \xc3\xa9", ""};
  EXPECT_EQ(DecodeStrings(EncodeStrings(tags)).value(), tags);

  std::vector<CheckResult> results = {
      {"CRIMINAL_1", "COMPLETE", "CLEAR", absl::FromUnixMicros(123)},
      {"ID_1", "PENDING", std::nullopt, std::nullopt}};
  EXPECT_EQ(DecodeResults(EncodeResults(results)).value(), results);

  std::vector<StatusTransition> history = {
      {CheckStatus::kQueued, CheckStatus::kError, absl::FromUnixMicros(-5), "send", "no_email"}};
  EXPECT_EQ(DecodeHistory(EncodeHistory(history)).value(), history);

  ActivitySettings settings;
  settings.Set("s", std::string("v"));
  settings.Set("b", false);
  settings.Set("i", int64_t{1} << 60);
  std::vector<Stage> stages = {{StageId("s1"), "One", {{ActivityId("a"), "certn", settings}}}};
  EXPECT_EQ(DecodeStages(EncodeStages(stages)).value(), stages);
}

TEST(Codec, CorruptJsonIsDataLoss) {
  EXPECT_EQ(DecodeStrings("{").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeStrings("[1]").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHistory("[{\"from\":\"nope\"}]").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeStages("[{\"id\":\"s\"}]").status().code(), absl::StatusCode::kDataLoss);
}

TEST(Cursor, RoundTripsAndRejectsForgeries) {
  Cursor c{.order = "name", .keys = {"-42", "ada \"lovelace\"", "id:with:colons"}};
  absl::StatusOr<std::optional<Cursor>> back = DecodeCursor(EncodeCursor(c));
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->order, "name");
  EXPECT_EQ((*back)->keys, c.keys);
  EXPECT_EQ(DecodeCursor(EncodeCursor(TimeCursor(absl::FromUnixMicros(7), "a"))).value()->keys,
            (std::vector<std::string>{"7", "a"}));
  EXPECT_FALSE(DecodeCursor("").value().has_value());
  EXPECT_EQ(DecodeCursor("%%%").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeCursor("bm9jb2xvbg").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PageLimit(0), 50);
  EXPECT_EQ(PageLimit(7), 7);
  EXPECT_EQ(PageLimit(1'000'000), 500);
}

std::set<std::string> Tables(std::span<const Migration> migrations) {
  std::set<std::string> names;
  static const std::regex kCreate(R"((CREATE (UNIQUE )?(TABLE|INDEX) \w+))");
  for (const Migration& m : migrations) {
    std::string sql(m.sql);
    for (std::sregex_iterator it(sql.begin(), sql.end(), kCreate), end; it != end; ++it) {
      names.insert((*it)[1]);
    }
  }
  return names;
}

TEST(Migrations, SqliteAndPostgresStayInStep) {
  std::span<const Migration> lite = SqliteMigrations();
  std::span<const Migration> pg = PostgresMigrations();
  ASSERT_EQ(lite.size(), pg.size());
  for (size_t i = 0; i < lite.size(); ++i) {
    EXPECT_EQ(lite[i].version, static_cast<int64_t>(i + 1));  // dense, forward-only
    EXPECT_EQ(lite[i].version, pg[i].version);
    EXPECT_EQ(lite[i].name, pg[i].name);
  }
  EXPECT_EQ(Tables(lite), Tables(pg));
  EXPECT_GE(Tables(lite).size(), 20u);
}

// A released migration's text, as the back-end ran it (tests/unit/sqlite/released).
std::string Released(const std::string& name) {
  std::ifstream in(std::string(STAGECHECK_SOURCE_DIR) + "/tests/unit/sqlite/released/" + name,
                   std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// v1 is written once for both back-ends (sql/portable_migrations.h); each must
// still run exactly the SQL it released, or a new database would differ from
// one created before.
TEST(Migrations, InitialSchemaIsTheOneEachBackEndReleased) {
  const std::string lite = Released("v1.sqlite.sql");
  const std::string pg = Released("v1.postgres.sql");
  ASSERT_GT(lite.size(), 5000u);
  ASSERT_GT(pg.size(), 5000u);
  EXPECT_EQ(SqliteMigrations()[0].sql, lite);
  EXPECT_EQ(PostgresMigrations()[0].sql, pg);
}

}  // namespace
}  // namespace stagecheck::store
