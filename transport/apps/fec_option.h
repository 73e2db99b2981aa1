// The `fec=` option of hitless:// URLs, e.g.
//   fec=rs,k=20,m=4[,i=2]          Reed-Solomon: k sources, m repairs, interleave i
//   fec=adaptive[,k=20][,m=10][,i=8]  Reed-Solomon whose m (0..m) and interleave
//                                   (1..i) follow the receiver's loss reports
//   fec=xor,l=10[,d=10][,mode=row|column|2d]   SMPTE 2022-1 style XOR (default row;
//                                   column/2d need d)
//   fec=none
// Parsed into the handshake's FecConfig and checked against what the codecs
// accept, so a bad value fails at startup with a precise message.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "transport/wire/handshake.h"

namespace hitless::apps {

absl::StatusOr<FecConfig> ParseFecOption(std::string_view text);

}  // namespace hitless::apps
