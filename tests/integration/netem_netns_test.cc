// hitless-netem across two network namespaces joined by a veth pair.
//
// Needs root and a working `ip netns`; otherwise GTEST_SKIP with the reason.
// State: two namespaces and a veth pair named after the test's PID, created
// in SetUp and deleted in TearDown (also after a failure). Addresses
// 10.200.N.1/30 and 10.200.N.2/30 exist only inside the namespaces, so no
// traffic touches the host's interfaces.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/netem_harness.h"

namespace hitless::testing {
namespace {

constexpr char kEmulator[] = HITLESS_NETEM_BINARY;

bool Shell(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

// Creates a UDP socket bound to ip:0 inside namespace `ns` (sockets keep
// their namespace after creation; the setns happens on a short-lived thread
// so the test thread stays in the host namespace).
bool BindInNamespace(const std::string& ns, const std::string& ip, UdpSocket& socket) {
  bool ok = false;
  std::thread([&] {
    const int ns_fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) return;
    if (setns(ns_fd, CLONE_NEWNET) == 0) ok = socket.Bind(ip, 0);
    close(ns_fd);
  }).join();
  return ok;
}

class NetemNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces";
    if (!Shell("ip netns list")) GTEST_SKIP() << "'ip netns' does not work here";
    const std::string id = std::to_string(getpid());
    ns_a_ = "hlnetem-a-" + id;
    ns_b_ = "hlnetem-b-" + id;
    veth_a_ = "hla" + id;
    veth_b_ = "hlb" + id;
    subnet_ = "10.200." + std::to_string(getpid() % 250) + ".";
    if (!Shell("ip netns add " + ns_a_) || !Shell("ip netns add " + ns_b_)) {
      GTEST_SKIP() << "cannot create network namespaces (container without CAP_SYS_ADMIN?)";
    }
    created_ = true;
    ASSERT_TRUE(Shell("ip link add " + veth_a_ + " netns " + ns_a_ + " type veth peer name " +
                      veth_b_ + " netns " + ns_b_));
    ASSERT_TRUE(Shell("ip -n " + ns_a_ + " addr add " + subnet_ + "1/30 dev " + veth_a_));
    ASSERT_TRUE(Shell("ip -n " + ns_b_ + " addr add " + subnet_ + "2/30 dev " + veth_b_));
    for (const auto& [ns, dev] : {std::pair{ns_a_, veth_a_}, std::pair{ns_b_, veth_b_}}) {
      ASSERT_TRUE(Shell("ip -n " + ns + " link set lo up"));
      ASSERT_TRUE(Shell("ip -n " + ns + " link set " + dev + " up"));
    }
  }

  void TearDown() override {
    emulator_.Stop(Millis(5000));
    if (created_) {
      Shell("ip netns del " + ns_a_);  // deleting a namespace removes its veth end
      Shell("ip netns del " + ns_b_);
    }
  }

  std::string ns_a_, ns_b_, veth_a_, veth_b_, subnet_;
  bool created_ = false;
  Process emulator_;
};

TEST_F(NetemNetnsTest, ForwardsAcrossVeth) {
  UdpSocket receiver;
  ASSERT_TRUE(BindInNamespace(ns_b_, subnet_ + "2", receiver));
  UdpSocket sender;
  ASSERT_TRUE(BindInNamespace(ns_a_, subnet_ + "1", sender));
  std::string error;
  const std::optional<uint16_t> port =
      StartEmulator(emulator_, kEmulator,
                    {"--listen", subnet_ + "1:0", "--forward",
                     subnet_ + "2:" + std::to_string(receiver.port()), "--quiet", "--delay", "1ms"},
                    &error, {"ip", "netns", "exec", ns_a_});
  ASSERT_TRUE(port.has_value()) << error;

  Collector collector(receiver.fd());
  constexpr uint64_t kCount = 1000;
  ASSERT_EQ(SendPaced(sender, MakeAddress(subnet_ + "1", *port), 0, kCount, 10'000, 1316, 4),
            kCount);
  EXPECT_TRUE(WaitFor([&] { return collector.count() >= kCount; }, Millis(5000)))
      << "received " << collector.count() << " of " << kCount;
  EXPECT_EQ(emulator_.Stop(Millis(5000)), 0);
}

}  // namespace
}  // namespace hitless::testing
