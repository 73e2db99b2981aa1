// Wire parse errors as absl::Status values that carry a DropReason.
//
// A malformed packet is a drop, not an error: parsers return WireError(reason)
// and the caller recovers the reason with DropReasonOf() to count it. The
// Status objects are built once per reason and copied (a reference-count bump),
// so rejecting a packet neither formats nor allocates a string.
#pragma once

#include "absl/status/status.h"
#include "transport/base/drop_reason.h"

namespace hitless {

// Returns an InvalidArgument status whose message is DropReasonName(reason).
absl::Status WireError(DropReason reason);

// Maps a status produced by WireError() back to its reason. Returns
// DropReason::kBadField for an ok status or any status WireError() did not make
// (a caller bug, reported through HITLESS_BUG).
DropReason DropReasonOf(const absl::Status& status);

}  // namespace hitless
