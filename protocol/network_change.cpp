#include "protocol/network_change.hpp"

#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

namespace tether::protocol {

namespace {

bool usable(unsigned flags) {
  return (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0;
}

} // namespace

bool network_change_filter::read(const void* buffer, size_t length) {
  bool changed = false;
  auto remaining = static_cast<int>(length);
  for (auto* h = static_cast<const nlmsghdr*>(buffer);
       NLMSG_OK(h, static_cast<unsigned>(remaining)); h = NLMSG_NEXT(h, remaining)) {
    bool dump = (h->nlmsg_flags & NLM_F_MULTI) != 0;
    switch (h->nlmsg_type) {
      case RTM_NEWLINK:
      case RTM_DELLINK: {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg)))
          break;
        auto* info = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
        if (h->nlmsg_type == RTM_DELLINK) {
          changed = changed || (!dump && up_.erase(info->ifi_index) > 0);
          break;
        }
        bool now_up = usable(info->ifi_flags);
        auto known = up_.find(info->ifi_index);
        bool is_change = known == up_.end() ? now_up : known->second != now_up;
        up_[info->ifi_index] = now_up;
        changed = changed || (!dump && is_change);
        break;
      }
      case RTM_NEWADDR:
      case RTM_DELADDR:
        changed = changed || !dump;
        break;
      case RTM_NEWROUTE:
      case RTM_DELROUTE: {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg)))
          break;
        auto* route = static_cast<const rtmsg*>(NLMSG_DATA(h));
        // only a default route of the main table: others are the kernel's
        // bookkeeping (local, broadcast, per-address routes)
        bool default_route = route->rtm_dst_len == 0 && route->rtm_table == RT_TABLE_MAIN;
        changed = changed || (!dump && default_route);
        break;
      }
      default:
        break;
    }
  }
  return changed;
}

} // namespace tether::protocol
