#include "actors/system_watch.hpp"

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/suspend_detector.hpp"

namespace tether::detail {

namespace {

/// How often the clocks are compared while nothing else happens.
constexpr int clock_sample_ms = 5000;

std::chrono::nanoseconds read_clock(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec};
}

int open_netlink() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0)
    return -1;
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Reads every pending netlink message; true if any was a link or address
/// change.
bool drain_netlink(int fd) {
  alignas(nlmsghdr) char buf[8192];
  bool changed = false;
  for (;;) {
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return changed;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n));
         h = NLMSG_NEXT(h, n)) {
      switch (h->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK:
        case RTM_NEWADDR:
        case RTM_DELADDR:
          changed = true;
          break;
        default:
          break;
      }
    }
  }
}

} // namespace

system_watch::system_watch(std::function<void(bool)> notify) : notify_(std::move(notify)) {
  netlink_fd_ = open_netlink();
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread{[this] { run(); }};
}

system_watch::~system_watch() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof(one));
  thread_.join();
  if (netlink_fd_ >= 0)
    ::close(netlink_fd_);
  ::close(stop_fd_);
}

void system_watch::run() {
  protocol::suspend_detector detector;
  detector.observe(read_clock(CLOCK_MONOTONIC), read_clock(CLOCK_BOOTTIME));
  for (;;) {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {netlink_fd_, POLLIN, 0}};
    auto ready = ::poll(fds, netlink_fd_ >= 0 ? 2 : 1, clock_sample_ms);
    if (ready < 0 && errno != EINTR)
      return;
    if (fds[0].revents != 0)
      return; // asked to stop
    if (netlink_fd_ >= 0 && (fds[1].revents & POLLIN) && drain_netlink(netlink_fd_))
      notify_(false);
    if (detector.observe(read_clock(CLOCK_MONOTONIC), read_clock(CLOCK_BOOTTIME)))
      notify_(true);
  }
}

} // namespace tether::detail
