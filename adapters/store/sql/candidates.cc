// Candidates and their files: the `candidates` and `candidate_files` tables.
// A candidate write also refreshes the applications' copy of the name and
// email that the pipeline overview sorts and searches (applications.cc).
#include "adapters/store/sql/unit_of_work.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/at_rest.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/pages.h"
#include "adapters/store/sql/rows.h"
#include "core/errors.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using pages::BuildPage;
using pages::FinishPage;
using pages::PageQuery;
using rows::Bytes;
using rows::Cells;
using rows::MapRows;
using rows::P;
using rows::Single;

constexpr std::string_view kCandidateCols =
    "team_id, candidate_id, first_name, last_name, email, phone, tags, created_at, updated_at";
absl::StatusOr<Candidate> ReadCandidate(const Row& row) {
  Cells c(row);
  Candidate d;
  d.team = c.IdOf<TeamId>();
  d.id = c.IdOf<CandidateId>();
  d.first_name = c.Text();
  d.last_name = c.Text();
  d.email = c.OptText();
  d.phone = c.OptText();
  absl::StatusOr<std::vector<std::string>> tags = DecodeStrings(c.Text());
  if (!tags.ok()) return tags.status();
  d.tags = *std::move(tags);
  d.created_at = c.Time();
  d.updated_at = c.Time();
  return d;
}

constexpr std::string_view kFileCols =
    "team_id, file_id, candidate_id, name, content_type, size, sha256_hex, created_at";
CandidateFile ReadFile(const Row& row) {
  Cells c(row);
  CandidateFile f;
  f.team = c.IdOf<TeamId>();
  f.id = c.IdOf<FileId>();
  f.candidate = c.IdOf<CandidateId>();
  f.name = c.Text();
  f.content_type = c.Text();
  f.size = c.Int();
  f.sha256_hex = c.Text();
  f.created_at = c.Time();
  return f;
}

}  // namespace

absl::Status SqlUnitOfWork::InsertCandidate(const Candidate& d) {
  return Insert(absl::StrCat("INSERT INTO candidates (", ToAbsl(kCandidateCols),
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {P(d.team), P(d.id), P(d.first_name), P(d.last_name), P(d.email), P(d.phone),
                 P(EncodeStrings(d.tags)), P(d.created_at), P(d.updated_at)},
                "candidate");
}

absl::StatusOr<Candidate> SqlUnitOfWork::GetCandidate(const TeamId& team, const CandidateId& id) {
  return GetOneCandidate(team, id, "");
}

absl::StatusOr<Candidate> SqlUnitOfWork::GetCandidateForUpdate(const TeamId& team,
                                                               const CandidateId& id) {
  if (absl::Status s = RefuseInReadOnly(); !s.ok()) return s;
  return GetOneCandidate(team, id, dialect_.row_lock_suffix);
}

absl::StatusOr<Candidate> SqlUnitOfWork::GetOneCandidate(const TeamId& team, const CandidateId& id,
                                                         std::string_view lock_suffix) {
  absl::StatusOr<Row> row =
      Single(Query(absl::StrCat("SELECT ", ToAbsl(kCandidateCols),
                                " FROM candidates WHERE team_id = ? AND candidate_id = ?",
                                ToAbsl(lock_suffix)),
                   {P(team), P(id)}),
             "candidate");
  if (!row.ok()) return row.status();
  return ReadCandidate(*row);
}

absl::Status SqlUnitOfWork::UpdateCandidate(const Candidate& d) {
  RETURN_IF_ERROR(UpdateOne(
      "UPDATE candidates SET first_name = ?, last_name = ?, email = ?, phone = ?, tags = ?, "
      "updated_at = ? WHERE team_id = ? AND candidate_id = ?",
      {P(d.first_name), P(d.last_name), P(d.email), P(d.phone), P(EncodeStrings(d.tags)),
       P(d.updated_at), P(d.team), P(d.id)},
      "candidate"));
  // The pipeline overview searches and sorts by the candidate's name and email.
  return RefreshCandidateSort(d.team, d.id);
}

absl::StatusOr<Page<Candidate>> SqlUnitOfWork::ListCandidates(const TeamId& team,
                                                              const PageRequest& page) {
  absl::StatusOr<PageQuery> q =
      BuildPage(absl::StrCat("SELECT ", ToAbsl(kCandidateCols), " FROM candidates"), "team_id = ?",
                {P(team)}, "created_at", "candidate_id", page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<Candidate>> items = MapRows<Candidate>(*rows, ReadCandidate);
  if (!items.ok()) return items.status();
  return FinishPage(*std::move(items), q->limit,
                    [](const Candidate& d) { return TimeCursor(d.created_at, d.id.value()); });
}

absl::Status SqlUnitOfWork::InsertFile(const CandidateFile& f, const std::string& content) {
  // An erased candidate gets no file back (a report downloaded after the
  // erasure, say). A candidate that does not exist is the key's to refuse.
  absl::StatusOr<std::optional<absl::Time>> erased = GetErasure(f.team, f.candidate);
  if (erased.ok() && erased->has_value()) {
    return Error(absl::StatusCode::kFailedPrecondition, "candidate_erased",
                 "This candidate's personal data was erased; no file is kept for them.");
  }
  if (!erased.ok() && erased.status().code() != absl::StatusCode::kNotFound) return erased.status();
  ASSIGN_OR_RETURN(std::string stored, Seal(at_rest_, content));
  return Insert(
      absl::StrCat("INSERT INTO candidate_files (", ToAbsl(kFileCols),
                   ", content, encrypted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      {P(f.team), P(f.id), P(f.candidate), P(f.name), P(f.content_type), P(f.size), P(f.sha256_hex),
       P(f.created_at), Bytes(stored), int64_t{at_rest_ != nullptr ? 1 : 0}},
      "file");
}

absl::StatusOr<std::vector<CandidateFile>> SqlUnitOfWork::ListFiles(const TeamId& team,
                                                                    const CandidateId& candidate) {
  absl::StatusOr<std::vector<Row>> rows =
      Query(absl::StrCat("SELECT ", ToAbsl(kFileCols),
                         " FROM candidate_files WHERE team_id = ? AND candidate_id = ? "
                         "ORDER BY created_at, file_id"),
            {P(team), P(candidate)});
  if (!rows.ok()) return rows.status();
  std::vector<CandidateFile> files;
  for (const Row& row : *rows) files.push_back(ReadFile(row));
  return files;
}

absl::StatusOr<CandidateFile> SqlUnitOfWork::GetFile(const TeamId& team, const FileId& id) {
  absl::StatusOr<Row> row =
      Single(Query(absl::StrCat("SELECT ", ToAbsl(kFileCols),
                                " FROM candidate_files WHERE team_id = ? AND file_id = ?"),
                   {P(team), P(id)}),
             "file");
  if (!row.ok()) return row.status();
  return ReadFile(*row);
}

absl::StatusOr<std::string> SqlUnitOfWork::GetFileContent(const TeamId& team, const FileId& id) {
  absl::StatusOr<Row> row = Single(
      Query("SELECT content, encrypted FROM candidate_files WHERE team_id = ? AND file_id = ?",
            {P(team), P(id)}),
      "file");
  if (!row.ok()) return row.status();
  Cells c(*row);
  std::string stored = c.Text();
  if (c.Int() == 0) return stored;  // written in clear (before v11, or without a key)
  if (at_rest_ == nullptr) {
    return Error(absl::StatusCode::kFailedPrecondition, "no_encryption_key",
                 "This file is encrypted at rest and no encryption key is configured.");
  }
  return at_rest_->Decrypt(stored);
}

}  // namespace stagecheck::store
