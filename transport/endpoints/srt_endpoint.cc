// Implements srt_endpoint.h: SrtLink (libsrt sockets and their thread),
// SrtInput and SrtOutput on top of it.
#include "transport/endpoints/srt_endpoint.h"

#include <srt/access_control.h>
#include <srt/srt.h>
#include <sys/syslog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "transport/base/clock.h"
#include "transport/endpoints/cross_thread_wake.h"
#include "transport/endpoints/query.h"
#include "transport/endpoints/srt_common.h"
#include "transport/endpoints/udp_resolve.h"

namespace hitless::endpoints {
namespace {

using srt_internal::Global;
using srt_internal::LastError;
using srt_internal::Program;
using srt_internal::RejectText;
using srt_internal::SrtGlobal;

// How soon Stop is seen, and the longest a missed read event can hold an
// input's datagrams (see Run).
constexpr int kEpollWaitMs = 10;
constexpr Duration kRetryInterval = Duration::Seconds(1);
constexpr size_t kMaxDatagram = 1500;
constexpr size_t kMaxPendingBytes = 16 << 20;  // input: read but not yet taken by the io thread

}  // namespace

// ---------------------------------------------------------------------------

class SrtLink {
 public:
  enum class Direction : uint8_t { kInput, kOutput };
  // Link thread: one datagram libsrt released, with the time it did.
  using ReadFn = std::function<void(std::span<const uint8_t>, Time)>;
  enum class SendResult : uint8_t { kSent, kNoPeer, kBufferFull, kFailed };

  SrtLink(SrtSpec spec, std::string url, Direction direction, io::UdpEndpoint address,
          std::optional<io::UdpEndpoint> local)
      : spec_(std::move(spec)),
        url_(std::move(url)),
        direction_(direction),
        address_(address),
        local_(local) {
    Global();
  }
  ~SrtLink() { Stop(); }

  absl::Status Start(ReadFn on_read);
  void Stop();
  SendResult Send(std::span<const uint8_t> datagram);
  SrtLegStats Stats() const;
  std::string Describe() const {
    return absl::StrCat("srt ", SrtModeName(spec_.mode), " ", io::FormatEndpoint(address_));
  }
  uint16_t local_port() const { return local_port_.load(); }

 private:
  static int ListenCallback(void* opaque, SRTSOCKET socket, int hs_version, const sockaddr* peer,
                            const char* streamid);

  absl::StatusOr<SRTSOCKET> NewSocket() const;
  void Run();
  void Call(Time now);
  void OnCallDone(Time now);
  void Accept();
  void Read(SRTSOCKET socket);
  void Promote(SRTSOCKET socket, const std::string& peer);
  void Drop(SRTSOCKET socket, const char* why);
  struct Peer {
    SRTSOCKET socket = SRT_INVALID_SOCK;
    SrtLegStats figures;  // libsrt's counters at the last srt_bstats that worked
  };
  // Reads libsrt's counters of `peer` (srt_bstats fails once a connection
  // broke: the last figures stay) into peer.figures.
  void Refresh(Peer& peer) const;
  // Adds a connection's srt_* totals to `into`; its RTT, buffer and latency
  // become into's.
  static void AddFigures(const SrtLegStats& from, SrtLegStats& into);
  void CheckListenerRefusals();
  int PeerEvents() const {
    return direction_ == Direction::kInput ? SRT_EPOLL_IN | SRT_EPOLL_ERR : SRT_EPOLL_ERR;
  }
  std::string Label() const {
    return absl::StrCat(Program(), ": ", QuoteForMessage(RedactSecrets(url_)));
  }

  const SrtSpec spec_;
  const std::string url_;
  const Direction direction_;
  const io::UdpEndpoint address_;               // listener: bind; caller/rendezvous: the peer
  const std::optional<io::UdpEndpoint> local_;  // caller/rendezvous: bind first
  ReadFn on_read_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint16_t> local_port_{0};
  int eid_ = -1;
  SRTSOCKET listener_ = SRT_INVALID_SOCK;

  // Link thread only.
  SRTSOCKET calling_ = SRT_INVALID_SOCK;  // a connect in progress
  Time next_call_;
  std::string last_call_failure_;  // said once per change
  uint64_t refusals_seen_ = 0;     // of Global().listener_refusals
  Time refusal_said_at_;

  mutable std::mutex mutex_;  // guards peers_ and stats_
  mutable std::vector<Peer> peers_;
  SrtLegStats stats_;  // srt_* figures: of closed connections only
};

absl::StatusOr<SRTSOCKET> SrtLink::NewSocket() const {
  const SRTSOCKET s = srt_create_socket();
  if (s == SRT_INVALID_SOCK)
    return absl::UnavailableError(absl::StrCat("srt socket: ", LastError()));
  bool ok = true;
  const auto set_int = [&](SRT_SOCKOPT opt, int value) {
    ok = ok && srt_setsockflag(s, opt, &value, sizeof value) == 0;
  };
  const auto set_i64 = [&](SRT_SOCKOPT opt, int64_t value) {
    ok = ok && srt_setsockflag(s, opt, &value, sizeof value) == 0;
  };
  const auto set_bool = [&](SRT_SOCKOPT opt, bool value) {
    ok = ok && srt_setsockflag(s, opt, &value, sizeof value) == 0;
  };
  const auto ms = [](Duration d) { return static_cast<int>(d.ToMilliseconds()); };
  set_int(SRTO_TRANSTYPE, SRTT_LIVE);
  set_bool(SRTO_RCVSYN, false);
  set_bool(SRTO_SNDSYN, false);
  if (spec_.latency) set_int(SRTO_LATENCY, ms(*spec_.latency));
  if (spec_.rcvlatency) set_int(SRTO_RCVLATENCY, ms(*spec_.rcvlatency));
  if (spec_.peerlatency) set_int(SRTO_PEERLATENCY, ms(*spec_.peerlatency));
  if (spec_.conntimeo) set_int(SRTO_CONNTIMEO, ms(*spec_.conntimeo));
  if (spec_.peeridletimeo) set_int(SRTO_PEERIDLETIMEO, ms(*spec_.peeridletimeo));
  if (spec_.maxbw) set_i64(SRTO_MAXBW, *spec_.maxbw);
  if (spec_.inputbw) set_i64(SRTO_INPUTBW, *spec_.inputbw);
  if (spec_.oheadbw) set_int(SRTO_OHEADBW, *spec_.oheadbw);
  if (spec_.enforcedencryption) set_bool(SRTO_ENFORCEDENCRYPTION, *spec_.enforcedencryption);
  if (spec_.tlpktdrop) set_bool(SRTO_TLPKTDROP, *spec_.tlpktdrop);
  if (spec_.rcvbuf) set_int(SRTO_RCVBUF, static_cast<int>(*spec_.rcvbuf));
  if (spec_.sndbuf) set_int(SRTO_SNDBUF, static_cast<int>(*spec_.sndbuf));
  if (spec_.payloadsize) set_int(SRTO_PAYLOADSIZE, *spec_.payloadsize);
  if (!spec_.passphrase.empty()) {
    ok = ok && srt_setsockflag(s, SRTO_PASSPHRASE, spec_.passphrase.data(),
                               static_cast<int>(spec_.passphrase.size())) == 0;
    if (spec_.pbkeylen != 0) set_int(SRTO_PBKEYLEN, spec_.pbkeylen);
  }
  if (!spec_.streamid.empty() && spec_.mode != SrtMode::kListener) {
    ok = ok && srt_setsockflag(s, SRTO_STREAMID, spec_.streamid.data(),
                               static_cast<int>(spec_.streamid.size())) == 0;
  }
  if (!ok) {
    const std::string error = LastError();
    srt_close(s);
    return absl::InvalidArgumentError(absl::StrCat("srt option refused by libsrt: ", error));
  }
  return s;
}

absl::Status SrtLink::Start(ReadFn on_read) {
  on_read_ = std::move(on_read);
  eid_ = srt_epoll_create();
  if (eid_ < 0) return absl::UnavailableError(absl::StrCat("srt epoll: ", LastError()));
  srt_epoll_set(eid_, SRT_EPOLL_ENABLE_EMPTY);
  if (spec_.mode == SrtMode::kListener) {
    auto s = NewSocket();
    if (!s.ok()) return s.status();
    listener_ = *s;
    if (srt_bind(listener_, address_.data(), static_cast<int>(address_.size())) != 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", io::FormatEndpoint(address_), ": ", LastError()));
    }
    if (srt_listen_callback(listener_, &SrtLink::ListenCallback, this) != 0 ||
        srt_listen(listener_, 8) != 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", io::FormatEndpoint(address_), ": ", LastError()));
    }
    sockaddr_storage bound{};
    int len = sizeof bound;
    if (srt_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
      local_port_ =
          ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
    const int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
    srt_epoll_add_usock(eid_, listener_, &events);
  }
  refusals_seen_ = Global().listener_refusals.load();
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void SrtLink::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::vector<Peer> peers;
  {
    std::lock_guard lock(mutex_);
    for (Peer& p : peers_) {
      Refresh(p);
      AddFigures(p.figures, stats_);
    }
    peers.swap(peers_);
    stats_.connected = 0;
  }
  for (const Peer& p : peers) srt_close(p.socket);
  if (calling_ != SRT_INVALID_SOCK) srt_close(std::exchange(calling_, SRT_INVALID_SOCK));
  if (listener_ != SRT_INVALID_SOCK) srt_close(std::exchange(listener_, SRT_INVALID_SOCK));
  if (eid_ >= 0) srt_epoll_release(std::exchange(eid_, -1));
}

int SrtLink::ListenCallback(void* opaque, SRTSOCKET socket, int /*hs_version*/,
                            const sockaddr* /*peer*/, const char* streamid) {
  auto* self = static_cast<SrtLink*>(opaque);
  int reject = 0;
  std::string why;
  if (!self->spec_.streamid.empty() && self->spec_.streamid != streamid) {
    reject = SRT_REJX_NOTFOUND;
    why = absl::StrCat("streamid \"", QuoteForMessage(streamid), "\" is not \"",
                       QuoteForMessage(self->spec_.streamid), "\"");
  } else if (self->direction_ == Direction::kOutput) {
    std::lock_guard lock(self->mutex_);
    if (self->peers_.size() >= kMaxOutputCallers) {
      reject = SRT_REJX_OVERLOAD;
      why = absl::StrCat("already serving ", kMaxOutputCallers, " callers");
    }
  }
  if (reject == 0) return 0;
  srt_setrejectreason(socket, reject);
  {
    std::lock_guard lock(self->mutex_);
    ++self->stats_.refused;
    self->stats_.last_refusal = why;
  }
  std::fprintf(stderr, "%s: refused a caller: %s\n", self->Label().c_str(), why.c_str());
  return -1;
}

void SrtLink::Run() {
  SteadyClock clock;
  next_call_ = clock.Now();
  refusal_said_at_ = clock.Now() - Duration::Seconds(60);
  SRT_EPOLL_EVENT events[16];
  while (!stop_.load(std::memory_order_relaxed)) {
    Time now = clock.Now();
    if (spec_.mode != SrtMode::kListener && calling_ == SRT_INVALID_SOCK && now >= next_call_) {
      bool idle;
      {
        std::lock_guard lock(mutex_);
        idle = peers_.empty();
      }
      if (idle) Call(now);
    }
    const int n = srt_epoll_uwait(eid_, events, 16, kEpollWaitMs);
    if (n < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kEpollWaitMs));
      continue;
    }
    now = clock.Now();
    for (int i = 0; i < n; ++i) {
      const SRTSOCKET s = events[i].fd;
      if (s == listener_) {
        Accept();
      } else if (s == calling_) {
        OnCallDone(now);
      } else if (direction_ == Direction::kOutput && (events[i].events & SRT_EPOLL_ERR)) {
        Drop(s, "the connection broke");
      }
    }
    // An input reads every connection at each wake, event or not: libsrt
    // 1.5.1's epoll can miss a live socket's read-readiness under load, and
    // a missed event must cost one wait, not the stream. Reading until
    // EAGAIN also notices a broken connection.
    if (direction_ == Direction::kInput) {
      std::vector<SRTSOCKET> sockets;
      {
        std::lock_guard lock(mutex_);
        for (const Peer& p : peers_) sockets.push_back(p.socket);
      }
      for (SRTSOCKET s : sockets) Read(s);
    }
    // Output peers lost between events (a send saw the break first).
    // Their counters are kept fresh: a broken connection has none to read.
    std::vector<SRTSOCKET> broken;
    {
      std::lock_guard lock(mutex_);
      for (Peer& p : peers_) {
        const SRT_SOCKSTATUS st = srt_getsockstate(p.socket);
        if (st == SRTS_BROKEN || st == SRTS_CLOSED || st == SRTS_NONEXIST) {
          broken.push_back(p.socket);
        } else {
          Refresh(p);
        }
      }
    }
    for (SRTSOCKET s : broken) Drop(s, "the connection broke");
    if (spec_.mode == SrtMode::kListener) CheckListenerRefusals();
  }
}

void SrtLink::Call(Time now) {
  next_call_ = now + kRetryInterval;
  auto s = NewSocket();
  if (!s.ok()) {
    if (last_call_failure_ != s.status().message()) {
      last_call_failure_ = std::string(s.status().message());
      std::fprintf(stderr, "%s: %s\n", Label().c_str(), last_call_failure_.c_str());
    }
    return;
  }
  int rc;
  if (spec_.mode == SrtMode::kRendezvous) {
    // Both sides bind the port they call, as srt-live-transmit does, unless port= says.
    io::UdpEndpoint local = local_.value_or(
        io::UdpEndpoint(address_.protocol() == boost::asio::ip::udp::v6()
                            ? boost::asio::ip::address(boost::asio::ip::address_v6::any())
                            : boost::asio::ip::address(boost::asio::ip::address_v4::any()),
                        address_.port()));
    rc = srt_rendezvous(*s, local.data(), static_cast<int>(local.size()), address_.data(),
                        static_cast<int>(address_.size()));
  } else {
    rc = 0;
    if (local_ && srt_bind(*s, local_->data(), static_cast<int>(local_->size())) != 0) rc = -1;
    if (rc == 0) rc = srt_connect(*s, address_.data(), static_cast<int>(address_.size()));
  }
  if (rc == SRT_ERROR) {
    const std::string why = LastError();
    srt_close(*s);
    if (why != last_call_failure_) {
      last_call_failure_ = why;
      std::fprintf(stderr, "%s: cannot call %s: %s; retrying every %lld s\n", Label().c_str(),
                   io::FormatEndpoint(address_).c_str(), why.c_str(),
                   static_cast<long long>(kRetryInterval.ToMilliseconds() / 1000));
    }
    return;
  }
  calling_ = *s;
  const int events = SRT_EPOLL_OUT | SRT_EPOLL_ERR;
  srt_epoll_add_usock(eid_, calling_, &events);
}

void SrtLink::OnCallDone(Time now) {
  const SRTSOCKET s = std::exchange(calling_, SRT_INVALID_SOCK);
  srt_epoll_remove_usock(eid_, s);
  if (srt_getsockstate(s) == SRTS_CONNECTED) {
    last_call_failure_.clear();
    Promote(s, io::FormatEndpoint(address_));
    return;
  }
  const int reason = srt_getrejectreason(s);
  const std::string why = RejectText(reason);
  srt_close(s);
  next_call_ = now + kRetryInterval;
  const bool refused = reason != SRT_REJ_TIMEOUT;
  {
    std::lock_guard lock(mutex_);
    if (refused) {
      ++stats_.refused;
      stats_.last_refusal = why;
    }
  }
  if (why != last_call_failure_) {
    last_call_failure_ = why;
    std::fprintf(stderr, "%s: cannot connect to %s: %s; retrying every %lld s\n", Label().c_str(),
                 io::FormatEndpoint(address_).c_str(), why.c_str(),
                 static_cast<long long>(kRetryInterval.ToMilliseconds() / 1000));
  }
}

void SrtLink::Accept() {
  for (;;) {
    sockaddr_storage peer{};
    int len = sizeof peer;
    const SRTSOCKET s = srt_accept(listener_, reinterpret_cast<sockaddr*>(&peer), &len);
    if (s == SRT_INVALID_SOCK) return;  // none pending (non-blocking listener)
    io::UdpEndpoint from;
    if (static_cast<size_t>(len) <= from.capacity()) {
      std::memcpy(from.data(), &peer, static_cast<size_t>(len));
      from.resize(static_cast<size_t>(len));
    }
    if (direction_ == Direction::kInput) {
      // One source at a time: the newest caller is the encoder that restarted.
      std::vector<SRTSOCKET> old;
      {
        std::lock_guard lock(mutex_);
        for (const Peer& p : peers_) old.push_back(p.socket);
      }
      for (SRTSOCKET o : old) {
        Drop(o, "a new caller took over");
        std::lock_guard lock(mutex_);
        ++stats_.replaced;
      }
    }
    Promote(s, io::FormatEndpoint(from));
  }
}

void SrtLink::Promote(SRTSOCKET s, const std::string& peer) {
  bool no = false;
  srt_setsockflag(s, SRTO_RCVSYN, &no, sizeof no);
  srt_setsockflag(s, SRTO_SNDSYN, &no, sizeof no);
  const int events = PeerEvents();
  srt_epoll_add_usock(eid_, s, &events);
  {
    std::lock_guard lock(mutex_);
    peers_.push_back({.socket = s, .figures = {}});
    ++stats_.connects;
    stats_.connected = static_cast<uint32_t>(peers_.size());
  }
  char streamid[kMaxSrtStreamId + 1] = {};
  int len = sizeof streamid - 1;
  srt_getsockflag(s, SRTO_STREAMID, streamid, &len);
  int latency = 0;
  int latency_len = sizeof latency;
  srt_getsockflag(s, direction_ == Direction::kInput ? SRTO_RCVLATENCY : SRTO_PEERLATENCY, &latency,
                  &latency_len);
  std::fprintf(stderr, "%s: connected %s %s (SRT latency %d ms%s%s%s)\n", Label().c_str(),
               spec_.mode == SrtMode::kListener ? "from" : "to", peer.c_str(), latency,
               len > 0 ? ", streamid \"" : "", len > 0 ? QuoteForMessage(streamid).c_str() : "",
               len > 0 ? "\"" : "");
}

void SrtLink::Read(SRTSOCKET s) {
  uint8_t buffer[kMaxDatagram];
  SteadyClock clock;
  for (;;) {
    SRT_MSGCTRL control = srt_msgctrl_default;
    const int n = srt_recvmsg2(s, reinterpret_cast<char*>(buffer), sizeof buffer, &control);
    if (n > 0) {
      on_read_(std::span<const uint8_t>(buffer, static_cast<size_t>(n)), clock.Now());
      continue;
    }
    if (n == SRT_ERROR && srt_getlasterror(nullptr) == SRT_EASYNCRCV) return;
    if (n == 0) return;
    Drop(s, "the connection broke");
    return;
  }
}

void SrtLink::Refresh(Peer& peer) const {
  srt_internal::ReadLegFigures(peer.socket, direction_ == Direction::kInput, peer.figures);
}

void SrtLink::AddFigures(const SrtLegStats& from, SrtLegStats& into) {
  into.srt_lost += from.srt_lost;
  into.srt_retransmitted += from.srt_retransmitted;
  into.srt_dropped += from.srt_dropped;
  into.srt_packets += from.srt_packets;
  into.rtt_ms = from.rtt_ms;
  into.buffer_ms = from.buffer_ms;
  into.latency_ms = from.latency_ms;
}

void SrtLink::Drop(SRTSOCKET s, const char* why) {
  {
    std::lock_guard lock(mutex_);
    const auto it =
        std::find_if(peers_.begin(), peers_.end(), [s](const Peer& p) { return p.socket == s; });
    if (it == peers_.end()) return;
    Refresh(*it);
    AddFigures(it->figures, stats_);
    peers_.erase(it);
    ++stats_.disconnects;
    stats_.connected = static_cast<uint32_t>(peers_.size());
  }
  srt_epoll_remove_usock(eid_, s);
  srt_close(s);
  std::fprintf(stderr, "%s: disconnected (%s); %s\n", Label().c_str(), why,
               spec_.mode == SrtMode::kListener ? "waiting for the next caller" : "calling again");
  next_call_ = Time();  // a lost caller calls again at once
}

void SrtLink::CheckListenerRefusals() {
  SrtGlobal& g = Global();
  const uint64_t count = g.listener_refusals.load();
  if (count == refusals_seen_) return;
  const uint64_t fresh = count - refusals_seen_;
  refusals_seen_ = count;
  std::string why;
  {
    std::lock_guard lock(g.mutex);
    why = g.last_refusal;
  }
  {
    std::lock_guard lock(mutex_);
    stats_.refused += fresh;
    stats_.last_refusal = why;
  }
  SteadyClock clock;
  const Time now = clock.Now();
  if (now - refusal_said_at_ >= Duration::Seconds(5)) {
    refusal_said_at_ = now;
    std::fprintf(stderr, "%s: refused a caller: %s\n", Label().c_str(), why.c_str());
  }
}

SrtLink::SendResult SrtLink::Send(std::span<const uint8_t> datagram) {
  std::lock_guard lock(mutex_);
  if (peers_.empty()) {
    ++stats_.not_connected;
    return SendResult::kNoPeer;
  }
  SendResult result = SendResult::kSent;
  for (const Peer& p : peers_) {
    SRT_MSGCTRL control = srt_msgctrl_default;
    if (srt_sendmsg2(p.socket, reinterpret_cast<const char*>(datagram.data()),
                     static_cast<int>(datagram.size()), &control) >= 0) {
      continue;
    }
    result =
        srt_getlasterror(nullptr) == SRT_EASYNCSND ? SendResult::kBufferFull : SendResult::kFailed;
  }
  return result;
}

SrtLegStats SrtLink::Stats() const {
  std::lock_guard lock(mutex_);
  SrtLegStats out = stats_;
  out.rtt_ms = out.buffer_ms = out.latency_ms = 0;  // the live connection's, below
  // Newest last: the first peer's RTT, buffer and latency are the ones shown.
  for (auto it = peers_.rbegin(); it != peers_.rend(); ++it) {
    Refresh(*it);
    AddFigures(it->figures, out);
  }
  return out;
}

// ---------------------------------------------------------------------------

namespace {

absl::StatusOr<std::unique_ptr<SrtLink>> MakeLink(const SrtSpec& spec, std::string url,
                                                  SrtLink::Direction direction) {
  auto address = ResolveUdp(spec.host, spec.port);
  if (!address.ok()) return address.status();
  std::optional<io::UdpEndpoint> local;
  if (!spec.adapter.empty() || spec.local_port) {
    auto bound = ResolveUdp(spec.adapter, spec.local_port.value_or(0));
    if (!bound.ok()) return bound.status();
    local = *bound;
  }
  return std::make_unique<SrtLink>(spec, std::move(url), direction, *address, local);
}

}  // namespace

// Datagrams read on the link thread, waiting for the io_context.
struct SrtInput::Shared {
  std::mutex mutex;
  std::vector<uint8_t> bytes;                    // guarded
  std::vector<std::pair<uint32_t, Time>> items;  // guarded: size, release time
  bool posted = false;                           // guarded
  uint64_t overflow = 0;                         // guarded: dropped, io thread too slow
  std::atomic<bool> stopped{false};
  boost::asio::io_context* io = nullptr;
  std::unique_ptr<CrossThreadWake> wake;  // the link thread wakes the io thread
  DatagramHandler on_datagram;            // io thread only
  InputStats stats;                       // io thread only
  std::vector<uint8_t> taking_bytes;
  std::vector<std::pair<uint32_t, Time>> taking_items;

  void Deliver() {
    {
      std::lock_guard lock(mutex);
      posted = false;
      taking_bytes.swap(bytes);
      taking_items.swap(items);
      stats.drops.Count(DropReason::kBufferFull, std::exchange(overflow, 0));
    }
    size_t offset = 0;
    for (const auto& [size, at] : taking_items) {
      if (stopped.load(std::memory_order_relaxed)) break;
      ++stats.datagrams;
      stats.bytes += size;
      on_datagram(std::span<const uint8_t>(taking_bytes.data() + offset, size), at);
      offset += size;
    }
    taking_bytes.clear();
    taking_items.clear();
  }
};

SrtInput::SrtInput(std::unique_ptr<SrtLink> link)
    : link_(std::move(link)), shared_(std::make_shared<Shared>()) {}

SrtInput::~SrtInput() { Stop(); }

absl::StatusOr<std::unique_ptr<SrtInput>> SrtInput::Create(const SrtSpec& spec, std::string url) {
  auto link = MakeLink(spec, std::move(url), SrtLink::Direction::kInput);
  if (!link.ok()) return link.status();
  return std::unique_ptr<SrtInput>(new SrtInput(*std::move(link)));
}

absl::Status SrtInput::Start(boost::asio::io_context& io, DatagramHandler on_datagram,
                             EndHandler /*on_end*/) {
  if (shared_->io) return absl::FailedPreconditionError("srt input started twice");
  shared_->io = &io;
  shared_->on_datagram = std::move(on_datagram);
  std::weak_ptr<Shared> weak = shared_;
  shared_->wake = std::make_unique<CrossThreadWake>(io, [weak] {
    if (const auto s = weak.lock()) s->Deliver();
  });
  if (auto started = shared_->wake->Start(); !started.ok()) return started;
  return link_->Start([weak](std::span<const uint8_t> datagram, Time at) {
    const auto shared = weak.lock();
    if (!shared) return;
    std::lock_guard lock(shared->mutex);
    if (shared->bytes.size() + datagram.size() > kMaxPendingBytes) {
      ++shared->overflow;
      return;
    }
    shared->bytes.insert(shared->bytes.end(), datagram.begin(), datagram.end());
    shared->items.emplace_back(static_cast<uint32_t>(datagram.size()), at);
    if (!shared->posted) {
      shared->posted = true;
      shared->wake->Signal();
    }
  });
}

void SrtInput::Stop() {
  shared_->stopped = true;
  link_->Stop();
  if (shared_->wake) shared_->wake->Close();
}

InputStats SrtInput::stats() const {
  InputStats out = shared_->stats;
  out.srt = link_->Stats();
  return out;
}

std::string SrtInput::Describe() const { return link_->Describe(); }
uint16_t SrtInput::local_port() const { return link_->local_port(); }

SrtOutput::SrtOutput(std::unique_ptr<SrtLink> link) : link_(std::move(link)) {}
SrtOutput::~SrtOutput() { link_->Stop(); }

absl::StatusOr<std::unique_ptr<SrtOutput>> SrtOutput::Create(const SrtSpec& spec, std::string url) {
  auto link = MakeLink(spec, std::move(url), SrtLink::Direction::kOutput);
  if (!link.ok()) return link.status();
  return std::unique_ptr<SrtOutput>(new SrtOutput(*std::move(link)));
}

absl::Status SrtOutput::Start(boost::asio::io_context& /*io*/, EndHandler /*on_failure*/) {
  return link_->Start({});
}

void SrtOutput::Write(std::span<const uint8_t> datagram, Time /*now*/) {
  if (closed_) {
    ++stats_.discarded_after_failure;
    return;
  }
  switch (link_->Send(datagram)) {
    case SrtLink::SendResult::kSent:
      ++stats_.datagrams;
      stats_.bytes += datagram.size();
      break;
    case SrtLink::SendResult::kNoPeer:
      break;  // counted by the link (not_connected)
    case SrtLink::SendResult::kBufferFull:
      stats_.drops.Count(DropReason::kBufferFull);
      break;
    case SrtLink::SendResult::kFailed:
      ++stats_.errors;
      break;
  }
}

absl::Status SrtOutput::Close() {
  if (!closed_) {
    closed_ = true;
    link_->Stop();
  }
  return absl::OkStatus();
}

OutputStats SrtOutput::stats() const {
  OutputStats out = stats_;
  out.srt = link_->Stats();
  return out;
}

std::string SrtOutput::Describe() const { return link_->Describe(); }
uint16_t SrtOutput::local_port() const { return link_->local_port(); }

}  // namespace hitless::endpoints
