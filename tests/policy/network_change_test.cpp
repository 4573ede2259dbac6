// The netlink messages a network change is judged by, as the kernel sends
// them (header + ifinfomsg / ifaddrmsg / rtmsg).

#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "protocol/network_change.hpp"

using namespace tether::protocol;

namespace {

template <class Body>
std::vector<char> message(uint16_t type, const Body& body, uint16_t flags = 0) {
  std::vector<char> out(NLMSG_SPACE(sizeof(Body)), '\0');
  auto* h = reinterpret_cast<nlmsghdr*>(out.data());
  h->nlmsg_len = NLMSG_LENGTH(sizeof(Body));
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
  std::memcpy(NLMSG_DATA(h), &body, sizeof(Body));
  return out;
}

std::vector<char> link(uint16_t type, int index, unsigned flags, uint16_t nl_flags = 0) {
  ifinfomsg info{};
  info.ifi_index = index;
  info.ifi_flags = flags;
  return message(type, info, nl_flags);
}

std::vector<char> route(uint16_t type, unsigned char dst_len,
                        unsigned char table = RT_TABLE_MAIN) {
  rtmsg r{};
  r.rtm_dst_len = dst_len;
  r.rtm_table = table;
  return message(type, r);
}

bool read(network_change_filter& f, const std::vector<char>& bytes) {
  return f.read(bytes.data(), bytes.size());
}

constexpr unsigned up = IFF_UP | IFF_RUNNING;

} // namespace

TEST_CASE("a link message that changes nothing traffic depends on is no network "
          "change (promiscuous mode on lo)",
          "[protocol]") {
  network_change_filter f;
  CHECK_FALSE(read(f, link(RTM_NEWLINK, 1, up | IFF_LOOPBACK, NLM_F_MULTI))); // the dump
  CHECK(f.links() == 1);
  CHECK_FALSE(read(f, link(RTM_NEWLINK, 1, up | IFF_LOOPBACK | IFF_PROMISC)));
  CHECK_FALSE(read(f, link(RTM_NEWLINK, 1, up | IFF_LOOPBACK)));
}

TEST_CASE("a link going down or up, appearing up or going away is a network change",
          "[protocol]") {
  network_change_filter f;
  read(f, link(RTM_NEWLINK, 2, up, NLM_F_MULTI));
  CHECK(read(f, link(RTM_NEWLINK, 2, IFF_UP))); // carrier lost
  CHECK(read(f, link(RTM_NEWLINK, 2, up)));     // and back
  CHECK(read(f, link(RTM_NEWLINK, 3, up)));     // a new link, up
  CHECK_FALSE(read(f, link(RTM_NEWLINK, 4, 0))); // a new link, down: nothing to use yet
  CHECK(read(f, link(RTM_DELLINK, 3, 0)));
}

TEST_CASE("an address added or removed and a default route added or removed are "
          "network changes, other routes are not",
          "[protocol]") {
  network_change_filter f;
  ifaddrmsg addr{};
  CHECK(read(f, message(RTM_NEWADDR, addr)));
  CHECK(read(f, message(RTM_DELADDR, addr)));
  CHECK(read(f, route(RTM_NEWROUTE, 0)));
  CHECK(read(f, route(RTM_DELROUTE, 0)));
  CHECK_FALSE(read(f, route(RTM_NEWROUTE, 24)));             // a subnet route
  CHECK_FALSE(read(f, route(RTM_NEWROUTE, 0, RT_TABLE_LOCAL))); // kernel bookkeeping
}
