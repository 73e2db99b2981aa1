// HITLESS_BUG: a "can't happen" path. In debug builds it aborts with the
// message and location; in release builds it logs once per call site and
// counts (BugCount()), so a production stream keeps flowing.
#pragma once

#include <cstdint>

namespace hitless {

// Number of HITLESS_BUG hits since start (release builds).
uint64_t BugCount();
void ReportBug(const char* message, const char* file, int line);

}  // namespace hitless

#define HITLESS_BUG(message) ::hitless::ReportBug((message), __FILE__, __LINE__)
