#include "protocol/lease_owner.hpp"


namespace tether::protocol {

std::string lease_owner(std::string_view node, uint64_t instance) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out{node};
  out += '@';
  for (int shift = 60; shift >= 0; shift -= 4)
    out += digits[(instance >> shift) & 0xf];
  return out;
}

std::string_view owner_node(std::string_view owner) {
  return owner.substr(0, owner.find('@'));
}

std::string shown_holder(std::string_view owner, std::string_view self) {
  if (owner != self && owner_node(owner) == owner_node(self))
    return std::string{owner};
  return std::string{owner_node(owner)};
}

} // namespace tether::protocol
