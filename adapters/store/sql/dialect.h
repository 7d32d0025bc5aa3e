// Every difference between the SQL dialects lives here; the unit of work
// writes portable SQL with `?` placeholders and asks the dialect for the rest.
#pragma once

#include <string>
#include <string_view>

namespace stagecheck::store {

struct Dialect {
  std::string_view name;  // "sqlite" or "postgres"
  // PostgreSQL numbers its placeholders ($1, $2, ...); SQLite takes `?`.
  bool numbered_placeholders = false;
  // Appended to the SELECT that picks work items to lease.
  std::string_view claim_lock_suffix;
  // Appended to a read whose row the transaction will rewrite, so that two
  // replicas' read-modify-write of one row run one after the other (SQLite's
  // BEGIN IMMEDIATE already serialises whole transactions).
  std::string_view row_lock_suffix;
  // PostgreSQL aborts the whole transaction on a failed statement, so a
  // statement that may fail with a constraint error runs in a savepoint.
  bool error_aborts_transaction = false;
  // Taken inside the migration transaction so that replicas starting together
  // do not migrate twice (empty: BEGIN IMMEDIATE already serialises).
  std::string_view migration_lock;
  // Counts the tables named `schema_migrations` (0 or 1).
  std::string_view ledger_exists;
  // Serialises one vendor account's call budget across replicas for the rest
  // of the transaction; one `?` (the account). Empty: SQLite's BEGIN
  // IMMEDIATE already serialises whole transactions.
  std::string_view account_lock;
  // SQLite gives a table's new rows consecutive rowids, one past the largest
  // (docs: "ROWIDs and the INTEGER PRIMARY KEY"), and has one writer, so the
  // rows a multi-row INSERT stored are the last ones up to
  // last_insert_rowid(): they are read back only when some row met a
  // conflict. Its RETURNING costs more than the insert itself (issue 21).
  // PostgreSQL has no rowid and concurrent writers: it uses RETURNING.
  bool consecutive_rowids = false;
  // A look-up of a list of keys, one index probe per key. SQLite walks a
  // VALUES list CROSS JOINed to the table. PostgreSQL's planner may instead
  // merge-join that list with the whole index (its statistics lag a queue
  // whose index fills with dead entries: ~1,450 buffers for two keys, issue
  // 21); a LATERAL sub-select with LIMIT 1 per key cannot be merged.
  bool lateral_probes = false;
  // Follows `work_items` where a look-up of due items (the worker's claim,
  // the oldest due item) must walk the partial index of pending items by
  // run_at. SQLite, which keeps no statistics here, otherwise prefers the
  // equality on `work_items_by_state`: the claim read every pending item,
  // due or not, and sorted them (~170 µs a claim at 2,000 pending fetches,
  // more than all of a batch's inserts; issue 21).
  std::string_view due_index_hint;

  // Rewrites `?` placeholders for this dialect (quoted text is left alone).
  std::string Sql(std::string_view portable) const;
};

const Dialect& SqliteDialect();
const Dialect& PostgresDialect();

}  // namespace stagecheck::store
