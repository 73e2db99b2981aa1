// Implements srt_server.h.
#include "transport/endpoints/srt_server.h"

#include <srt/access_control.h>
#include <srt/srt.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "transport/base/clock.h"
#include "transport/endpoints/cross_thread_wake.h"
#include "transport/endpoints/query.h"
#include "transport/endpoints/srt_common.h"

static_assert(hitless::endpoints::SrtServer::kRejectNotFound == SRT_REJX_NOTFOUND);
static_assert(hitless::endpoints::SrtServer::kRejectBadRequest == SRT_REJX_BAD_REQUEST);

namespace hitless::endpoints {
namespace {

using srt_internal::Global;
using srt_internal::LastError;
using srt_internal::Program;

constexpr int kEpollWaitMs = 10;
constexpr size_t kMaxDatagram = 1500;
constexpr size_t kMaxPendingBytes = 16 << 20;

enum class EventKind : uint8_t { kConnect, kData, kClose };
struct Event {
  EventKind kind;
  uint64_t caller;
  size_t offset;  // kData: into the batch's bytes
  size_t size;
  Time at;
  std::string streamid;  // kConnect
  std::string peer;      // kConnect
};

std::string PeerText(const sockaddr_storage& peer, int len) {
  io::UdpEndpoint e;
  if (len <= 0 || static_cast<size_t>(len) > e.capacity()) return "?";
  std::memcpy(e.data(), &peer, static_cast<size_t>(len));
  e.resize(static_cast<size_t>(len));
  return io::FormatEndpoint(e);
}

}  // namespace

struct SrtServer::State {
  Options options;
  AdmitFn admit;
  Handlers handlers;
  boost::asio::io_context* io = nullptr;
  std::thread thread;
  std::atomic<bool> stop{false};
  int eid = -1;
  SRTSOCKET listener = SRT_INVALID_SOCK;
  uint16_t port = 0;
  uint64_t refusals_seen = 0;  // of Global().listener_refusals (thread)

  mutable std::mutex mutex;  // guards below
  absl::flat_hash_map<uint64_t, SRTSOCKET> callers;
  uint64_t next_caller = 1;
  Stats stats;
  std::vector<Event> events;
  std::vector<uint8_t> bytes;
  bool posted = false;

  // The io thread's side of a batch.
  std::vector<Event> taking;
  std::vector<uint8_t> taking_bytes;
  std::unique_ptr<CrossThreadWake> wake;  // the SRT thread wakes the io thread

  static int OnListen(void* opaque, SRTSOCKET socket, int /*hs_version*/, const sockaddr* /*peer*/,
                      const char* streamid) {
    auto* self = static_cast<State*>(opaque);
    Admission verdict;
    {
      std::lock_guard lock(self->mutex);
      if (self->callers.size() >= self->options.max_callers) {
        verdict.reject = SRT_REJX_OVERLOAD;
        verdict.why = "too many SRT callers";
      }
    }
    if (verdict.reject == 0) verdict = self->admit(streamid);
    if (verdict.reject == 0 && !verdict.passphrase.empty() &&
        srt_setsockflag(socket, SRTO_PASSPHRASE, verdict.passphrase.data(),
                        static_cast<int>(verdict.passphrase.size())) != 0) {
      verdict.reject = SRT_REJX_FORBIDDEN;
      verdict.why = "the stream's secret cannot be an SRT passphrase (10 to 79 characters)";
    }
    if (verdict.reject == 0) return 0;
    srt_setrejectreason(socket, verdict.reject);
    {
      std::lock_guard lock(self->mutex);
      ++self->stats.refused;
      self->stats.last_refusal = verdict.why;
    }
    std::fprintf(stderr, "%s: SRT caller refused (streamid \"%s\"): %s\n", Program(),
                 QuoteForMessage(streamid).c_str(), verdict.why.c_str());
    return -1;
  }

  // Link thread: queues an event (and its bytes) for the io thread.
  void Push(Event event, std::span<const uint8_t> data) {
    std::lock_guard lock(mutex);
    if (!data.empty()) {
      if (bytes.size() + data.size() > kMaxPendingBytes) {
        ++stats.overflow;
        return;
      }
      event.offset = bytes.size();
      event.size = data.size();
      bytes.insert(bytes.end(), data.begin(), data.end());
    }
    events.push_back(std::move(event));
    if (!posted) {
      posted = true;
      wake->Signal();
    }
  }

  void Deliver() {
    {
      std::lock_guard lock(mutex);
      posted = false;
      taking.swap(events);
      taking_bytes.swap(bytes);
    }
    for (const Event& e : taking) {
      if (stop.load(std::memory_order_relaxed)) break;
      switch (e.kind) {
        case EventKind::kConnect:
          handlers.on_connect(e.caller, e.streamid, e.peer);
          break;
        case EventKind::kData:
          handlers.on_data(e.caller,
                           std::span<const uint8_t>(taking_bytes).subspan(e.offset, e.size), e.at);
          break;
        case EventKind::kClose:
          handlers.on_close(e.caller);
          break;
      }
    }
    taking.clear();
    taking_bytes.clear();
  }

  void Accept() {
    for (;;) {
      sockaddr_storage peer{};
      int len = sizeof peer;
      const SRTSOCKET s = srt_accept(listener, reinterpret_cast<sockaddr*>(&peer), &len);
      if (s == SRT_INVALID_SOCK) return;
      bool no = false;
      srt_setsockflag(s, SRTO_RCVSYN, &no, sizeof no);
      srt_setsockflag(s, SRTO_SNDSYN, &no, sizeof no);
      char streamid[513] = {};
      int idlen = sizeof streamid - 1;
      srt_getsockflag(s, SRTO_STREAMID, streamid, &idlen);
      uint64_t id;
      {
        std::lock_guard lock(mutex);
        id = next_caller++;
        callers[id] = s;
        ++stats.accepted;
      }
      const int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
      srt_epoll_add_usock(eid, s, &events);
      Push(Event{.kind = EventKind::kConnect,
                 .caller = id,
                 .offset = 0,
                 .size = 0,
                 .at = Time(),
                 .streamid = std::string(streamid, static_cast<size_t>(std::max(idlen, 0))),
                 .peer = PeerText(peer, len)},
           {});
    }
  }

  // Reads every caller; a broken one is closed and its end queued.
  void ReadAll() {
    std::vector<std::pair<uint64_t, SRTSOCKET>> all;
    {
      std::lock_guard lock(mutex);
      all.assign(callers.begin(), callers.end());
    }
    SteadyClock clock;
    uint8_t buffer[kMaxDatagram];
    for (const auto& [id, s] : all) {
      bool broken = false;
      for (;;) {
        SRT_MSGCTRL control = srt_msgctrl_default;
        const int n = srt_recvmsg2(s, reinterpret_cast<char*>(buffer), sizeof buffer, &control);
        if (n > 0) {
          Push(Event{.kind = EventKind::kData,
                     .caller = id,
                     .offset = 0,
                     .size = 0,
                     .at = clock.Now(),
                     .streamid = {},
                     .peer = {}},
               std::span<const uint8_t>(buffer, static_cast<size_t>(n)));
          continue;
        }
        broken = n == SRT_ERROR && srt_getlasterror(nullptr) != SRT_EASYNCRCV;
        break;
      }
      const SRT_SOCKSTATUS st = srt_getsockstate(s);
      if (broken || st == SRTS_BROKEN || st == SRTS_CLOSED || st == SRTS_NONEXIST) {
        {
          std::lock_guard lock(mutex);
          if (callers.erase(id) == 0) continue;  // closed by the owner meanwhile
        }
        srt_epoll_remove_usock(eid, s);
        srt_close(s);
        Push(Event{.kind = EventKind::kClose,
                   .caller = id,
                   .offset = 0,
                   .size = 0,
                   .at = Time(),
                   .streamid = {},
                   .peer = {}},
             {});
      }
    }
  }

  void CheckLibsrtRefusals() {
    auto& g = Global();
    const uint64_t count = g.listener_refusals.load();
    if (count == refusals_seen) return;
    std::string why;
    {
      std::lock_guard lock(g.mutex);
      why = g.last_refusal;
    }
    std::lock_guard lock(mutex);
    stats.refused += count - refusals_seen;
    stats.last_refusal = why;
    refusals_seen = count;
  }

  void Run() {
    SRT_EPOLL_EVENT ready[32];
    while (!stop.load(std::memory_order_relaxed)) {
      const int n = srt_epoll_uwait(eid, ready, 32, kEpollWaitMs);
      if (n < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kEpollWaitMs));
        continue;
      }
      for (int i = 0; i < n; ++i) {
        if (ready[i].fd == listener) Accept();
      }
      ReadAll();  // every wake: libsrt 1.5.1's epoll can miss read-readiness
      CheckLibsrtRefusals();
    }
  }
};

SrtServer::SrtServer(Options options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  Global();
}

SrtServer::~SrtServer() { Stop(); }

absl::Status SrtServer::Start(boost::asio::io_context& io, AdmitFn admit, Handlers handlers) {
  State& st = *state_;
  if (st.io != nullptr) return absl::FailedPreconditionError("SRT server started twice");
  st.io = &io;
  st.admit = std::move(admit);
  st.handlers = std::move(handlers);
  st.wake = std::make_unique<CrossThreadWake>(io, [&st] { st.Deliver(); });
  if (auto started = st.wake->Start(); !started.ok()) return started;
  st.eid = srt_epoll_create();
  if (st.eid < 0) return absl::UnavailableError(absl::StrCat("srt epoll: ", LastError()));
  srt_epoll_set(st.eid, SRT_EPOLL_ENABLE_EMPTY);
  st.listener = srt_create_socket();
  const int live = SRTT_LIVE;
  const bool no = false;
  const int latency = static_cast<int>(st.options.latency.ToMilliseconds());
  const io::UdpEndpoint& at = st.options.listen;
  const bool ok = st.listener != SRT_INVALID_SOCK &&
                  srt_setsockflag(st.listener, SRTO_TRANSTYPE, &live, sizeof live) == 0 &&
                  srt_setsockflag(st.listener, SRTO_RCVSYN, &no, sizeof no) == 0 &&
                  srt_setsockflag(st.listener, SRTO_SNDSYN, &no, sizeof no) == 0 &&
                  srt_setsockflag(st.listener, SRTO_LATENCY, &latency, sizeof latency) == 0 &&
                  srt_bind(st.listener, at.data(), static_cast<int>(at.size())) == 0 &&
                  srt_listen_callback(st.listener, &State::OnListen, &st) == 0 &&
                  srt_listen(st.listener, 64) == 0;
  if (!ok) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for SRT on ", io::FormatEndpoint(at), ": ", LastError()));
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  if (srt_getsockname(st.listener, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
    st.port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  const int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  srt_epoll_add_usock(st.eid, st.listener, &events);
  st.refusals_seen = Global().listener_refusals.load();
  st.thread = std::thread([&st] { st.Run(); });
  return absl::OkStatus();
}

void SrtServer::Stop() {
  State& st = *state_;
  st.stop = true;
  if (st.thread.joinable()) st.thread.join();
  std::vector<SRTSOCKET> all;
  {
    std::lock_guard lock(st.mutex);
    for (const auto& [id, s] : st.callers) all.push_back(s);
    st.callers.clear();
  }
  for (SRTSOCKET s : all) srt_close(s);
  if (st.listener != SRT_INVALID_SOCK) srt_close(std::exchange(st.listener, SRT_INVALID_SOCK));
  if (st.eid >= 0) srt_epoll_release(std::exchange(st.eid, -1));
  if (st.wake) st.wake->Close();
}

SrtServer::SendResult SrtServer::Send(uint64_t caller, std::span<const uint8_t> datagram) {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->callers.find(caller);
  if (it == state_->callers.end()) return SendResult::kGone;
  SRT_MSGCTRL control = srt_msgctrl_default;
  if (srt_sendmsg2(it->second, reinterpret_cast<const char*>(datagram.data()),
                   static_cast<int>(datagram.size()), &control) >= 0) {
    return SendResult::kSent;
  }
  return srt_getlasterror(nullptr) == SRT_EASYNCSND ? SendResult::kBufferFull : SendResult::kGone;
}

void SrtServer::Close(uint64_t caller) {
  SRTSOCKET s = SRT_INVALID_SOCK;
  {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->callers.find(caller);
    if (it == state_->callers.end()) return;
    s = it->second;
    state_->callers.erase(it);
  }
  if (state_->eid >= 0) srt_epoll_remove_usock(state_->eid, s);
  srt_close(s);
}

SrtLegStats SrtServer::LegStats(uint64_t caller, bool receiving) const {
  SrtLegStats out;
  std::lock_guard lock(state_->mutex);
  const auto it = state_->callers.find(caller);
  if (it == state_->callers.end()) return out;
  if (srt_internal::ReadLegFigures(it->second, receiving, out)) out.connected = 1;
  return out;
}

SrtServer::Stats SrtServer::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

uint16_t SrtServer::local_port() const { return state_->port; }

}  // namespace hitless::endpoints
