// Tests for the handshake: cookies (transport/crypto/cookie.h), the initiator
// and responder state machines and the unknown-session REJECT limiter
// (transport/session/handshake_*.h). Packets travel serialized and are parsed
// back with the wire functions, on a manual time line.
#include "transport/wire/handshake.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "transport/crypto/cookie.h"
#include "transport/crypto/stream_proof.h"
#include "transport/session/handshake_initiator.h"
#include "transport/session/handshake_responder.h"
#include "transport/session/handshake_unknown_session.h"
#include "transport/session/latency_floor.h"
#include "transport/wire/data.h"

namespace hitless {
namespace {

using Bytes = std::vector<uint8_t>;

const Bytes kPeerA = {10, 0, 0, 1, 0x1F, 0x90};
const Bytes kPeerB = {10, 0, 0, 2, 0x1F, 0x90};
constexpr Duration Ms(int64_t n) { return Duration::Milliseconds(n); }
// A bucket boundary, so cookie ages are exact.
constexpr Time kStart = Time::FromNanoseconds(kCookieBucket.ToNanoseconds() * 100'000);

FecConfig XorRow(uint8_t l) {
  FecConfig f;
  f.mode = FecMode::kXorRow;
  f.l = l;
  return f;
}

FecConfig Rs(FecMode mode, uint16_t k, uint8_t m, uint8_t interleave) {
  FecConfig f;
  f.mode = mode;
  f.k = k;
  f.m = m;
  f.interleave = interleave;
  return f;
}

CookieSecret Secret(uint8_t seed) {
  CookieSecret s;
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(seed + i);
  return s;
}

struct Parsed {
  Header header;
  HandshakeBody body;
  size_t size = 0;
};

Parsed Parse(const Bytes& datagram) {
  auto view = ParseHeader(datagram);
  EXPECT_TRUE(view.ok()) << view.status();
  if (!view.ok()) return {};
  auto body = ParseHandshake(view->header, view->body);
  EXPECT_TRUE(body.ok()) << body.status();
  if (!body.ok()) return {};
  return {view->header, *body, datagram.size()};
}

// The owner's session table, as a listener would keep it.
class FakeTable : public HandshakeSessionLookup {
 public:
  Known FindById(uint32_t id) const override {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return {};
    return {&it->second.session, it->second.peer};
  }
  const NegotiatedSession* FindByPeerAndStream(std::span<const uint8_t> peer,
                                               std::string_view stream) const override {
    for (const auto& [id, e] : sessions_) {
      if (std::ranges::equal(e.peer, peer) && e.session.stream_id == stream) return &e.session;
    }
    return nullptr;
  }
  uint8_t Admit(std::span<const uint8_t> peer, const HandshakeBody& request,
                NegotiatedSession& session) const override {
    return admit ? admit(peer, request, session) : 0;
  }
  std::function<uint8_t(std::span<const uint8_t>, const HandshakeBody&, NegotiatedSession&)> admit;
  void Apply(const HandshakeResponderOutcome& o, const Bytes& peer) {
    if (o.replaces_previous) sessions_.erase(o.replaced_session_id);
    if (o.accepted) sessions_[o.accepted->session_id] = {*o.accepted, peer};
  }
  size_t size() const { return sessions_.size(); }
  void Clear() { sessions_.clear(); }

 private:
  struct Entry {
    NegotiatedSession session;
    Bytes peer;
  };
  std::map<uint32_t, Entry> sessions_;
};

class HandshakeTest : public ::testing::Test {
 protected:
  static HandshakeInitiatorConfig InitiatorConfig() {
    HandshakeInitiatorConfig c;
    c.stream_id = "live/camera-1";
    c.latency = Duration::Milliseconds(200);
    c.fec = XorRow(10);
    c.path_count = 2;
    return c;
  }
  static HandshakeResponderConfig ResponderConfig() {
    HandshakeResponderConfig c;
    c.latency = Duration::Milliseconds(120);
    return c;
  }
  HandshakeInitiator MakeInitiator(HandshakeInitiatorConfig c = InitiatorConfig(),
                                   uint32_t id = 0x1234) {
    auto i = HandshakeInitiator::Create(std::move(c), id);
    EXPECT_TRUE(i.ok()) << i.status();
    return std::move(i).value();
  }
  HandshakeResponder MakeResponder(HandshakeResponderConfig c = ResponderConfig()) {
    auto r = HandshakeResponder::Create(std::move(c), Secret(1), &table_);
    EXPECT_TRUE(r.ok()) << r.status();
    return std::move(r).value();
  }

  // Wraps an initiator result into the datagram it wrote (empty: none).
  Bytes Sent(const HandshakeInitiatorResult& r) {
    return Bytes(buf_.begin(), buf_.begin() + r.send_size);
  }

  // Delivers `datagram` to the responder; checks that the reply is never
  // larger than the request; returns the reply datagram (empty: none).
  Bytes ToResponder(HandshakeResponder& r, const Bytes& datagram, const Bytes& peer = kPeerA) {
    const Parsed p = Parse(datagram);
    last_outcome_ = r.OnHandshake(peer, p.header, p.body, now_, reply_);
    EXPECT_LE(last_outcome_.reply_size, datagram.size()) << "amplification";
    table_.Apply(last_outcome_, peer);
    return Bytes(reply_.begin(), reply_.begin() + last_outcome_.reply_size);
  }
  HandshakeInitiatorResult ToInitiator(HandshakeInitiator& i, const Bytes& datagram) {
    const Parsed p = Parse(datagram);
    return i.OnHandshake(p.header, p.body, now_, buf_);
  }
  // Runs the full exchange with no loss.
  void Connect(HandshakeInitiator& i, HandshakeResponder& r, const Bytes& peer = kPeerA) {
    Bytes induction = Sent(i.state() == HandshakeState::kIdle ? i.Start(now_, buf_)
                                                              : i.Restart(now_, 0x777, buf_));
    Bytes conclusion = Sent(ToInitiator(i, ToResponder(r, induction, peer)));
    ASSERT_FALSE(conclusion.empty());
    EXPECT_EQ(ToInitiator(i, ToResponder(r, conclusion, peer)).event, HandshakeEvent::kEstablished);
  }

  Time now_ = kStart;
  FakeTable table_;
  std::array<uint8_t, kMaxDatagramSize> buf_{};
  std::array<uint8_t, kMaxDatagramSize> reply_{};
  HandshakeResponderOutcome last_outcome_;
};

TEST(CookieTest, VerifiesWithinTwoBucketsOnlyForTheSamePeerAndSession) {
  const CookieMinter minter(Secret(7));
  const int64_t b = CookieMinter::BucketOf(kStart);
  const CookieMac c = minter.Mint(kPeerA, 42, b);
  EXPECT_TRUE(minter.Verify(kPeerA, 42, c, kStart));
  EXPECT_TRUE(minter.Verify(kPeerA, 42, c, kStart + Duration::Seconds(19)));
  EXPECT_FALSE(minter.Verify(kPeerA, 42, c, kStart + Duration::Seconds(20)));  // expired
  EXPECT_FALSE(minter.Verify(kPeerA, 42, c, kStart - Duration::Seconds(1)));   // future
  EXPECT_FALSE(minter.Verify(kPeerB, 42, c, kStart));
  EXPECT_FALSE(minter.Verify(kPeerA, 43, c, kStart));
  EXPECT_FALSE(CookieMinter(Secret(8)).Verify(kPeerA, 42, c, kStart));
  const Bytes long_peer(300, 0xAB);  // beyond the direct limit: hashed
  EXPECT_TRUE(minter.Verify(long_peer, 1, minter.Mint(long_peer, 1, b), kStart));
  EXPECT_EQ(CookieMinter::BucketOf(Time::FromNanoseconds(-1)), -1);
  EXPECT_EQ(CookieMinter::BucketOf(Time::Zero() + kCookieBucket), 1);
  EXPECT_NE(CookieMinter::RandomSecret(), CookieMinter::RandomSecret());
}

TEST_F(HandshakeTest, FullHandshakeNegotiatesTheSameSessionOnBothSides) {
  HandshakeInitiator i = MakeInitiator();
  HandshakeResponder r = MakeResponder();
  const Bytes induction = Sent(i.Start(now_, buf_));
  EXPECT_EQ(induction.size(), kMinInductionDatagramSize);
  EXPECT_EQ(Parse(induction).header.session_id, 0u);
  const Bytes induction_response = ToResponder(r, induction);
  EXPECT_LT(induction_response.size(), induction.size());
  EXPECT_EQ(table_.size(), 0u);  // no state for an unverified peer
  const Bytes conclusion = Sent(ToInitiator(i, induction_response));
  EXPECT_EQ(i.state(), HandshakeState::kConcluding);
  EXPECT_EQ(Parse(conclusion).header.session_id, 0x1234u);
  const Bytes conclusion_response = ToResponder(r, conclusion);
  ASSERT_TRUE(last_outcome_.accepted.has_value());
  EXPECT_FALSE(last_outcome_.replaces_previous);
  EXPECT_EQ(ToInitiator(i, conclusion_response).event, HandshakeEvent::kEstablished);
  ASSERT_EQ(i.state(), HandshakeState::kEstablished);
  EXPECT_EQ(i.NextWakeup(), std::nullopt);

  const NegotiatedSession& mine = *i.negotiated();
  NegotiatedSession theirs = *last_outcome_.accepted;
  EXPECT_EQ(mine.latency, Duration::Milliseconds(200));
  EXPECT_EQ(mine.stream_id, "live/camera-1");
  EXPECT_EQ(mine.fec, XorRow(10));
  EXPECT_EQ(mine.path_count, 2);
  EXPECT_TRUE(mine.initiator_publishes);
  EXPECT_EQ(mine.peer_capabilities, kCapArq | kCapFec);
  EXPECT_EQ(theirs.peer_capabilities, kCapArq | kCapFec | kCapPublish);
  theirs.peer_capabilities = mine.peer_capabilities;
  EXPECT_EQ(mine, theirs);
  EXPECT_EQ(i.attempts(), 2u);
}

TEST_F(HandshakeTest, LatencyIsTheLargerOfBothSides) {
  for (const int64_t offered : {50, 120, 500}) {
    HandshakeInitiatorConfig c = InitiatorConfig();
    c.latency = Duration::Milliseconds(offered);
    HandshakeInitiator i = MakeInitiator(c, static_cast<uint32_t>(offered));
    HandshakeResponder r = MakeResponder();
    Connect(i, r);
    EXPECT_EQ(i.negotiated()->latency, Duration::Milliseconds(std::max<int64_t>(offered, 120)));
    EXPECT_EQ(last_outcome_.accepted->latency, i.negotiated()->latency);
  }
}

TEST_F(HandshakeTest, LostInductionIsRetriedWithCappedBackoff) {
  HandshakeInitiator i = MakeInitiator();
  HandshakeResponder r = MakeResponder();
  const Time t0 = now_;
  EXPECT_GT(i.Start(now_, buf_).send_size, 0u);  // lost
  // Retries 100 ms after the first send, then doubling to at most 1 s.
  const int64_t expected_ms[] = {100, 300, 700, 1500, 2500, 3500, 4500};
  for (const int64_t at : expected_ms) {
    ASSERT_EQ(i.NextWakeup(), t0 + Ms(at));
    now_ = t0 + Ms((at - 1));
    EXPECT_EQ(i.OnTimer(now_, buf_).send_size, 0u);  // early: nothing
    now_ = t0 + Ms(at);
    EXPECT_EQ(Sent(i.OnTimer(now_, buf_)).size(), kMinInductionDatagramSize);
  }
  EXPECT_EQ(i.attempts(), 8u);
  EXPECT_EQ(i.stats().retransmissions, 7u);
  // The next one gets through: the CONCLUSION starts with a fresh backoff.
  now_ = t0 + Ms(5500);
  ASSERT_EQ(i.NextWakeup(), now_);
  const Bytes conclusion = Sent(ToInitiator(i, ToResponder(r, Sent(i.OnTimer(now_, buf_)))));
  EXPECT_FALSE(conclusion.empty());
  EXPECT_EQ(i.state(), HandshakeState::kConcluding);
  EXPECT_EQ(i.NextWakeup(), now_ + Ms(100));
}

TEST_F(HandshakeTest, LostConclusionIsRetriedThenAnswered) {
  HandshakeInitiator i = MakeInitiator();
  HandshakeResponder r = MakeResponder();
  const Bytes conclusion = Sent(ToInitiator(i, ToResponder(r, Sent(i.Start(now_, buf_)))));
  ASSERT_FALSE(conclusion.empty());  // lost
  const Time t1 = now_;
  EXPECT_EQ(i.NextWakeup(), t1 + Ms(100));
  now_ = t1 + Ms(100);
  Bytes retry = Sent(i.OnTimer(now_, buf_));  // lost too
  EXPECT_EQ(Parse(retry).body.phase, HandshakePhase::kConclusionRequest);
  EXPECT_EQ(i.NextWakeup(), t1 + Ms(300));
  now_ = t1 + Ms(300);
  retry = Sent(i.OnTimer(now_, buf_));
  const Bytes response = ToResponder(r, retry);
  EXPECT_EQ(ToInitiator(i, response).event, HandshakeEvent::kEstablished);
  // A late duplicate of the response, or of the INDUCTION response, is dropped.
  EXPECT_EQ(ToInitiator(i, response).drop, DropReason::kDuplicate);
  EXPECT_EQ(i.stats().drops.Get(DropReason::kDuplicate), 1u);
}

TEST_F(HandshakeTest, BadCookieIsRejectedAndTheInitiatorFetchesANewOne) {
  HandshakeInitiator i = MakeInitiator();
  HandshakeResponder r = MakeResponder();
  Bytes conclusion = Sent(ToInitiator(i, ToResponder(r, Sent(i.Start(now_, buf_)))));
  conclusion[kHeaderSize + 5] ^= 0x01;  // first cookie byte
  const Bytes reject = ToResponder(r, conclusion);
  EXPECT_EQ(last_outcome_.reject_reason, kRejectBadCookie);
  EXPECT_EQ(last_outcome_.drop, DropReason::kAuthFailed);
  EXPECT_FALSE(last_outcome_.accepted.has_value());
  EXPECT_EQ(Parse(reject).body.reject_reason, kRejectBadCookie);
  EXPECT_EQ(ToInitiator(i, reject).send_size, 0u);
  EXPECT_EQ(i.state(), HandshakeState::kInducing);  // waits for its timer
  now_ = *i.NextWakeup();
  const Bytes induction = Sent(i.OnTimer(now_, buf_));
  EXPECT_EQ(Parse(induction).body.phase, HandshakePhase::kInductionRequest);
  EXPECT_EQ(ToInitiator(i, reject).drop, DropReason::kDuplicate);  // late copy: harmless
  EXPECT_EQ(i.state(), HandshakeState::kInducing);
  const Bytes fresh = Sent(ToInitiator(i, ToResponder(r, induction)));
  EXPECT_EQ(ToInitiator(i, ToResponder(r, fresh)).event, HandshakeEvent::kEstablished);
  EXPECT_EQ(ToInitiator(i, reject).drop, DropReason::kDuplicate);
  EXPECT_EQ(i.state(), HandshakeState::kEstablished);
}

TEST_F(HandshakeTest, CookieExpiresAfterTwoBucketsAndIsBoundToThePeer) {
  HandshakeResponder r = MakeResponder();
  HandshakeInitiator i = MakeInitiator();
  const Bytes conclusion = Sent(ToInitiator(i, ToResponder(r, Sent(i.Start(now_, buf_)))));
  ToResponder(r, conclusion, kPeerB);  // another source replays it
  EXPECT_EQ(last_outcome_.reject_reason, kRejectBadCookie);
  now_ += Duration::Seconds(20);  // two buckets later
  ToResponder(r, conclusion);
  EXPECT_EQ(last_outcome_.reject_reason, kRejectBadCookie);
  now_ = now_ - Duration::Seconds(5);  // one bucket later: still good
  ToResponder(r, conclusion);
  EXPECT_TRUE(last_outcome_.accepted.has_value());
  EXPECT_EQ(r.stats().drops.Get(DropReason::kAuthFailed), 2u);
}

TEST_F(HandshakeTest, NoReplyToAnUnverifiedPeerIsLargerThanItsRequest) {
  HandshakeResponderConfig rc = ResponderConfig();
  rc.accepted_stream_ids = {"live/camera-1"};
  HandshakeResponder r = MakeResponder(rc);
  // The smallest CONCLUSION requests (empty stream id, no padding) with a
  // bad cookie, an unknown stream, a version mismatch: the REJECT fits.
  for (const uint8_t version : {kWireVersion, uint8_t{kWireVersion + 1}}) {
    for (const char* stream : {"", "x", "live/camera-1"}) {
      HandshakeBody b;
      b.phase = HandshakePhase::kConclusionRequest;
      b.min_version = b.max_version = version;
      b.initiator_session_id = 99;
      b.stream_id = stream;
      Bytes request(kMaxDatagramSize);
      request.resize(Serialize(MakeHandshakeHeader(99, 0, 0, now_), b, request));
      const Bytes reply = ToResponder(r, request);  // asserts reply <= request
      EXPECT_EQ(last_outcome_.reject_reason, kRejectBadCookie);
      EXPECT_EQ(reply.size(), kHeaderSize + kHandshakeFixedSize);
    }
  }
  for (uint32_t id = 1; id < 50; ++id) {  // INDUCTIONs, with stream ids of any length
    HandshakeInitiatorConfig c = InitiatorConfig();
    c.stream_id = std::string(id * 10, 's');
    HandshakeInitiator i = MakeInitiator(c, id);
    const Bytes induction = Sent(i.Start(now_, buf_));
    EXPECT_EQ(ToResponder(r, induction).size(), kHeaderSize + kHandshakeFixedSize);
  }
  EXPECT_EQ(table_.size(), 0u);
}

// A relay's access check: the proof verifies only with the secret the
// initiator holds, for its role; the secret itself is never on the wire.
TEST_F(HandshakeTest, OwnerAdmitChecksTheStreamProofAndMayHoldOrReject) {
  table_.admit = [](std::span<const uint8_t>, const HandshakeBody& request,
                    NegotiatedSession& session) -> uint8_t {
    if (!request.stream_proof) return kRejectUnauthorized;
    const bool ok =
        VerifyStreamProof("s3cret", request.cookie, request.initiator_session_id,
                          StreamRole::kPublish, request.stream_id, *request.stream_proof);
    if (!ok) return kRejectUnauthorized;
    session.latency = Duration::Milliseconds(900);  // the stream's own budget
    return 0;
  };
  HandshakeResponder r = MakeResponder();
  {
    HandshakeInitiator none = MakeInitiator(InitiatorConfig(), 1);
    const Bytes conclusion = Sent(ToInitiator(none, ToResponder(r, Sent(none.Start(now_, buf_)))));
    EXPECT_FALSE(Parse(conclusion).body.stream_proof.has_value());
    EXPECT_EQ(ToInitiator(none, ToResponder(r, conclusion)).event, HandshakeEvent::kRejected);
    EXPECT_EQ(none.reject_reason(), kRejectUnauthorized);
  }
  {
    HandshakeInitiatorConfig c = InitiatorConfig();
    c.secret = "wrong";
    HandshakeInitiator wrong = MakeInitiator(c, 2);
    const Bytes conclusion =
        Sent(ToInitiator(wrong, ToResponder(r, Sent(wrong.Start(now_, buf_)))));
    EXPECT_EQ(ToInitiator(wrong, ToResponder(r, conclusion)).event, HandshakeEvent::kRejected);
    EXPECT_EQ(wrong.reject_reason(), kRejectUnauthorized);
  }
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(r.stats().refused_by_owner, 2u);
  HandshakeInitiatorConfig c = InitiatorConfig();
  c.secret = "s3cret";
  HandshakeInitiator good = MakeInitiator(c, 3);
  const Bytes conclusion = Sent(ToInitiator(good, ToResponder(r, Sent(good.Start(now_, buf_)))));
  const Parsed p = Parse(conclusion);
  ASSERT_TRUE(p.body.stream_proof.has_value());
  const std::string wire(conclusion.begin(), conclusion.end());
  EXPECT_EQ(wire.find("s3cret"), std::string::npos);
  EXPECT_EQ(ToInitiator(good, ToResponder(r, conclusion)).event, HandshakeEvent::kEstablished);
  EXPECT_EQ(good.negotiated()->latency, Duration::Milliseconds(900));
  // The same proof does not open the subscribe side, another stream or
  // another session.
  EXPECT_FALSE(VerifyStreamProof("s3cret", p.body.cookie, 3, StreamRole::kSubscribe,
                                 p.body.stream_id, *p.body.stream_proof));
  EXPECT_FALSE(VerifyStreamProof("s3cret", p.body.cookie, 3, StreamRole::kPublish, "other",
                                 *p.body.stream_proof));
  EXPECT_FALSE(VerifyStreamProof("s3cret", p.body.cookie, 4, StreamRole::kPublish, p.body.stream_id,
                                 *p.body.stream_proof));

  // Hold: no answer at all, nothing counted as refused; the caller retries.
  table_.admit = [](std::span<const uint8_t>, const HandshakeBody&, NegotiatedSession&) {
    return HandshakeSessionLookup::kAdmitHold;
  };
  HandshakeInitiator held = MakeInitiator(InitiatorConfig(), 5);
  const Bytes held_conclusion =
      Sent(ToInitiator(held, ToResponder(r, Sent(held.Start(now_, buf_)))));
  EXPECT_TRUE(ToResponder(r, held_conclusion).empty());
  EXPECT_EQ(r.stats().held_by_owner, 1u);
  EXPECT_EQ(r.stats().refused_by_owner, 2u);
  EXPECT_EQ(held.state(), HandshakeState::kConcluding);
}

TEST_F(HandshakeTest, UnknownStreamAndVersionMismatchAreRejected) {
  HandshakeResponderConfig rc = ResponderConfig();
  rc.accepted_stream_ids = {"live/other"};
  HandshakeResponder r = MakeResponder(rc);
  HandshakeInitiator i = MakeInitiator();
  const Bytes conclusion = Sent(ToInitiator(i, ToResponder(r, Sent(i.Start(now_, buf_)))));
  EXPECT_EQ(ToInitiator(i, ToResponder(r, conclusion)).event, HandshakeEvent::kRejected);
  EXPECT_EQ(i.state(), HandshakeState::kRejected);
  EXPECT_EQ(i.reject_reason(), kRejectUnknownStream);
  EXPECT_EQ(i.NextWakeup(), std::nullopt);

  HandshakeInitiatorConfig c = InitiatorConfig();
  c.min_version = c.max_version = kWireVersion + 1;
  HandshakeInitiator future = MakeInitiator(c, 5);
  EXPECT_EQ(ToInitiator(future, ToResponder(r, Sent(future.Start(now_, buf_)))).event,
            HandshakeEvent::kRejected);
  EXPECT_EQ(last_outcome_.drop, DropReason::kBadVersion);
  EXPECT_EQ(future.reject_reason(), kRejectVersion);
}

TEST_F(HandshakeTest, FecOfferIsAcceptedOnlyIfSupported) {
  HandshakeInitiatorConfig c = InitiatorConfig();
  c.fec = FecConfig{};
  c.fec.mode = FecMode::kReedSolomon;
  c.fec.k = 20;
  c.fec.m = 4;
  c.fec.interleave = 1;
  HandshakeResponderConfig rc = ResponderConfig();
  HandshakeInitiator rs = MakeInitiator(c, 1);
  HandshakeResponder all = MakeResponder(rc);
  Connect(rs, all);
  EXPECT_EQ(rs.negotiated()->fec, c.fec);
  rc.supported_fec_modes = FecModeBit(FecMode::kXorRow);
  HandshakeResponder xor_only = MakeResponder(rc);
  HandshakeInitiator rs2 = MakeInitiator(c, 2);
  Connect(rs2, xor_only);
  EXPECT_EQ(rs2.negotiated()->fec.mode, FecMode::kNone);
}

TEST_F(HandshakeTest, AdaptiveReedSolomonIsNegotiatedLikeReedSolomon) {
  HandshakeInitiatorConfig c = InitiatorConfig();
  c.fec = Rs(FecMode::kReedSolomonAdaptive, 20, 10, 8);
  HandshakeInitiator adaptive = MakeInitiator(c, 1);
  HandshakeResponder all = MakeResponder();
  Connect(adaptive, all);
  EXPECT_EQ(adaptive.negotiated()->fec, c.fec);
  EXPECT_EQ(last_outcome_.accepted->fec, c.fec);

  // A mode of its own: accepted only where listed.
  HandshakeResponderConfig rc = ResponderConfig();
  rc.supported_fec_modes = FecModeBit(FecMode::kReedSolomonAdaptive);
  HandshakeResponder adaptive_only = MakeResponder(rc);
  HandshakeInitiator a2 = MakeInitiator(c, 2);
  Connect(a2, adaptive_only);
  EXPECT_EQ(a2.negotiated()->fec, c.fec);
  rc.supported_fec_modes = FecModeBit(FecMode::kReedSolomon);
  HandshakeResponder rs_only = MakeResponder(rc);
  HandshakeInitiator a3 = MakeInitiator(c, 3);
  Connect(a3, rs_only);
  EXPECT_EQ(a3.negotiated()->fec, FecConfig{});
  // A responder without kCapFec answers kNone whatever the offer.
  rc = ResponderConfig();
  rc.capabilities = kCapArq;
  HandshakeResponder no_fec = MakeResponder(rc);
  HandshakeInitiator a4 = MakeInitiator(c, 4);
  Connect(a4, no_fec);
  EXPECT_EQ(a4.negotiated()->fec, FecConfig{});
}

TEST_F(HandshakeTest, PreferredFecAppliesWhenTheInitiatorOffersNone) {
  const FecConfig preferred = Rs(FecMode::kReedSolomonAdaptive, 20, 10, 8);
  HandshakeResponderConfig rc = ResponderConfig();
  rc.preferred_fec = preferred;
  HandshakeInitiatorConfig c = InitiatorConfig();
  c.fec = FecConfig{};  // supports FEC (kCapFec by default), offers none
  ASSERT_NE(c.capabilities & kCapFec, 0);
  HandshakeResponder r = MakeResponder(rc);
  HandshakeInitiator i = MakeInitiator(c, 1);
  Connect(i, r);
  EXPECT_EQ(i.negotiated()->fec, preferred);
  EXPECT_EQ(last_outcome_.accepted->fec, preferred);

  // A fixed RS preference works the same way.
  rc.preferred_fec = Rs(FecMode::kReedSolomon, 10, 2, 1);
  HandshakeResponder fixed = MakeResponder(rc);
  HandshakeInitiator i2 = MakeInitiator(c, 2);
  Connect(i2, fixed);
  EXPECT_EQ(i2.negotiated()->fec, rc.preferred_fec);
}

TEST_F(HandshakeTest, InitiatorOfferWinsOverThePreferredFec) {
  HandshakeResponderConfig rc = ResponderConfig();
  rc.preferred_fec = Rs(FecMode::kReedSolomonAdaptive, 20, 10, 8);
  HandshakeResponder r = MakeResponder(rc);
  HandshakeInitiatorConfig c = InitiatorConfig();  // offers XorRow(10)
  HandshakeInitiator i = MakeInitiator(c, 1);
  Connect(i, r);
  EXPECT_EQ(i.negotiated()->fec, XorRow(10));
  c.fec = Rs(FecMode::kReedSolomon, 20, 4, 1);
  HandshakeInitiator i2 = MakeInitiator(c, 2);
  Connect(i2, r);
  EXPECT_EQ(i2.negotiated()->fec, c.fec);
  EXPECT_EQ(last_outcome_.accepted->fec, c.fec);
}

TEST_F(HandshakeTest, PreferredFecNeedsFecOnBothSides) {
  HandshakeResponderConfig rc = ResponderConfig();
  rc.preferred_fec = Rs(FecMode::kReedSolomonAdaptive, 20, 10, 8);
  HandshakeInitiatorConfig c = InitiatorConfig();
  c.fec = FecConfig{};
  c.capabilities = kCapArq;  // no kCapFec
  HandshakeResponder r = MakeResponder(rc);
  HandshakeInitiator i = MakeInitiator(c, 1);
  Connect(i, r);
  EXPECT_EQ(i.negotiated()->fec, FecConfig{});
  EXPECT_EQ(last_outcome_.accepted->fec, FecConfig{});

  // The responder's own kCapFec is needed too.
  rc.capabilities = kCapArq;
  HandshakeResponder no_fec = MakeResponder(rc);
  c.capabilities = kCapArq | kCapFec;
  HandshakeInitiator i2 = MakeInitiator(c, 2);
  Connect(i2, no_fec);
  EXPECT_EQ(i2.negotiated()->fec, FecConfig{});
}

TEST_F(HandshakeTest, RepeatedConclusionGetsTheSameResponse) {
  HandshakeInitiator i = MakeInitiator();
  HandshakeResponder r = MakeResponder();
  const Bytes conclusion = Sent(ToInitiator(i, ToResponder(r, Sent(i.Start(now_, buf_)))));
  const Parsed first = Parse(ToResponder(r, conclusion));  // lost on the way back
  ASSERT_TRUE(last_outcome_.accepted.has_value());
  now_ = *i.NextWakeup();
  const Bytes retry = Sent(i.OnTimer(now_, buf_));
  const Bytes again = ToResponder(r, retry);
  EXPECT_TRUE(last_outcome_.repeated);
  EXPECT_FALSE(last_outcome_.accepted.has_value());
  // The same answer; only the RTT echo follows the request it answers.
  HandshakeBody repeated = Parse(again).body;
  EXPECT_EQ(repeated.echo_timestamp_us, Parse(retry).header.timestamp_us);
  repeated.echo_timestamp_us = first.body.echo_timestamp_us;
  EXPECT_EQ(repeated, first.body);
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(ToInitiator(i, again).event, HandshakeEvent::kEstablished);
  // The same session id from another source is a collision.
  ToResponder(r, conclusion, kPeerB);
  EXPECT_EQ(last_outcome_.reject_reason, kRejectBadCookie);  // cookie is per peer
  HandshakeInitiator thief = MakeInitiator(InitiatorConfig(), i.session_id());
  const Bytes c2 = Sent(ToInitiator(thief, ToResponder(r, Sent(thief.Start(now_, buf_)), kPeerB)));
  ToResponder(r, c2, kPeerB);
  EXPECT_EQ(last_outcome_.reject_reason, kRejectSessionCollision);
}

TEST_F(HandshakeTest, CallerRestartReplacesThePreviousSession) {
  HandshakeResponder r = MakeResponder();
  HandshakeInitiator before = MakeInitiator(InitiatorConfig(), 100);
  Connect(before, r);
  HandshakeInitiator after = MakeInitiator(InitiatorConfig(), 200);  // restarted process
  Connect(after, r);
  EXPECT_TRUE(last_outcome_.replaces_previous);
  EXPECT_EQ(last_outcome_.replaced_session_id, 100u);
  EXPECT_EQ(r.stats().peer_restarts, 1u);
  EXPECT_EQ(table_.size(), 1u);
  HandshakeInitiatorConfig other = InitiatorConfig();
  other.stream_id = "live/camera-2";  // a second stream is not a restart
  HandshakeInitiator second = MakeInitiator(other, 300);
  Connect(second, r);
  EXPECT_FALSE(last_outcome_.replaces_previous);
  EXPECT_EQ(table_.size(), 2u);
}

TEST_F(HandshakeTest, ListenerRestartMakesTheInitiatorRehandshake) {
  HandshakeResponder r = MakeResponder();
  HandshakeInitiator i = MakeInitiator();
  Connect(i, r);
  table_.Clear();  // the listener restarts: sessions and secret are gone
  auto restarted = HandshakeResponder::Create(ResponderConfig(), Secret(2), &table_);
  ASSERT_TRUE(restarted.ok());
  UnknownSessionResponder unknown;
  Header data_header = MakeHandshakeHeader(i.session_id(), 7, 0, now_);
  data_header.type = PacketType::kData;
  const Bytes payload(1316, 0x47);
  Bytes data(kMaxDatagramSize);
  data.resize(Serialize(data_header, DataBody{payload}, data));
  auto view = ParseHeader(data);
  ASSERT_TRUE(view.ok());
  const size_t n = unknown.OnUnknownSession(view->header, data.size(), now_, reply_);
  ASSERT_GT(n, 0u);
  ASSERT_LT(n, data.size());
  const Bytes reject(reply_.begin(), reply_.begin() + n);
  EXPECT_EQ(ToInitiator(i, reject).event, HandshakeEvent::kPeerLost);
  EXPECT_EQ(i.reject_reason(), kRejectSessionCollision);
  Connect(i, *restarted);  // Restart(now, 0x777)
  EXPECT_EQ(i.state(), HandshakeState::kEstablished);
  EXPECT_EQ(i.session_id(), 0x777u);
  EXPECT_EQ(i.stats().restarts, 1u);
  EXPECT_EQ(ToInitiator(i, reject).drop, DropReason::kUnknownSession);  // old id
}

TEST_F(HandshakeTest, UnknownSessionRejectsAreRateLimitedAndSmall) {
  UnknownSessionResponder u;
  Header h = MakeHandshakeHeader(55, 0, 0, now_);
  h.type = PacketType::kData;
  int sent = 0;
  for (int k = 0; k < 100; ++k) sent += u.OnUnknownSession(h, 1000, now_, reply_) > 0;
  EXPECT_EQ(sent, 10);  // the burst
  EXPECT_EQ(u.OnUnknownSession(h, 1000, now_ + Ms(99), reply_), 0u);
  EXPECT_GT(u.OnUnknownSession(h, 1000, now_ + Ms(100), reply_), 0u);
  sent = 0;
  for (int ms = 101; ms <= 10'100; ++ms) {  // 10 s of a flood
    sent += u.OnUnknownSession(h, 1000, now_ + Ms(ms), reply_) > 0;
  }
  EXPECT_EQ(sent, 100);  // 10/s
  now_ += Duration::Seconds(60);
  EXPECT_EQ(u.OnUnknownSession(h, kHeaderSize + kHandshakeFixedSize, now_, reply_), 0u);
  EXPECT_EQ(u.stats().too_small, 1u);
  h.type = PacketType::kShutdown;
  EXPECT_EQ(u.OnUnknownSession(h, 1000, now_, reply_), 0u);
  h.type = PacketType::kHandshake;
  EXPECT_EQ(u.OnUnknownSession(h, 1000, now_, reply_), 0u);
  EXPECT_EQ(u.stats().ignored, 2u);
}

TEST_F(HandshakeTest, FiniteTimeoutGivesUpAndInfiniteRetriesForever) {
  HandshakeInitiatorConfig c = InitiatorConfig();
  c.timeout = Duration::Seconds(5);
  HandshakeInitiator finite = MakeInitiator(c, 1);
  HandshakeInitiator forever = MakeInitiator(InitiatorConfig(), 2);
  const Time t0 = now_;
  finite.Start(now_, buf_);
  forever.Start(now_, buf_);
  HandshakeEvent last = HandshakeEvent::kNone;
  while (finite.NextWakeup()) last = finite.OnTimer(*finite.NextWakeup(), buf_).event;
  EXPECT_EQ(last, HandshakeEvent::kTimedOut);
  EXPECT_EQ(finite.state(), HandshakeState::kTimedOut);
  Time prev = t0;
  for (int k = 0; k < 100; ++k) {
    const Time at = *forever.NextWakeup();
    EXPECT_LE(at - prev, Duration::Seconds(1));
    EXPECT_GT(forever.OnTimer(at, buf_).send_size, 0u);
    prev = at;
  }
  EXPECT_EQ(forever.state(), HandshakeState::kInducing);
  EXPECT_EQ(forever.attempts(), 101u);
}

TEST_F(HandshakeTest, UnexpectedRepliesAreDroppedAndCounted) {
  HandshakeInitiator i = MakeInitiator();
  HandshakeResponder r = MakeResponder();
  const Bytes induction = Sent(i.Start(now_, buf_));
  const Bytes induction_response = ToResponder(r, induction);
  HandshakeInitiator other = MakeInitiator(InitiatorConfig(), 0x9999);
  other.Start(now_, buf_);
  EXPECT_EQ(ToInitiator(other, induction_response).drop, DropReason::kUnknownSession);
  EXPECT_EQ(ToInitiator(i, induction).drop, DropReason::kBadField);  // a request
  ToResponder(r, induction_response);
  EXPECT_EQ(last_outcome_.drop, DropReason::kBadField);
  EXPECT_GT(ToInitiator(i, induction_response).send_size, 0u);
  EXPECT_EQ(ToInitiator(i, induction_response).drop, DropReason::kDuplicate);
  EXPECT_EQ(i.state(), HandshakeState::kConcluding);
}

TEST(HandshakeCreateTest, InvalidConfigsAreRefused) {
  HandshakeInitiatorConfig c;
  EXPECT_FALSE(HandshakeInitiator::Create(c, 0).ok());
  c.stream_id = std::string(kMaxStreamIdSize + 1, 'a');
  EXPECT_FALSE(HandshakeInitiator::Create(c, 1).ok());
  c = {};
  c.latency = Duration::Seconds(61);
  EXPECT_FALSE(HandshakeInitiator::Create(c, 1).ok());
  c = {};
  c.fec = XorRow(0);
  EXPECT_FALSE(HandshakeInitiator::Create(c, 1).ok());
  c = {};
  c.max_retry = Duration::Milliseconds(1);
  EXPECT_FALSE(HandshakeInitiator::Create(c, 1).ok());
  HandshakeResponderConfig rc;
  rc.max_paths = kMaxPaths + 1;
  EXPECT_FALSE(HandshakeResponder::Create(rc, Secret(1), nullptr).ok());
  EXPECT_TRUE(HandshakeResponder::Create({}, Secret(1), nullptr).ok());
}

TEST(HandshakeCreateTest, PreferredFecMustFollowTheWireRules) {
  const auto create = [](const FecConfig& preferred) {
    HandshakeResponderConfig rc;
    rc.preferred_fec = preferred;
    return HandshakeResponder::Create(rc, Secret(1), nullptr).status();
  };
  EXPECT_TRUE(create(FecConfig{}).ok());
  EXPECT_TRUE(create(XorRow(10)).ok());
  EXPECT_TRUE(create(Rs(FecMode::kReedSolomon, 20, 4, 1)).ok());
  EXPECT_TRUE(create(Rs(FecMode::kReedSolomonAdaptive, 20, 10, 8)).ok());
  const FecConfig bad[] = {
      XorRow(0),                                      // l = 0
      Rs(FecMode::kReedSolomon, 20, 4, 0),            // interleave 0
      Rs(FecMode::kReedSolomonAdaptive, 200, 56, 1),  // k + m > 255
      Rs(FecMode::kReedSolomonAdaptive, 0, 10, 8),    // k = 0
      Rs(FecMode::kNone, 20, 4, 1),                   // fields on kNone
      Rs(static_cast<FecMode>(6), 20, 4, 1),          // unknown mode
      FecConfig{FecMode::kXorRow, 0, 0, 10, 10, 0},   // d on a row code
  };
  for (const FecConfig& fec : bad) {
    const absl::Status s = create(fec);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
        << static_cast<int>(fec.mode) << " k=" << fec.k;
    EXPECT_FALSE(ValidFecConfig(fec));  // the rule Create applies
  }
}

}  // namespace
}  // namespace hitless

namespace hitless {
namespace {

// Delivers with a one-way delay: the RTT the echoes measure.
class HandshakeRttTest : public ::testing::Test {
 protected:
  std::optional<NegotiatedSession> Connect(HandshakeInitiator& i, HandshakeResponder& r,
                                           Duration one_way, Duration hold = Duration::Zero()) {
    Bytes out = Bytes(buf_.begin(), buf_.begin() + i.Start(now_, buf_).send_size);
    for (int step = 0; step < 2 && !out.empty(); ++step) {
      now_ = now_ + one_way;
      auto view = ParseHeader(out);
      auto body = ParseHandshake(view->header, view->body);
      const HandshakeResponderOutcome o = r.OnHandshake(kPeer, view->header, *body, now_, reply_);
      if (o.accepted) accepted_ = o.accepted;
      const Bytes reply(reply_.begin(), reply_.begin() + o.reply_size);
      now_ = now_ + one_way + hold;
      auto rview = ParseHeader(reply);
      auto rbody = ParseHandshake(rview->header, rview->body);
      last_ = i.OnHandshake(rview->header, *rbody, now_, buf_);
      out = Bytes(buf_.begin(), buf_.begin() + last_.send_size);
    }
    return i.negotiated();
  }
  static HandshakeInitiator Initiator(Duration latency, bool strict) {
    HandshakeInitiatorConfig c;
    c.latency = latency;
    c.strict_latency = strict;
    return *HandshakeInitiator::Create(c, 0x99);
  }
  HandshakeResponder Responder(Duration latency) {
    HandshakeResponderConfig c;
    c.latency = latency;
    return *HandshakeResponder::Create(c, CookieSecret{3}, nullptr);
  }
  static inline const Bytes kPeer = {1, 2, 3, 4};
  Time now_ = Time::Zero() + Duration::Seconds(100);
  std::array<uint8_t, kMaxDatagramSize> buf_{};
  std::array<uint8_t, kMaxDatagramSize> reply_{};
  std::optional<NegotiatedSession> accepted_;
  HandshakeInitiatorResult last_;
};

TEST_F(HandshakeRttTest, BothSidesMeasureTheRoundTrip) {
  HandshakeInitiator i = Initiator(Duration::Milliseconds(500), false);
  HandshakeResponder r = Responder(Duration::Milliseconds(120));
  const auto n = Connect(i, r, Duration::Milliseconds(40));
  ASSERT_TRUE(n);
  ASSERT_TRUE(n->handshake_rtt);
  EXPECT_EQ(*n->handshake_rtt, Duration::Milliseconds(80));
  ASSERT_TRUE(accepted_ && accepted_->handshake_rtt);
  EXPECT_EQ(*accepted_->handshake_rtt, Duration::Milliseconds(80));
  EXPECT_EQ(n->latency, Duration::Milliseconds(500));  // feasible: not raised
  EXPECT_FALSE(n->raised_from);
}

TEST_F(HandshakeRttTest, AnAsymmetricPathGivesBothSidesTheSameRoundTrip) {
  HandshakeInitiator i = Initiator(Duration::Milliseconds(500), false);
  HandshakeResponder r = Responder(Duration::Milliseconds(120));
  // 25 ms out, 35 ms back.
  const auto n = Connect(i, r, Duration::Milliseconds(25), Duration::Milliseconds(10));
  ASSERT_TRUE(n && n->handshake_rtt);
  EXPECT_EQ(*n->handshake_rtt, Duration::Milliseconds(60));
  ASSERT_TRUE(accepted_ && accepted_->handshake_rtt);
  EXPECT_EQ(*accepted_->handshake_rtt, Duration::Milliseconds(60));
}

TEST_F(HandshakeRttTest, ALatencyBelowThePathIsRaisedToThePlayFloor) {
  HandshakeInitiator i = Initiator(Duration::Milliseconds(120), false);
  HandshakeResponder r = Responder(Duration::Milliseconds(120));
  const auto n = Connect(i, r, Duration::Milliseconds(150));
  ASSERT_TRUE(n);
  // RTT 300 ms: 150 + max(20, 75) = 225 ms.
  EXPECT_EQ(n->latency, Duration::Milliseconds(225));
  EXPECT_EQ(n->raised_from, Duration::Milliseconds(120));
  ASSERT_TRUE(accepted_);
  EXPECT_EQ(accepted_->latency, Duration::Milliseconds(225));  // both sides run at it
  EXPECT_EQ(LatencyFloorFor(Duration::Milliseconds(300)).repair, Duration::Milliseconds(525));
  EXPECT_EQ(LatencyFloorFor(Duration::Milliseconds(10)).play, Duration::Milliseconds(25));
}

TEST_F(HandshakeRttTest, StrictRefusesAndSendsNothingMore) {
  HandshakeInitiator i = Initiator(Duration::Milliseconds(120), true);
  HandshakeResponder r = Responder(Duration::Milliseconds(120));
  const auto n = Connect(i, r, Duration::Milliseconds(150));
  EXPECT_FALSE(n);
  EXPECT_EQ(i.state(), HandshakeState::kRejected);
  EXPECT_EQ(i.reject_reason(), kRejectLatency);
  EXPECT_TRUE(i.latency_refused());
  EXPECT_EQ(last_.event, HandshakeEvent::kRejected);
  EXPECT_EQ(last_.send_size, 0u);
  EXPECT_FALSE(i.NextWakeup());
  EXPECT_FALSE(accepted_);
}

}  // namespace
}  // namespace hitless
