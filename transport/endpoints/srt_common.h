// libsrt helpers shared by srt_endpoint.cc and srt_server.cc (internal to
// hitless_endpoints; includes libsrt): its process-wide start and log watch,
// error and reject texts.
#pragma once

#include <srt/srt.h>

#include <atomic>
#include <mutex>
#include <string>

#include "transport/endpoints/media.h"

namespace hitless::endpoints::srt_internal {

// libsrt's process-wide state: started once; its log is watched for the one
// thing only the log reports, a listener refusing a handshake on its own
// (wrong or missing passphrase, key length mismatch). Nothing else of
// libsrt's log is printed but its fatal errors.
struct SrtGlobal {
  std::atomic<uint64_t> listener_refusals{0};
  std::mutex mutex;
  std::string last_refusal;  // guarded by mutex
};

// Starts libsrt on the first call.
SrtGlobal& Global();
// The program's name, for messages.
const char* Program();
// libsrt's last error on this thread, as text.
std::string LastError();
// Why a caller was refused: libsrt's reason (SRT_REJ_*) or a listener's
// (SRT_REJX_*), with its number.
std::string RejectText(int reason);
// libsrt's counters of one connection (srt_bstats) into `out`'s srt_*, RTT,
// buffer and latency figures, for its receiving or its sending side. False
// (out untouched) when libsrt has none (a broken connection).
bool ReadLegFigures(SRTSOCKET socket, bool receiving, SrtLegStats& out);

}  // namespace hitless::endpoints::srt_internal
