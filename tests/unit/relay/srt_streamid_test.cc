// ParseSrtStreamId: what an SRT caller asks of hitless-relay, from the SRT
// access-control form ("#!::r=NAME,m=publish"), MediaMTX's "publish:NAME" /
// "read:NAME" or a bare "NAME"; and every streamid it refuses.
#include "relay/srt_streamid.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace hitless::relay {
namespace {

void ExpectRequest(std::string_view streamid, std::string_view stream, bool publish) {
  const auto r = ParseSrtStreamId(streamid);
  ASSERT_TRUE(r.ok()) << streamid << ": " << r.status();
  EXPECT_EQ(r->stream, stream) << streamid;
  EXPECT_EQ(r->publish, publish) << streamid;
}

void ExpectRefused(std::string_view streamid) {
  const auto r = ParseSrtStreamId(streamid);
  ASSERT_FALSE(r.ok()) << "accepted \"" << streamid << "\" as stream \"" << r->stream << "\"";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
}

TEST(SrtStreamIdTest, AccessControlFormNamesTheResourceAndTheMode) {
  ExpectRequest("#!::r=match1,m=publish", "match1", true);
  ExpectRequest("#!::m=publish,r=match1", "match1", true);  // any order
  ExpectRequest("#!::r=match1,m=request", "match1", false);
  ExpectRequest("#!::r=match1", "match1", false);  // m= defaults to request
  ExpectRequest("#!::r=live/cam 2", "live/cam 2", false);
  ExpectRequest("#!::r=a=b", "a=b", false);  // the value runs to the comma
}

TEST(SrtStreamIdTest, AccessControlFormIgnoresOtherKeys) {
  ExpectRequest("#!::u=alice,r=match1,s=5f3a,m=publish", "match1", true);
  ExpectRequest("#!::r=match1,t=stream,h=relay.example", "match1", false);
  ExpectRequest("#!::r=match1,u=", "match1", false);  // an empty value of an ignored key
  ExpectRequest("#!::r=match1,", "match1", false);    // a trailing comma
}

TEST(SrtStreamIdTest, MediaMtxAndBareForms) {
  ExpectRequest("publish:match1", "match1", true);
  ExpectRequest("read:match1", "match1", false);
  ExpectRequest("match1", "match1", false);
  ExpectRequest("publish:a:b", "a:b", true);  // only the first prefix is the mode
  ExpectRequest("live:match1", "live:match1", false);
  ExpectRequest("#!:r=match1", "#!:r=match1", false);  // not the "#!::" prefix: a bare name
}

TEST(SrtStreamIdTest, RefusesModesTheRelayDoesNotServe) {
  ExpectRefused("#!::r=match1,m=bidirectional");
  ExpectRefused("#!::r=match1,m=PUBLISH");
  ExpectRefused("#!::r=match1,m=");
}

TEST(SrtStreamIdTest, RefusesAccessControlWithoutAResource) {
  ExpectRefused("#!::");
  ExpectRefused("#!::m=publish");
  ExpectRefused("#!::u=alice,m=publish");
  ExpectRefused("#!::r=,m=publish");  // r= names no stream
  ExpectRefused("#!::r=");
}

TEST(SrtStreamIdTest, RefusesAKeyWithoutAValue) {
  ExpectRefused("#!::r=match1,publish");
  ExpectRefused("#!::match1");
  ExpectRefused("#!::r=match1,,m=publish");  // an empty item
  ExpectRefused("#!::,r=match1");
}

TEST(SrtStreamIdTest, RefusesEmptyNames) {
  ExpectRefused("");
  ExpectRefused("publish:");
  ExpectRefused("read:");
}

TEST(SrtStreamIdTest, TakesUpTo512Bytes) {
  ExpectRequest(std::string(512, 'a'), std::string(512, 'a'), false);
  ExpectRequest("publish:" + std::string(504, 'a'), std::string(504, 'a'), true);
  ExpectRefused(std::string(513, 'a'));
  ExpectRefused("#!::r=" + std::string(507, 'a'));  // 513 bytes in all
}

TEST(SrtStreamIdTest, RefusesControlCharacters) {
  using namespace std::string_literals;
  ExpectRefused("match\n1");
  ExpectRefused("match\t1");
  ExpectRefused("match1\x7f");
  ExpectRefused("publish:match\x1b[1m");
  ExpectRefused("#!::r=match1,m=publish\r");
  ExpectRefused("match\0001"s);
  // Bytes above 0x7f are not control characters (UTF-8 names).
  ExpectRequest("caf\xc3\xa9", "caf\xc3\xa9", false);
}

}  // namespace
}  // namespace hitless::relay
