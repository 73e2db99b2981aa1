// Netns (netns.h): `ip` commands, logged to a file.
#include "netem-scenarios/runner/netns.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hitless::scenario {
namespace {

std::string FindIp() {
  for (const char* c : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(c, X_OK) == 0) return c;
  }
  return "";
}

}  // namespace

bool Netns::Available() {
  if (::geteuid() != 0) return false;
  const std::string ip = FindIp();
  return !ip.empty() && std::system((ip + " netns list >/dev/null 2>&1").c_str()) == 0;
}

bool Netns::Ip(const std::string& args) {
  const std::string command = absl::StrCat(ip_, " ", args, " >>", log_, " 2>&1");
  return std::system(command.c_str()) == 0;
}

std::vector<std::string> Netns::Exec(const std::string& ns) const {
  return {ip_, "netns", "exec", ns};
}

std::string Netns::CallerFacing(size_t link) { return absl::StrFormat("10.77.%d.2", 2 * link); }

std::string Netns::Callee(size_t link) { return absl::StrFormat("10.77.%d.2", 2 * link + 1); }

bool Netns::CallerIsFrom(const netem::RouteScenario& route, size_t link) {
  const netem::RouteHost* from = route.Host(route.links[link].from);
  return from != nullptr && from->role == netem::HostRole::kSender;
}

absl::Status Netns::Create(const netem::RouteScenario& route, int tag,
                           const std::string& log_path) {
  ip_ = FindIp();
  log_ = log_path;
  prefix_ = absl::StrFormat("hl%d-", tag);
  if (route.links.size() > 64) return absl::InvalidArgumentError("at most 64 links in netns mode");
  const auto fail = [&](const std::string& what) {
    Destroy();
    return absl::InternalError(
        absl::StrCat("network namespaces: ", what, " failed (see ", log_, ")"));
  };
  std::vector<std::string> wanted;
  for (const netem::RouteHost& h : route.hosts) wanted.push_back(HostNs(h.name));
  for (size_t i = 0; i < route.links.size(); ++i) wanted.push_back(LinkNs(i));
  for (const std::string& ns : wanted) {
    if (!Ip("netns add " + ns)) return fail("ip netns add " + ns);
    namespaces_.push_back(ns);
    if (!Ip("-n " + ns + " link set lo up")) return fail("lo up in " + ns);
  }
  const int short_tag = tag % 100000;
  for (size_t i = 0; i < route.links.size(); ++i) {
    const netem::RouteLink& l = route.links[i];
    const bool from_calls = CallerIsFrom(route, i);
    const std::string caller = HostNs(from_calls ? l.from : l.to);
    const std::string callee = HostNs(from_calls ? l.to : l.from);
    const std::string mid = LinkNs(i);
    const std::string a = absl::StrFormat("a%dx%d", short_tag, i),
                      b = absl::StrFormat("b%dx%d", short_tag, i);
    const std::string c = absl::StrFormat("c%dx%d", short_tag, i),
                      d = absl::StrFormat("d%dx%d", short_tag, i);
    const std::string net_a = absl::StrFormat("10.77.%d", 2 * i),
                      net_c = absl::StrFormat("10.77.%d", 2 * i + 1);
    if (!Ip(absl::StrCat("link add ", a, " netns ", caller, " type veth peer name ", b, " netns ",
                         mid)) ||
        !Ip(absl::StrCat("link add ", c, " netns ", mid, " type veth peer name ", d, " netns ",
                         callee)) ||
        !Ip(absl::StrCat("-n ", caller, " addr add ", net_a, ".1/30 dev ", a)) ||
        !Ip(absl::StrCat("-n ", mid, " addr add ", net_a, ".2/30 dev ", b)) ||
        !Ip(absl::StrCat("-n ", mid, " addr add ", net_c, ".1/30 dev ", c)) ||
        !Ip(absl::StrCat("-n ", callee, " addr add ", net_c, ".2/30 dev ", d)) ||
        !Ip(absl::StrCat("-n ", caller, " link set ", a, " up")) ||
        !Ip(absl::StrCat("-n ", mid, " link set ", b, " up")) ||
        !Ip(absl::StrCat("-n ", mid, " link set ", c, " up")) ||
        !Ip(absl::StrCat("-n ", callee, " link set ", d, " up"))) {
      return fail(absl::StrCat("veths of link ", i + 1));
    }
  }
  return absl::OkStatus();
}

void Netns::Destroy() {
  for (const std::string& ns : namespaces_) Ip("netns del " + ns);  // its veths go with it
  namespaces_.clear();
}

}  // namespace hitless::scenario
