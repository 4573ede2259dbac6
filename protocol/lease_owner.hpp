#pragma once
// Who a lease names as its holder. A node's name alone is not enough: a
// node killed and restarted at once, or a second process configured with
// the same name, would find the leases of the first under its own name and
// take them for its own, and two processes would then run one profile. So
// the store records the holder as NODE@INSTANCE, INSTANCE being random per
// registry; users are shown the node's name, except when the holder is
// another instance of this very node name, which is then shown whole.

#include <cstdint>
#include <string>
#include <string_view>

namespace tether::protocol {

/// The holder value a registry of `node`, instance `instance`, writes.
std::string lease_owner(std::string_view node, uint64_t instance);

/// The node name part of an owner value ("n1@5f3a…" → "n1"; a value with
/// no instance, as older tether wrote, is the node name).
std::string_view owner_node(std::string_view owner);

/// How a holder is shown to a node whose own owner value is `self`: the
/// node name, or the whole value when it is another instance of our name.
std::string shown_holder(std::string_view owner, std::string_view self);

} // namespace tether::protocol
