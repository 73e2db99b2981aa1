// WireError / DropReasonOf: one prebuilt Status per DropReason.
#include "transport/wire/wire_error.h"

#include <array>
#include <cstddef>
#include <string_view>

#include "transport/base/bug.h"

namespace hitless {
namespace {

using StatusTable = std::array<absl::Status, kDropReasonCount>;

const StatusTable& Table() {
  static const StatusTable* const table = [] {
    auto* t = new StatusTable;
    for (size_t i = 0; i < kDropReasonCount; ++i) {
      const std::string_view name = DropReasonName(static_cast<DropReason>(i));
      (*t)[i] = absl::InvalidArgumentError(absl::string_view(name.data(), name.size()));
    }
    return t;
  }();
  return *table;
}

}  // namespace

absl::Status WireError(DropReason reason) { return Table()[static_cast<size_t>(reason)]; }

DropReason DropReasonOf(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    // A copy of a table entry shares its message storage: a pointer compare
    // per reason, no string compare, on the path a flood of bad packets takes.
    const StatusTable& table = Table();
    const char* data = status.message().data();
    for (size_t i = 0; i < kDropReasonCount; ++i) {
      if (table[i].message().data() == data) return static_cast<DropReason>(i);
    }
    // Rebuilt elsewhere with the same text (not a copy): by name.
    // absl::string_view is not std::string_view in Debian's abseil build.
    const std::string_view message(status.message().data(), status.message().size());
    for (size_t i = 0; i < kDropReasonCount; ++i) {
      const auto reason = static_cast<DropReason>(i);
      if (message == DropReasonName(reason)) return reason;
    }
  }
  HITLESS_BUG("DropReasonOf: status was not made by WireError");
  return DropReason::kBadField;
}

}  // namespace hitless
