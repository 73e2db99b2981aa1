// URL parsing of the media endpoints: every scheme, every error path, and
// hostile strings (huge, NUL bytes, bad escapes, out-of-range ports).
#include "transport/endpoints/url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "transport/endpoints/query.h"

namespace hitless::endpoints {
namespace {

using ::testing::HasSubstr;

EndpointSpec ParseOk(std::string_view url, Role role) {
  auto spec = ParseEndpointUrl(url, role);
  EXPECT_TRUE(spec.ok()) << url << ": " << spec.status();
  return spec.ok() ? *std::move(spec) : EndpointSpec{};
}

// Expects an InvalidArgument whose message names the URL and contains `what`.
void ExpectError(std::string_view url, Role role, std::string_view what) {
  auto spec = ParseEndpointUrl(url, role);
  ASSERT_FALSE(spec.ok()) << url << " parsed as " << spec->SchemeName();
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(spec.status().message());
  EXPECT_THAT(message, HasSubstr("endpoint URL \"")) << message;
  EXPECT_THAT(message, HasSubstr(std::string(what))) << url;
}

TEST(UrlTest, UdpInputUnicastAndAny) {
  EndpointSpec spec = ParseOk("udp://127.0.0.1:5000", Role::kInput);
  ASSERT_NE(spec.As<UdpSpec>(), nullptr);
  EXPECT_EQ(spec.As<UdpSpec>()->host, "127.0.0.1");
  EXPECT_EQ(spec.As<UdpSpec>()->port, 5000);
  EXPECT_STREQ(spec.SchemeName(), "udp");

  spec = ParseOk("udp://:5000", Role::kInput);
  EXPECT_EQ(spec.As<UdpSpec>()->host, "");
  spec = ParseOk("udp://@:5000", Role::kInput);
  EXPECT_EQ(spec.As<UdpSpec>()->host, "");
  spec = ParseOk("udp://:0", Role::kInput);  // ephemeral
  EXPECT_EQ(spec.As<UdpSpec>()->port, 0);
}

TEST(UrlTest, UdpMulticastInputWithOptions) {
  const EndpointSpec spec =
      ParseOk("UDP://@239.1.1.1:5000?iface=10.0.0.2&rcvbuf=16M", Role::kInput);
  const UdpSpec* udp = spec.As<UdpSpec>();
  ASSERT_NE(udp, nullptr);
  EXPECT_EQ(udp->host, "239.1.1.1");
  EXPECT_EQ(udp->iface, "10.0.0.2");
  EXPECT_EQ(udp->rcvbuf, uint64_t{16} << 20);
  EXPECT_FALSE(udp->ttl.has_value());
}

TEST(UrlTest, UdpOutput) {
  const EndpointSpec spec = ParseOk("udp://[::1]:6000?ttl=4&sndbuf=512k", Role::kOutput);
  const UdpSpec* udp = spec.As<UdpSpec>();
  ASSERT_NE(udp, nullptr);
  EXPECT_EQ(udp->host, "::1");
  EXPECT_EQ(udp->port, 6000);
  EXPECT_EQ(udp->ttl, 4);
  EXPECT_EQ(udp->sndbuf, 512u * 1024);
  EXPECT_EQ(ParseOk("udp://localhost:5000", Role::kOutput).As<UdpSpec>()->host, "localhost");
}

TEST(UrlTest, UdpErrors) {
  ExpectError("udp://127.0.0.1", Role::kInput, "missing :PORT");
  ExpectError("udp://127.0.0.1:", Role::kInput, "missing port");
  ExpectError("udp://127.0.0.1:65536", Role::kInput, "0..65535");
  ExpectError("udp://127.0.0.1:-1", Role::kInput, "0..65535");
  ExpectError("udp://127.0.0.1:5x", Role::kInput, "0..65535");
  ExpectError("udp://127.0.0.1:99999999999999999999999", Role::kInput, "0..65535");
  ExpectError("udp://127.0.0.1:0", Role::kOutput, "destination port");
  ExpectError("udp://:5000", Role::kOutput, "destination host");
  ExpectError("udp://0.0.0.0:5000", Role::kOutput, "destination host");
  ExpectError("udp://@239.1.1.1:5000", Role::kOutput, "'@'");
  ExpectError("udp://::1:5000", Role::kInput, "brackets");
  ExpectError("udp://[::1:5000", Role::kInput, "closing ']'");
  ExpectError("udp://[::1]5000", Role::kInput, "missing :PORT");
  ExpectError("udp://[zz]:5000", Role::kInput, "not an IPv6 address");
  ExpectError("udp://a b:5000", Role::kInput, "may only hold");
  ExpectError("udp://1.2.3.4:5000/path", Role::kInput, "unexpected path");
  ExpectError("udp://" + std::string(300, 'a') + ":1", Role::kInput, "longer than 253");
  ExpectError("udp://:5000?ttl=3", Role::kInput, "unknown key \"ttl\"");
  ExpectError("udp://1.2.3.4:5000?rcvbuf=1M", Role::kOutput, "unknown key \"rcvbuf\"");
  ExpectError("udp://1.2.3.4:5000?ttl=256", Role::kOutput, "ttl=");
  ExpectError("udp://:5000?rcvbuf=2G", Role::kInput, "rcvbuf=");
  ExpectError("udp://:5000?rcvbuf=12", Role::kInput, "rcvbuf=");
  ExpectError("udp://:5000?iface=eth0", Role::kInput, "numeric IP address");
  ExpectError("udp://:5000?foo=1", Role::kInput, "unknown key \"foo\"");
}

TEST(UrlTest, EmptyQueryIsAccepted) {
  EXPECT_EQ(ParseOk("udp://:5000?", Role::kInput).As<UdpSpec>()->port, 5000);
}

TEST(UrlTest, FileAndStdio) {
  EndpointSpec spec = ParseOk("file:///tmp/in%20put.ts?rate=20M", Role::kInput);
  ASSERT_NE(spec.As<FileSpec>(), nullptr);
  EXPECT_EQ(spec.As<FileSpec>()->path, "/tmp/in put.ts");
  EXPECT_EQ(spec.As<FileSpec>()->rate_bps, 20'000'000u);
  spec = ParseOk("file://localhost/tmp/out.ts", Role::kOutput);
  EXPECT_EQ(spec.As<FileSpec>()->path, "/tmp/out.ts");
  EXPECT_NE(ParseOk("-", Role::kInput).As<StdioSpec>(), nullptr);
  EXPECT_NE(ParseOk("-", Role::kOutput).As<StdioSpec>(), nullptr);

  ExpectError("file://relative/path", Role::kInput, "absolute path");
  ExpectError("file://", Role::kInput, "absolute path");
  ExpectError("file:///tmp/x?rate=20M", Role::kOutput, "unknown key \"rate\"");
  ExpectError("file:///tmp/x?rate=fast", Role::kInput, "rate=");
  ExpectError("file:///tmp/x%2", Role::kInput, "bad percent escape");
  ExpectError("file:///tmp/x%zz", Role::kInput, "bad percent escape");
  ExpectError("file:///tmp/x%00y", Role::kInput, "control character");
  ExpectError("/tmp/x.ts", Role::kInput, "not a URL");
}

TEST(UrlTest, Gen) {
  EndpointSpec spec = ParseOk("gen://", Role::kInput);
  const GenSpec* gen = spec.As<GenSpec>();
  ASSERT_NE(gen, nullptr);
  EXPECT_EQ(gen->bitrate_bps, 10'000'000u);
  EXPECT_TRUE(gen->duration.IsInfinite());
  EXPECT_EQ(gen->size, 1316u);

  spec = ParseOk("gen://?bitrate=2.5M&duration=1m30s&size=188&id=7", Role::kInput);
  gen = spec.As<GenSpec>();
  EXPECT_EQ(gen->bitrate_bps, 2'500'000u);
  EXPECT_EQ(gen->duration, Duration::Seconds(90));
  EXPECT_EQ(gen->size, 188u);
  EXPECT_EQ(gen->stream_id, 7u);
  EXPECT_EQ(ParseOk("gen://?bitrate=800k&duration=500ms", Role::kInput).As<GenSpec>()->duration,
            Duration::Milliseconds(500));

  ExpectError("gen://", Role::kOutput, "inputs only");
  ExpectError("gen://host", Role::kInput, "takes no host");
  ExpectError("gen://?bitrate=0", Role::kInput, "bitrate=");
  ExpectError("gen://?bitrate=11G", Role::kInput, "bitrate=");
  ExpectError("gen://?bitrate=nan", Role::kInput, "bitrate=");
  ExpectError("gen://?bitrate=1e9", Role::kInput, "bitrate=");
  ExpectError("gen://?bitrate=", Role::kInput, "bitrate=");
  ExpectError("gen://?duration=0s", Role::kInput, "duration=");
  ExpectError("gen://?duration=-1s", Role::kInput, "duration=");
  ExpectError("gen://?duration=inf", Role::kInput, "duration=");
  ExpectError("gen://?duration=10", Role::kInput, "duration=");
  ExpectError("gen://?size=23", Role::kInput, "size=");
  ExpectError("gen://?size=1473", Role::kInput, "size=");
  ExpectError("gen://?id=4294967296", Role::kInput, "id=");
  ExpectError("gen://?rate=1M", Role::kInput, "unknown key \"rate\"");
  ExpectError("gen://?bitrate=1M&bitrate=2M", Role::kInput, "given twice");
  ExpectError("gen://?bitrate", Role::kInput, "has no value");
  ExpectError("gen://?=5", Role::kInput, "empty key");
  ExpectError("gen://?bitrate=1M&&size=188", Role::kInput, "empty query parameter");
  ExpectError("gen://?Bitrate=1M", Role::kInput, "lower-case");
}

TEST(UrlTest, Verify) {
  EXPECT_EQ(ParseOk("verify", Role::kOutput).As<VerifySpec>()->report_path, "");
  EXPECT_EQ(ParseOk("verify://", Role::kOutput).As<VerifySpec>()->report_path, "");
  EXPECT_EQ(ParseOk("verify://?report=/tmp/r%2Ejson", Role::kOutput).As<VerifySpec>()->report_path,
            "/tmp/r.json");
  EXPECT_EQ(ParseOk("verify?report=r.json", Role::kOutput).As<VerifySpec>()->report_path, "r.json");
  ExpectError("verify", Role::kInput, "outputs only");
  ExpectError("verify://x", Role::kOutput, "takes no host");
  ExpectError("verify://?report=", Role::kOutput, "needs a file name");
  ExpectError("verify://?expect=5", Role::kOutput, "unknown key \"expect\"");
}

TEST(UrlTest, HitlessModesAndOptions) {
  EndpointSpec spec =
      ParseOk("hitless://relay.example:9000?latency=500ms&stream=cam%2F1&fec=rs(10,4)&paths=2",
              Role::kOutput);
  const HitlessSpec* h = spec.As<HitlessSpec>();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->host, "relay.example");
  EXPECT_EQ(h->port, 9000);
  EXPECT_EQ(h->mode, HitlessMode::kCaller);
  EXPECT_EQ(h->latency, Duration::Milliseconds(500));
  EXPECT_EQ(h->stream, "cam/1");
  EXPECT_EQ(h->options.size(), 2u);
  EXPECT_EQ(h->options.at("fec"), "rs(10,4)");
  EXPECT_EQ(h->options.at("paths"), "2");

  EXPECT_EQ(ParseOk("hitless://:9000", Role::kInput).As<HitlessSpec>()->mode,
            HitlessMode::kListener);
  EXPECT_EQ(ParseOk("hitless://@:9000", Role::kInput).As<HitlessSpec>()->mode,
            HitlessMode::kListener);
  EXPECT_EQ(ParseOk("hitless://0.0.0.0:9000", Role::kInput).As<HitlessSpec>()->mode,
            HitlessMode::kListener);
  EXPECT_EQ(ParseOk("hitless://[::]:0", Role::kInput).As<HitlessSpec>()->mode,
            HitlessMode::kListener);
  spec = ParseOk("hitless://10.0.0.1:9000?mode=listener", Role::kInput);
  EXPECT_EQ(spec.As<HitlessSpec>()->mode, HitlessMode::kListener);
  EXPECT_EQ(spec.As<HitlessSpec>()->host, "10.0.0.1");
  EXPECT_FALSE(spec.As<HitlessSpec>()->latency.has_value());
  EXPECT_STREQ(HitlessModeName(HitlessMode::kListener), "listener");

  ExpectError("hitless://:9000?mode=caller", Role::kOutput, "mode=caller needs a remote HOST");
  ExpectError("hitless://1.2.3.4:0", Role::kOutput, "remote port");
  ExpectError("hitless://1.2.3.4:9000?mode=both", Role::kOutput, "caller or listener");
  ExpectError("hitless://1.2.3.4:9000?latency=10ms", Role::kOutput, "20ms..60s");
  ExpectError("hitless://1.2.3.4:9000?latency=61s", Role::kOutput, "20ms..60s");
  ExpectError("hitless://1.2.3.4:9000?latency=fast", Role::kOutput, "latency=");
  ExpectError("hitless://1.2.3.4:9000?latency=5", Role::kOutput, "outside");
  {
    // A bare number is milliseconds, as SRT users write it.
    auto spec = ParseEndpointUrl("hitless://1.2.3.4:9000?latency=120", Role::kOutput);
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_EQ(spec->As<HitlessSpec>()->latency, Duration::Milliseconds(120));
  }
  ExpectError("hitless://1.2.3.4:9000?stream=" + std::string(513, 's'), Role::kOutput,
              "longer than 512");
  ExpectError("hitless://1.2.3.4", Role::kOutput, "missing :PORT");
  ExpectError("hitless://1.2.3.4:9000?fec=%G1", Role::kOutput, "bad percent escape");
}

TEST(UrlTest, SrtModeDefaultsByHost) {
  EndpointSpec spec = ParseOk("srt://relay.example:9000", Role::kOutput);
  EXPECT_STREQ(spec.SchemeName(), "srt");
  const SrtSpec* srt = spec.As<SrtSpec>();
  ASSERT_NE(srt, nullptr);
  EXPECT_EQ(srt->host, "relay.example");
  EXPECT_EQ(srt->port, 9000);
  EXPECT_EQ(srt->mode, SrtMode::kCaller);
  EXPECT_FALSE(srt->latency.has_value());  // libsrt's 120 ms
  EXPECT_EQ(srt->passphrase, "");
  EXPECT_EQ(srt->pbkeylen, 0);

  for (const char* url : {"srt://:9000", "srt://@:9000", "srt://0.0.0.0:9000", "srt://[::]:0"}) {
    spec = ParseOk(url, Role::kInput);
    ASSERT_NE(spec.As<SrtSpec>(), nullptr) << url;
    EXPECT_EQ(spec.As<SrtSpec>()->mode, SrtMode::kListener) << url;
  }
  EXPECT_EQ(ParseOk("srt://@:9000", Role::kInput).As<SrtSpec>()->host, "");
}

TEST(UrlTest, SrtExplicitModesAndAliases) {
  EndpointSpec spec =
      ParseOk("srt://10.0.0.2:9000?mode=rendezvous&adapter=10.0.0.1&port=9001", Role::kOutput);
  const SrtSpec* srt = spec.As<SrtSpec>();
  ASSERT_NE(srt, nullptr);
  EXPECT_EQ(srt->mode, SrtMode::kRendezvous);
  EXPECT_EQ(srt->host, "10.0.0.2");
  EXPECT_EQ(srt->adapter, "10.0.0.1");
  EXPECT_EQ(srt->local_port, 9001);
  EXPECT_STREQ(SrtModeName(SrtMode::kRendezvous), "rendezvous");

  // ffmpeg's names for the two common modes.
  EXPECT_EQ(ParseOk("srt://10.0.0.2:9000?mode=client", Role::kOutput).As<SrtSpec>()->mode,
            SrtMode::kCaller);
  spec = ParseOk("srt://10.0.0.1:9000?mode=server", Role::kInput);
  EXPECT_EQ(spec.As<SrtSpec>()->mode, SrtMode::kListener);
  EXPECT_EQ(spec.As<SrtSpec>()->host, "10.0.0.1");  // the local address to bind
  EXPECT_EQ(ParseOk("srt://10.0.0.1:9000?mode=listener", Role::kInput).As<SrtSpec>()->mode,
            SrtMode::kListener);

  ExpectError("srt://10.0.0.2:9000?mode=push", Role::kOutput,
              "expected caller, listener or rendezvous");
  ExpectError("srt://:9000?mode=caller", Role::kOutput, "mode=caller needs a remote HOST");
  ExpectError("srt://@:9000?mode=client", Role::kOutput, "mode=caller needs a remote HOST");
  ExpectError("srt://0.0.0.0:9000?mode=rendezvous", Role::kOutput,
              "mode=rendezvous needs a remote HOST");
  ExpectError("srt://10.0.0.2:0", Role::kOutput, "mode=caller needs a remote port");
  ExpectError("srt://10.0.0.2:0?mode=rendezvous", Role::kOutput, "remote port");
  ExpectError("srt://:9000?adapter=10.0.0.1", Role::kInput, "adapter= and port=");
  ExpectError("srt://:9000?port=9001", Role::kInput, "adapter= and port=");
  ExpectError("srt://10.0.0.1:9000?mode=listener&port=9001", Role::kInput, "adapter= and port=");
  ExpectError("srt://10.0.0.2:9000?adapter=eth0", Role::kOutput, "numeric IP address");
  ExpectError("srt://10.0.0.2:9000?port=0", Role::kOutput, "port=");
}

TEST(UrlTest, SrtLatencyIsMillisecondsUpToAMinute) {
  EndpointSpec spec =
      ParseOk("srt://10.0.0.2:9000?latency=200&rcvlatency=1.5s&peerlatency=80ms", Role::kOutput);
  const SrtSpec* srt = spec.As<SrtSpec>();
  ASSERT_NE(srt, nullptr);
  EXPECT_EQ(srt->latency, Duration::Milliseconds(200));  // bare number: ms
  EXPECT_EQ(srt->rcvlatency, Duration::Milliseconds(1500));
  EXPECT_EQ(srt->peerlatency, Duration::Milliseconds(80));
  EXPECT_EQ(ParseOk("srt://10.0.0.2:9000?latency=60000", Role::kOutput).As<SrtSpec>()->latency,
            Duration::Seconds(60));
  EXPECT_EQ(ParseOk("srt://10.0.0.2:9000?latency=0", Role::kOutput).As<SrtSpec>()->latency,
            Duration::Zero());

  ExpectError("srt://10.0.0.2:9000?latency=61s", Role::kOutput,
              "latency=61s is outside 0..60000 ms");
  ExpectError("srt://10.0.0.2:9000?latency=60001", Role::kOutput, "outside 0..60000 ms");
  ExpectError("srt://10.0.0.2:9000?rcvlatency=2m", Role::kOutput, "rcvlatency=2m is outside");
  ExpectError("srt://10.0.0.2:9000?latency=fast", Role::kOutput, "latency=");
  ExpectError("srt://10.0.0.2:9000?latency=-5", Role::kOutput, "latency=");
  ExpectError("srt://10.0.0.2:9000?conntimeo=10", Role::kOutput, "conntimeo=10 is outside 50..");
  ExpectError("srt://10.0.0.2:9000?conntimeo=0", Role::kOutput, "conntimeo=0 is outside 50..");

  // 200000 as ffmpeg means it (µs) is 200 ms: the message says which unit
  // this URL counts in. A value too large in either unit gets no hint.
  const auto micro = ParseEndpointUrl("srt://10.0.0.2:9000?latency=200000", Role::kOutput);
  ASSERT_FALSE(micro.ok());
  const std::string message(micro.status().message());
  EXPECT_THAT(message, HasSubstr("latency=200000 is outside 0..60000 ms"));
  EXPECT_THAT(message, HasSubstr("ffmpeg's srt:// counts microseconds"));
  for (const char* url :
       {"srt://10.0.0.2:9000?latency=61s", "srt://10.0.0.2:9000?latency=200000000"}) {
    const auto no_hint = ParseEndpointUrl(url, Role::kOutput);
    ASSERT_FALSE(no_hint.ok()) << url;
    EXPECT_THAT(std::string(no_hint.status().message()), ::testing::Not(HasSubstr("microseconds")))
        << url;
  }
}

TEST(UrlTest, SrtEncryption) {
  const std::string ten(10, 'p');
  const std::string seventy_nine(79, 'p');
  EndpointSpec spec =
      ParseOk("srt://10.0.0.2:9000?passphrase=" + ten + "&pbkeylen=32", Role::kOutput);
  ASSERT_NE(spec.As<SrtSpec>(), nullptr);
  EXPECT_EQ(spec.As<SrtSpec>()->passphrase, ten);
  EXPECT_EQ(spec.As<SrtSpec>()->pbkeylen, 32);
  EXPECT_EQ(ParseOk("srt://10.0.0.2:9000?passphrase=" + seventy_nine, Role::kOutput)
                .As<SrtSpec>()
                ->passphrase.size(),
            79u);
  EXPECT_EQ(ParseOk("srt://10.0.0.2:9000?passphrase=a%20b%26c%3Dd%25e-f", Role::kOutput)
                .As<SrtSpec>()
                ->passphrase,
            "a b&c=d%e-f");
  EXPECT_EQ(ParseOk("srt://10.0.0.2:9000?pbkeylen=0", Role::kOutput).As<SrtSpec>()->pbkeylen, 0);

  ExpectError("srt://10.0.0.2:9000?passphrase=" + std::string(9, 'p'), Role::kOutput,
              "10 to 79 characters");
  ExpectError("srt://10.0.0.2:9000?passphrase=" + std::string(80, 'p'), Role::kOutput, "it has 80");
  ExpectError("srt://10.0.0.2:9000?passphrase=", Role::kOutput, "it has 0");
  // The limit counts the decoded passphrase, not its escaped spelling.
  ExpectError("srt://10.0.0.2:9000?passphrase=%41%41%41%41%41%41%41%41%41", Role::kOutput,
              "it has 9");
  ExpectError("srt://10.0.0.2:9000?pbkeylen=16", Role::kOutput, "pbkeylen= needs a passphrase=");
  ExpectError("srt://10.0.0.2:9000?passphrase=" + ten + "&pbkeylen=20", Role::kOutput,
              "pbkeylen=\"20\": expected 16, 24 or 32");
  ExpectError("srt://10.0.0.2:9000?passphrase=" + ten + "&pbkeylen=016", Role::kOutput,
              "expected 16, 24 or 32");
}

TEST(UrlTest, SrtErrorMessagesDoNotRepeatThePassphrase) {
  const auto spec =
      ParseEndpointUrl("srt://10.0.0.2:9000?passphrase=hunter2hunter2&pbkeylen=20", Role::kOutput);
  ASSERT_FALSE(spec.ok());
  const std::string message(spec.status().message());
  EXPECT_THAT(message, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(message, HasSubstr("passphrase=***&pbkeylen=20"));
}

TEST(UrlTest, SrtOtherOptions) {
  const EndpointSpec spec = ParseOk(
      "srt://10.0.0.2:9000?streamid=%23!%3A%3Ar%3Dcam1&conntimeo=3s&peeridletimeo=5000&maxbw=-1"
      "&inputbw=1250000&oheadbw=25&enforcedencryption=no&tlpktdrop=on&rcvbuf=8M&sndbuf=64k"
      "&pkt_size=1316&transtype=live",
      Role::kOutput);
  const SrtSpec* srt = spec.As<SrtSpec>();
  ASSERT_NE(srt, nullptr);
  EXPECT_EQ(srt->streamid, "#!::r=cam1");
  EXPECT_EQ(srt->conntimeo, Duration::Seconds(3));
  EXPECT_EQ(srt->peeridletimeo, Duration::Seconds(5));
  EXPECT_EQ(srt->maxbw, -1);
  EXPECT_EQ(srt->inputbw, 1'250'000);
  EXPECT_EQ(srt->oheadbw, 25);
  EXPECT_EQ(srt->enforcedencryption, false);
  EXPECT_EQ(srt->tlpktdrop, true);
  EXPECT_EQ(srt->rcvbuf, uint64_t{8} << 20);
  EXPECT_EQ(srt->sndbuf, uint64_t{64} << 10);
  EXPECT_EQ(srt->payloadsize, 1316);
  EXPECT_EQ(
      ParseOk("srt://10.0.0.2:9000?payloadsize=188", Role::kOutput).As<SrtSpec>()->payloadsize,
      188);
  EXPECT_EQ(ParseOk("srt://10.0.0.2:9000?maxbw=0", Role::kOutput).As<SrtSpec>()->maxbw, 0);

  ExpectError("srt://10.0.0.2:9000?transtype=file", Role::kOutput, "transtype=file: only live");
  ExpectError("srt://10.0.0.2:9000?foo=1", Role::kOutput, "unknown key \"foo\" for srt://");
  ExpectError("srt://10.0.0.2:9000?stream=cam", Role::kOutput, "unknown key \"stream\"");
  ExpectError("srt://10.0.0.2:9000?streamid=" + std::string(513, 's'), Role::kOutput,
              "streamid= is longer than 512");
  ExpectError("srt://10.0.0.2:9000?inputbw=-1", Role::kOutput, "inputbw=");
  ExpectError("srt://10.0.0.2:9000?oheadbw=4", Role::kOutput, "oheadbw=");
  ExpectError("srt://10.0.0.2:9000?tlpktdrop=maybe", Role::kOutput, "expected true or false");
  ExpectError("srt://10.0.0.2:9000?rcvbuf=1k", Role::kOutput, "rcvbuf=");
  ExpectError("srt://10.0.0.2:9000?payloadsize=1457", Role::kOutput, "payloadsize=");
  ExpectError("srt://10.0.0.2:9000?pkt_size=187", Role::kOutput, "pkt_size=");
  ExpectError("srt://10.0.0.2:9000/live", Role::kOutput, "unexpected path");
  ExpectError("srt://10.0.0.2", Role::kOutput, "missing :PORT");
}

TEST(UrlTest, SchemeAndHostileStrings) {
  ExpectError("", Role::kInput, "empty");
  ExpectError("rist://1.2.3.4:5000", Role::kInput, "unknown scheme \"rist\"");
  ExpectError("://x", Role::kInput, "not a URL");
  ExpectError(std::string("udp://1.2.3.4:5000\0x", 19), Role::kInput, "control character");
  ExpectError("udp://1.2.3.4:5000\n", Role::kInput, "control character");
  const std::string huge = "udp://" + std::string(100000, '9');
  ExpectError(huge, Role::kInput, "longer than 4096");
  // The message quotes a bounded prefix, never the whole hostile string.
  EXPECT_LT(ParseEndpointUrl(huge, Role::kInput).status().message().size(), 400u);
  std::string many = "gen://?";
  for (int i = 0; i < 65; ++i) {
    // Piece by piece: GCC 12 warns (-Wrestrict, falsely) on chained operator+.
    many += 'k';
    many += std::to_string(i);
    many += "=1&";
  }
  many.pop_back();
  ExpectError(many, Role::kInput, "more than 64");
}

TEST(QueryTest, Helpers) {
  EXPECT_EQ(*ParseBitrate("1G"), 1'000'000'000u);
  EXPECT_EQ(*ParseBitrate("1000"), 1000u);
  EXPECT_FALSE(ParseBitrate("M").ok());
  EXPECT_FALSE(ParseBitrate("-5M").ok());
  EXPECT_EQ(*ParseDurationText("2s"), Duration::Seconds(2));
  EXPECT_EQ(*ParseByteSize("8M", 1, uint64_t{1} << 30), uint64_t{8} << 20);
  EXPECT_EQ(*PercentDecode("a%2fb%2Fc"), "a/b/c");
  EXPECT_FALSE(PercentDecode("%").ok());
  EXPECT_FALSE(PercentDecode("%1").ok());
  EXPECT_FALSE(PercentDecode("%7f").ok());
  EXPECT_TRUE(ParseQuery("")->empty());
  EXPECT_EQ(ParseQuery("a=&b=2")->at(0).second, "");
  const std::string quoted = QuoteForMessage(std::string("a\0b", 3));
  EXPECT_EQ(quoted.find('\0'), std::string::npos);
  EXPECT_NE(quoted.find("\\x00"), std::string::npos) << quoted;
}

TEST(QueryTest, RedactSecrets) {
  EXPECT_EQ(RedactSecrets("srt://h:1?passphrase=hunter2hunter2&latency=200"),
            "srt://h:1?passphrase=***&latency=200");
  EXPECT_EQ(RedactSecrets("srt://h:1?latency=200&passphrase=hunter2hunter2"),
            "srt://h:1?latency=200&passphrase=***");
  EXPECT_EQ(RedactSecrets("hitless://h:1?secret=abc&passphrase=a%26b&stream=x"),
            "hitless://h:1?secret=***&passphrase=***&stream=x");
  EXPECT_EQ(RedactSecrets("srt://h:1?passphrase="), "srt://h:1?passphrase=***");
  // Only whole keys: a key that merely ends in "passphrase" or "secret",
  // and the words inside a value, are left alone.
  EXPECT_EQ(RedactSecrets("srt://h:1?xpassphrase=abc&topsecret=def"),
            "srt://h:1?xpassphrase=abc&topsecret=def");
  EXPECT_EQ(RedactSecrets("srt://h:1?streamid=passphrase=abc"),
            "srt://h:1?streamid=passphrase=abc");
  EXPECT_EQ(RedactSecrets("passphrase=abc"), "passphrase=abc");
  EXPECT_EQ(RedactSecrets("udp://:5000"), "udp://:5000");
  EXPECT_EQ(RedactSecrets(""), "");
}

}  // namespace
}  // namespace hitless::endpoints
