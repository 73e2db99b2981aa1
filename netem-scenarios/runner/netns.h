// Netns: the network a route runs in when hitless-scenario is root. Each
// host gets its own network namespace, and each link a namespace of its own
// in the middle where the link's hitless-netem runs:
//
//   [caller host] a--b [link i: hitless-netem] c--d [callee host]
//     10.77.(2i).1/30 - .2        10.77.(2i+1).1/30 - .2
//
// The caller of link i is the link's `from` when that is the sender, else
// its `to` (receivers and downstream relays call the relay before them).
// The netem listens on the caller-facing address .2 and forwards to the
// callee's address on its own subnet. Every namespace (and so every veth)
// is deleted by Destroy() and by the destructor.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "netem-scenarios/model/route.h"

namespace hitless::scenario {

class Netns {
 public:
  Netns() = default;
  ~Netns() { Destroy(); }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  // Root, `ip` found, and `ip netns` works here.
  static bool Available();
  // Namespaces, veth pairs and addresses for `route` (at most 64 links);
  // names carry `tag` (the runner's PID) so parallel runs do not collide.
  // On error what was made is removed.
  absl::Status Create(const netem::RouteScenario& route, int tag, const std::string& log_path);
  void Destroy();
  bool active() const { return !namespaces_.empty(); }

  std::string HostNs(const std::string& host) const { return prefix_ + host; }
  std::string LinkNs(size_t link) const { return prefix_ + "link" + std::to_string(link + 1); }
  // `ip netns exec NS` as an argv prefix.
  std::vector<std::string> Exec(const std::string& ns) const;
  static std::string CallerFacing(size_t link);  // where the caller dials
  static std::string Callee(size_t link);        // the callee's own address
  static bool CallerIsFrom(const netem::RouteScenario& route, size_t link);
  const std::vector<std::string>& namespaces() const { return namespaces_; }

 private:
  bool Ip(const std::string& args);
  std::string ip_;
  std::string prefix_;
  std::string log_;
  std::vector<std::string> namespaces_;
};

}  // namespace hitless::scenario
