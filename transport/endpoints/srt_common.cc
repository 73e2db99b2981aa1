// Implements srt_common.h.
#include "transport/endpoints/srt_common.h"

#include <srt/access_control.h>
#include <srt/srt.h>
#include <sys/syslog.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace hitless::endpoints::srt_internal {
namespace {

void OnSrtLog(void* opaque, int level, const char* /*file*/, int /*line*/, const char* /*area*/,
              const char* message) {
  auto* global = static_cast<SrtGlobal*>(opaque);
  const std::string_view text(message);
  // "processConnectRequest: rsp(REJECT): 1010 - Incorrect passphrase". Codes
  // 1001..1999 are libsrt's own (SRT_REJ_* + 1000); 2000 and above are our
  // listen callback's (already counted there).
  constexpr std::string_view kReject = "rsp(REJECT): ";
  if (const size_t at = text.find(kReject); at != std::string_view::npos) {
    std::string_view rest = text.substr(at + kReject.size());
    const size_t digits = rest.find_first_not_of("0123456789");
    int code = 0;
    const std::string_view number = rest.substr(0, digits);
    const auto parsed = std::from_chars(number.data(), number.data() + number.size(), code);
    if (parsed.ec == std::errc() && code > 1000 && code < 2000) {
      std::string why(rest.substr(digits == std::string_view::npos ? rest.size() : digits));
      if (why.starts_with(" - ")) why.erase(0, 3);
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      {
        std::lock_guard lock(global->mutex);
        global->last_refusal = absl::StrCat(why, " (SRT reject ", code - 1000, ")");
      }
      global->listener_refusals.fetch_add(1);
    }
    return;
  }
  if (level <= LOG_CRIT) std::fprintf(stderr, "libsrt: %s\n", message);
}

}  // namespace

SrtGlobal& Global() {
  static SrtGlobal* const global = [] {
    auto* g = new SrtGlobal;  // lives for the process, as libsrt's own state does
    srt_startup();
    srt_setloglevel(LOG_WARNING);
    srt_setlogflags(SRT_LOGF_DISABLE_TIME | SRT_LOGF_DISABLE_THREADNAME |
                    SRT_LOGF_DISABLE_SEVERITY | SRT_LOGF_DISABLE_EOL);
    srt_setloghandler(g, &OnSrtLog);
    return g;
  }();
  return *global;
}

const char* Program() { return program_invocation_short_name; }

std::string LastError() { return srt_getlasterror_str(); }

// Our listen callback's refusals, as the caller reads them.
std::string RejectText(int reason) {
  switch (reason) {
    case SRT_REJX_NOTFOUND:
      return "the listener serves another streamid (SRT reject 1404 not found)";
    case SRT_REJX_OVERLOAD:
      return "the listener has no room for another caller (SRT reject 1402 overload)";
    case SRT_REJX_FORBIDDEN:
      return "forbidden by the listener (SRT reject 1403)";
    default:
      break;
  }
  if (reason >= SRT_REJC_PREDEFINED)
    return absl::StrCat("refused by the listener (SRT reject ", reason, ")");
  return absl::StrCat(srt_rejectreason_str(reason), " (SRT reject ", reason, ")");
}

bool ReadLegFigures(SRTSOCKET socket, bool receiving, SrtLegStats& out) {
  SRT_TRACEBSTATS perf{};
  if (srt_bstats(socket, &perf, 0) != 0) return false;
  const auto n = [](int64_t v) { return static_cast<uint64_t>(std::max<int64_t>(v, 0)); };
  out.srt_lost = n(receiving ? perf.pktRcvLossTotal : perf.pktSndLossTotal);
  out.srt_retransmitted = n(receiving ? perf.pktRcvRetrans : perf.pktRetransTotal);
  out.srt_dropped = n(receiving ? perf.pktRcvDropTotal : perf.pktSndDropTotal);
  out.srt_packets = n(receiving ? perf.pktRecvTotal : perf.pktSentTotal);
  out.rtt_ms = perf.msRTT;
  out.buffer_ms = receiving ? perf.msRcvBuf : perf.msSndBuf;
  out.latency_ms = receiving ? perf.msRcvTsbPdDelay : perf.msSndTsbPdDelay;
  return true;
}

}  // namespace hitless::endpoints::srt_internal
