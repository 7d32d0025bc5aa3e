// Propagating errors without ladders, with Abseil's names and meaning (the
// Abseil Debian ships does not export its own):
//
//   absl::Status Save(UnitOfWork& uow, const Job& job) {
//     RETURN_IF_ERROR(ValidateTitle(job.title));     // returns the error as is
//     ASSIGN_OR_RETURN(Job stored, uow.GetJob(job.team, job.id));
//     ...
//   }
//
// RETURN_IF_ERROR(expr): `expr` is an absl::Status; a non-OK one is returned
// from the enclosing function (which returns absl::Status or StatusOr<T>).
// ASSIGN_OR_RETURN(lhs, expr): `expr` is an absl::StatusOr<T>; its value is
// moved into `lhs` (a declaration or an existing variable), or its status is
// returned. Each expands to statements: not for use as an expression.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RETURN_IF_ERROR(expr)                                                        \
  do {                                                                               \
    const ::absl::Status stagecheck_status_macro_status = (expr);                    \
    if (!stagecheck_status_macro_status.ok()) return stagecheck_status_macro_status; \
  } while (false)

#define STAGECHECK_STATUS_MACRO_CONCAT_INNER(a, b) a##b
#define STAGECHECK_STATUS_MACRO_CONCAT(a, b) STAGECHECK_STATUS_MACRO_CONCAT_INNER(a, b)

#define ASSIGN_OR_RETURN(lhs, expr) \
  STAGECHECK_ASSIGN_OR_RETURN_IMPL( \
      STAGECHECK_STATUS_MACRO_CONCAT(stagecheck_status_or_, __LINE__), lhs, expr)

#define STAGECHECK_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                     \
  if (!statusor.ok()) return std::move(statusor).status();    \
  lhs = *std::move(statusor)
