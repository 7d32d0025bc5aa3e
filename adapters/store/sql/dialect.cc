#include "adapters/store/sql/dialect.h"

namespace stagecheck::store {

std::string Dialect::Sql(std::string_view portable) const {
  if (!numbered_placeholders) return std::string(portable);
  std::string out;
  out.reserve(portable.size() + 16);
  int n = 0;
  bool quoted = false;
  for (char c : portable) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

const Dialect& SqliteDialect() {
  static const Dialect kDialect{.name = "sqlite",
                                .numbered_placeholders = false,
                                .claim_lock_suffix = "",
                                .row_lock_suffix = "",
                                .error_aborts_transaction = false,
                                .migration_lock = "",
                                .ledger_exists =
                                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                                    "AND name = 'schema_migrations'",
                                .account_lock = "",
                                .consecutive_rowids = true,
                                .lateral_probes = false,
                                .due_index_hint = " INDEXED BY work_items_due"};
  return kDialect;
}

const Dialect& PostgresDialect() {
  static const Dialect kDialect{.name = "postgres",
                                .numbered_placeholders = true,
                                .claim_lock_suffix = " FOR UPDATE SKIP LOCKED",
                                .row_lock_suffix = " FOR UPDATE",
                                .error_aborts_transaction = true,
                                // An arbitrary constant shared by all replicas.
                                .migration_lock = "SELECT pg_advisory_xact_lock(7262050331)",
                                .ledger_exists =
                                    "SELECT COUNT(*) FROM information_schema.tables WHERE "
                                    "table_schema = current_schema() AND table_name = "
                                    "'schema_migrations'",
                                .account_lock = "SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))",
                                .consecutive_rowids = false,
                                .lateral_probes = true,
                                .due_index_hint = ""};
  return kDialect;
}

}  // namespace stagecheck::store
