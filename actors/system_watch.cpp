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

#include "protocol/network_change.hpp"
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
  addr.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR
                   | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  // Ask for every link's state now: the answer (a dump) seeds the filter,
  // so that later messages are judged against what was there.
  struct {
    nlmsghdr header;
    rtgenmsg body;
  } request{};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtgenmsg));
  request.header.nlmsg_type = RTM_GETLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.body.rtgen_family = AF_UNSPEC;
  [[maybe_unused]] auto sent = ::send(fd, &request, request.header.nlmsg_len, 0);
  return fd;
}

/// Reads every pending netlink message; true if any was a real network
/// change (protocol/network_change.hpp says which are).
bool drain_netlink(int fd, protocol::network_change_filter& filter) {
  alignas(nlmsghdr) char buf[8192];
  bool changed = false;
  for (;;) {
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return changed;
    changed = filter.read(buf, static_cast<size_t>(n)) || changed;
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
  protocol::network_change_filter network;
  detector.observe(read_clock(CLOCK_MONOTONIC), read_clock(CLOCK_BOOTTIME));
  for (;;) {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {netlink_fd_, POLLIN, 0}};
    auto ready = ::poll(fds, netlink_fd_ >= 0 ? 2 : 1, clock_sample_ms);
    if (ready < 0 && errno != EINTR)
      return;
    if (fds[0].revents != 0)
      return; // asked to stop
    if (netlink_fd_ >= 0 && (fds[1].revents & POLLIN) && drain_netlink(netlink_fd_, network))
      notify_(false);
    if (detector.observe(read_clock(CLOCK_MONOTONIC), read_clock(CLOCK_BOOTTIME)))
      notify_(true);
  }
}

} // namespace tether::detail
