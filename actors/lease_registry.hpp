#pragma once
// The profile registry's cluster reach (seed 003's registry seam; issue 15):
// a registry actor that holds one lease per running profile in a shared
// lease store (storage/lease_store.hpp), so that among nodes sharing the
// store each profile runs on one node at a time.
//
// The runtime asks it before it starts a profile (claim) and tells it after
// the profile's tree is down (release). While a profile runs, the registry
// renews its lease every rule.renew_every() and tells the runtime how long
// the lease is usable after each renewal; the profile's tree closes its
// socket when that moment passes unrenewed (protocol/lease_rule.hpp). A
// renewal that finds the lease taken by another node is a lost lease: the
// runtime stops the profile.
//
// Without a registry the runtime's own table is the registry: one
// connection per profile per process.

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>
#include <string>

#include <caf/actor_clock.hpp>
#include <caf/typed_actor.hpp>

#include "actors/transport.hpp"
#include "protocol/lease_rule.hpp"
#include "storage/lease_store.hpp"

namespace tether {

using claim_atom = caf::atom_constant<caf::atom("claim")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using lease_lost_atom = caf::atom_constant<caf::atom("lease_lost")>;
using holders_atom = caf::atom_constant<caf::atom("holders")>;
using survey_atom = caf::atom_constant<caf::atom("survey")>;
using depart_atom = caf::atom_constant<caf::atom("depart")>;

/// The cluster as the store sees it now (for spreading profiles over nodes).
struct cluster_survey {
  std::map<std::string, std::string> members; ///< live node -> its info
  std::vector<std::string> holders; ///< per profile asked: its holder's node, or empty
  uint64_t renewals = 0;      ///< renewals that reached the store, since the registry started
  uint64_t renew_failures = 0; ///< renewals that did not reach it (the lease's time ran on)
};

/// Who hears how long each claimed profile's lease is usable (after every
/// renewal), and of leases lost to another node (with that node's name).
using lease_listener_actor
  = caf::typed_actor<caf::reacts_to<lease_atom, std::string, caf::actor_clock::time_point>,
                     caf::reacts_to<lease_lost_atom, std::string, std::string>>;

using profile_registry_actor = caf::typed_actor<
  // Claims `profile` for this node and renews it until released; answers
  // the moment until which the first lease is usable. Refused with
  // runtime_errc::already_running (the context names the holder's node)
  // when another node holds it, or with the store's error.
  caf::replies_to<claim_atom, std::string, lease_listener_actor>::with<
    caf::actor_clock::time_point>,
  // Gives `profile`'s lease up (only if it is still this node's); answers
  // once the store has been told, so another node may claim it from then on.
  // Answers ok too when this node held nothing: releases are answered in
  // the order they came, so that answer also means every earlier release
  // is done.
  caf::replies_to<release_atom, std::string>::with<caf::ok_atom>,
  // The profiles this node holds, with their fences.
  caf::replies_to<holders_atom>::with<std::vector<std::pair<std::string, uint64_t>>>,
  // Announces this node as alive (with `info`, e.g. an address) for one
  // ttl, and answers the live members and who holds each of `profiles`.
  caf::replies_to<survey_atom, std::vector<std::string>, std::string>::with<cluster_survey>,
  // Leaves the members at once (a clean stop).
  caf::reacts_to<depart_atom>>;

struct lease_registry_config {
  lease_store_ptr store;
  std::string node; ///< this node's name, as other nodes will see it
  protocol::lease_rule rule;
  /// On a thread of its own (store calls block on the network). Off on the
  /// deterministic scheduler.
  bool detached = true;
};

/// Checks the config (store, node name, rule) and spawns the registry; an
/// error says what is wrong. The registry may serve several runtimes, so
/// it is the caller's to end (anon_send_exit), before the actor system
/// ends: a detached actor left running keeps the system from shutting down.
caf::expected<profile_registry_actor> spawn_lease_registry(caf::actor_system& sys,
                                                           lease_registry_config cfg);

} // namespace tether

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tether::cluster_survey)
