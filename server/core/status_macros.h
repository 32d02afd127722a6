#ifndef OAUTHD_SERVER_CORE_STATUS_MACROS_H_
#define OAUTHD_SERVER_CORE_STATUS_MACROS_H_

// Abseil 20220623 (Debian 12) has no status macros; these two are the usual
// early-return helpers. Header-only so that storage/ and client/ may use them
// without linking server code.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define OAUTHD_CONCAT_INNER_(a, b) a##b
#define OAUTHD_CONCAT_(a, b) OAUTHD_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function if it is not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status oauthd_status_ = (expr);        \
    if (!oauthd_status_.ok()) return oauthd_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F())`: declares/assigns the value of a StatusOr,
// or returns its status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(OAUTHD_CONCAT_(oauthd_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                           \
  if (!var.ok()) return std::move(var).status(); \
  lhs = std::move(var).value()

#endif  // OAUTHD_SERVER_CORE_STATUS_MACROS_H_
