// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status and absl::StatusOr
// (Debian 12's abseil does not ship them).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define HITLESS_CONCAT_INNER(a, b) a##b
#define HITLESS_CONCAT(a, b) HITLESS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status hitless_status_ = (expr);           \
    if (!hitless_status_.ok()) return hitless_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  HITLESS_ASSIGN_OR_RETURN_IMPL(HITLESS_CONCAT(hitless_statusor_, __LINE__), lhs, expr)

#define HITLESS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()
