// libFuzzer target for the handshake state machines (transport/session/
// handshake_*.h) with fuzzed time.
//
// The input is a script of operations on one initiator, one responder (with
// a session table) and an unknown-session responder: deliver an arbitrary
// datagram to either side (ParseHeader + ParseHandshake first), fire the
// initiator's timer with an honest round trip to the responder, restart,
// all while the clock jumps forwards and backwards. Aborts if a responder
// reply is larger than its request, if any produced datagram does not parse,
// or if a state invariant breaks.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "transport/session/handshake_initiator.h"
#include "transport/session/handshake_responder.h"
#include "transport/session/handshake_unknown_session.h"
#include "transport/wire/handshake.h"
#include "transport/wire/header.h"

namespace hitless {
namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "handshake_fuzz: %s\n", what);
  std::abort();
}

using Bytes = std::vector<uint8_t>;
const Bytes kPeers[2] = {{10, 0, 0, 1, 0x1F, 0x90}, {10, 0, 0, 2, 0x1F, 0x90}};

struct Parsed {
  Header header;
  HandshakeBody body;
};

std::optional<Parsed> ParseHs(std::span<const uint8_t> datagram) {
  auto view = ParseHeader(datagram);
  if (!view.ok() || view->header.type != PacketType::kHandshake) return std::nullopt;
  auto body = ParseHandshake(view->header, view->body);
  if (!body.ok()) return std::nullopt;
  return Parsed{view->header, *std::move(body)};
}

// What we produce must always parse.
Parsed MustParse(std::span<const uint8_t> datagram) {
  auto p = ParseHs(datagram);
  if (!p) Fail("produced a datagram that does not parse");
  return *std::move(p);
}

class Table : public HandshakeSessionLookup {
 public:
  Known FindById(uint32_t id) const override {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return {};
    return {&it->second.first, it->second.second};
  }
  const NegotiatedSession* FindByPeerAndStream(std::span<const uint8_t> peer,
                                               std::string_view stream) const override {
    for (const auto& [id, e] : sessions_) {
      if (std::ranges::equal(e.second, peer) && e.first.stream_id == stream) return &e.first;
    }
    return nullptr;
  }
  void Apply(const HandshakeResponderOutcome& o, const Bytes& peer) {
    if (o.replaces_previous) sessions_.erase(o.replaced_session_id);
    if (o.accepted) sessions_[o.accepted->session_id] = {*o.accepted, peer};
  }
  bool Has(uint32_t id) const { return sessions_.contains(id); }

 private:
  std::map<uint32_t, std::pair<NegotiatedSession, Bytes>> sessions_;
};

class Harness {
 public:
  Harness()
      : initiator_(*HandshakeInitiator::Create(InitiatorConfig(), 0x1234)),
        responder_(*HandshakeResponder::Create(ResponderConfig(), CookieSecret{7}, &table_)) {}

  void Run(FuzzedDataProvider& in) {
    while (in.remaining_bytes() > 0) {
      // Mostly forward, sometimes backward; bounded so Time never overflows.
      now_ += Duration::Milliseconds(in.ConsumeIntegralInRange<int64_t>(-1'000, 30'000));
      const Bytes& peer = kPeers[in.ConsumeBool() ? 1 : 0];
      switch (in.ConsumeIntegralInRange(0, 5)) {
        case 0:
          Start();
          break;
        case 1:
          OnTimer(peer);
          break;
        case 2:
          Restart(in.ConsumeIntegral<uint32_t>() | 1);
          break;
        case 3:
          ToResponder(Consume(in), peer);
          break;
        case 4:
          ToInitiator(Consume(in));
          break;
        case 5:
          Unknown(Consume(in));
          break;
      }
      CheckInvariants();
    }
  }

 private:
  static HandshakeInitiatorConfig InitiatorConfig() {
    HandshakeInitiatorConfig c;
    c.stream_id = "live/fuzz";
    c.fec.mode = FecMode::kXorRow;
    c.fec.l = 5;
    c.timeout = Duration::Seconds(60);
    return c;
  }
  static HandshakeResponderConfig ResponderConfig() {
    HandshakeResponderConfig c;
    c.accepted_stream_ids = {"live/fuzz", "live/other"};
    return c;
  }
  static Bytes Consume(FuzzedDataProvider& in) {
    return in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, kMaxDatagramSize));
  }

  void Start() { Sent(initiator_.Start(now_, out_)); }
  void Restart(uint32_t id) { Sent(initiator_.Restart(now_, id, out_)); }
  // An honest round trip: the timer's request to the responder and back.
  void OnTimer(const Bytes& peer) {
    const HandshakeInitiatorResult r = initiator_.OnTimer(now_, out_);
    Sent(r);
    if (r.send_size == 0) return;
    const Bytes request(out_.begin(), out_.begin() + r.send_size);
    const size_t n = ToResponder(request, peer);
    if (n != 0) ToInitiator(Bytes(reply_.begin(), reply_.begin() + n));
  }
  size_t ToResponder(const Bytes& datagram, const Bytes& peer) {
    const auto p = ParseHs(datagram);
    if (!p) return 0;
    const HandshakeResponderOutcome o =
        responder_.OnHandshake(peer, p->header, p->body, now_, reply_);
    if (o.reply_size > datagram.size()) Fail("responder reply larger than request");
    if (o.accepted && o.accepted->session_id != p->header.session_id) Fail("accepted wrong id");
    if (o.accepted && o.repeated) Fail("accepted and repeated");
    if (o.reply_size != 0) {
      const Parsed reply = MustParse(std::span(reply_).first(o.reply_size));
      if ((reply.body.phase == HandshakePhase::kReject) != (o.reject_reason != 0)) {
        Fail("reject reason and reply phase disagree");
      }
    }
    table_.Apply(o, peer);
    return o.reply_size;
  }
  void ToInitiator(const Bytes& datagram) {
    const auto p = ParseHs(datagram);
    if (!p) return;
    Sent(initiator_.OnHandshake(p->header, p->body, now_, out_));
  }
  void Unknown(const Bytes& datagram) {
    auto view = ParseHeader(datagram);
    if (!view.ok() || table_.Has(view->header.session_id)) return;
    const size_t n = unknown_.OnUnknownSession(view->header, datagram.size(), now_, reply_);
    if (n == 0) return;
    if (n >= datagram.size()) Fail("unknown-session REJECT not smaller than its trigger");
    ToInitiator(Bytes(reply_.begin(), reply_.begin() + n));
  }
  void Sent(const HandshakeInitiatorResult& r) {
    if (r.send_size == 0) return;
    const Parsed p = MustParse(std::span(out_).first(r.send_size));
    if (p.body.initiator_session_id != initiator_.session_id()) Fail("request for wrong id");
  }
  void CheckInvariants() const {
    const HandshakeState s = initiator_.state();
    const bool retrying = s == HandshakeState::kInducing || s == HandshakeState::kConcluding;
    if (initiator_.NextWakeup().has_value() != retrying) Fail("wake-up without a retry state");
    if ((s == HandshakeState::kEstablished) && !initiator_.negotiated()) {
      Fail("established without a negotiated session");
    }
  }

  Time now_ = Time::Zero();
  Table table_;
  HandshakeInitiator initiator_;
  HandshakeResponder responder_;
  UnknownSessionResponder unknown_;
  std::array<uint8_t, kMaxDatagramSize> out_{};
  std::array<uint8_t, kMaxDatagramSize> reply_{};
};

}  // namespace
}  // namespace hitless

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  hitless::Harness harness;
  harness.Run(in);
  return 0;
}
