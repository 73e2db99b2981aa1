// What an SRT caller asks of hitless-relay, from its streamid: SRT's access
// control convention (docs/features/access-control.md in libsrt:
// "#!::r=NAME,m=publish", keys r = resource, m = request|publish, others
// such as u= and s= ignored), MediaMTX's "publish:NAME" / "read:NAME", or a
// bare "NAME" (a reader, as srt-live-transmit users type it).
//
// Stateless; the streamid is network input (fuzzed: srt_streamid_fuzz).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace hitless::relay {

struct SrtStreamRequest {
  std::string stream;    // the relay's stream id (1..512 bytes)
  bool publish = false;  // m=publish: the caller sends the stream
};

// Errors (InvalidArgument, a message for the log): empty, longer than 512
// bytes, "#!::" without r=, a key without '=', m= other than request or
// publish (bidirectional is not served), control characters.
absl::StatusOr<SrtStreamRequest> ParseSrtStreamId(std::string_view streamid);

}  // namespace hitless::relay
