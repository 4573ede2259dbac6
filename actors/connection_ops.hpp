#pragma once
// Internal: the connection's operations, split by concern over
// connection.cpp (the socket's life, joins, inbound frames) and
// connection_push.cpp (ack-on-send, the outbox, the senders).

#include "actors/connection_state.hpp"

namespace tether::detail {

using self_ptr = connection_pointer;

template <class Event>
void emit(self_ptr self, Event ev) {
  if (self->state.links.consumer) // untyped: the embedder's actor of any kind
    caf::anon_send(self->state.links.consumer, event{std::move(ev)});
}

// -- connection_push.cpp ------------------------------------------------------

/// Accepts a push from the application (ack-on-send).
caf::result<std::string> accept_push(self_ptr self, std::string& topic, std::string& event,
                                     std::string& payload, caf::timespan timeout,
                                     const std::string& key = {});

/// Sends the queued pushes of `topic`, in order, now that it is joined.
void flush_outbox(self_ptr self, const std::string& topic);

/// The sender supervisor attached: start senders that pushes wait for.
void on_sender_sup(self_ptr self);

/// A monitored sender ended.
void on_sender_down(self_ptr self, const caf::down_msg& dm);

/// Resolves every push whose deadline has passed.
/// Makes sure a sweep comes by the ack table's earliest deadline.
void arm_sweep(self_ptr self);
void sweep_acks(self_ptr self);

/// Resolves one push: delivers its outcome to the waiting caller.
void resolve(connection_state& st, const protocol::resolved_push& r);

} // namespace tether::detail
