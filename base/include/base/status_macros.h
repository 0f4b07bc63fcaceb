#ifndef VOUCH_BASE_STATUS_MACROS_H_
#define VOUCH_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Abseil 20220623 (Debian 12) ships no public propagation macros, so we keep
// exactly these two. Prefer a plain `if (!s.ok()) return s;` where it reads
// better; never add more macros here.

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define VOUCH_RETURN_IF_ERROR(expr)                                   \
  do {                                                                \
    if (::absl::Status vouch_status_ = (expr); !vouch_status_.ok()) { \
      return vouch_status_;                                           \
    }                                                                 \
  } while (false)

// `VOUCH_ASSIGN_OR_RETURN(auto x, MakeX());` declares `x` from an
// absl::StatusOr<T>, or returns its error. Expands to several statements,
// so it cannot be the body of an unbraced `if`.
#define VOUCH_ASSIGN_OR_RETURN(lhs, expr) \
  VOUCH_ASSIGN_OR_RETURN_IMPL_(VOUCH_CONCAT_(vouch_statusor_, __LINE__), lhs, expr)

// NOLINTBEGIN(bugprone-macro-parentheses): `statusor` names a variable and `lhs` may be a
// declaration (`auto x`); neither can be parenthesised.
#define VOUCH_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)  \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)
// NOLINTEND(bugprone-macro-parentheses)

#define VOUCH_CONCAT_(a, b) VOUCH_CONCAT_INNER_(a, b)
#define VOUCH_CONCAT_INNER_(a, b) a##b

#endif  // VOUCH_BASE_STATUS_MACROS_H_
