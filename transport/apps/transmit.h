// The shared body of hitless-send and hitless-recv: `PROGRAM INPUT OUTPUT`
// with URL endpoints, as srt-live-transmit users know it.
//
//   hitless-send INPUT hitless://HOST:PORT?latency=...   (INPUT: udp, file, -, gen)
//   hitless-recv hitless://...  OUTPUT                    (OUTPUT: udp, file, -, verify)
//
// Parses flags and URLs (exit 2 with a one-line message on any error),
// builds the media endpoint and the ConnectionDriver on one io_context,
// prints a status line every second on a terminal, writes --stats-json at
// exit, and stops cleanly on SIGINT/SIGTERM (SHUTDOWN sent to the peer,
// outputs flushed). hitless-send also stops once its input has ended and
// the latency window has drained.
#pragma once

namespace hitless::apps {

enum class Side { kSend, kRecv };

// Returns the process exit code: 0 ok, 1 runtime failure, 2 usage error.
int RunTransmit(Side side, int argc, const char* const* argv);

}  // namespace hitless::apps
