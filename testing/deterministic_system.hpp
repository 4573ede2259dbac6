#pragma once
// A CAF actor system on the deterministic test scheduler, driven from Catch2:
// nothing runs until the test says so, and time moves only when the test
// advances it. No real sleeps, no threads.
//
//   tether::testing::deterministic_system t;
//   auto sup = tether::sup::spawn_supervisor(t.sys(), {}, specs);
//   t.run();                                  // deliver everything queued
//   auto r = t.request<ok_atom>(sup, ready_atom::value);   // optional<expected>
//   t.advance(std::chrono::seconds{5});       // fire timers due in 5 s

#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/stateful_actor.hpp>

namespace tether::testing {

/// The actor class behind a handle: event_based_actor for caf::actor, the
/// typed base for typed handles.
template <class Handle>
struct actor_base {
  using type = typename Handle::base;
};

template <>
struct actor_base<caf::actor> {
  using type = caf::event_based_actor;
};

class deterministic_system {
public:
  deterministic_system();
  ~deterministic_system();

  deterministic_system(const deterministic_system&) = delete;
  deterministic_system& operator=(const deterministic_system&) = delete;

  caf::actor_system& sys() noexcept {
    return *sys_;
  }

  caf::scheduler::test_coordinator& sched() noexcept {
    return *sched_;
  }

  /// Runs queued work until nothing is left; fires no timer. Returns the
  /// number of processed jobs.
  size_t run();

  /// Like run(), but leaves `held`'s work queued: stands for an actor that
  /// is slow (a registry on its own thread waiting for a store), so a test
  /// can see what others do meanwhile. A later run() lets it go.
  template <class Handle>
  size_t run_all_but(const Handle& held) {
    auto ptr = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(held));
    return sched_->run_jobs_filtered([ptr](caf::resumable* job) { return job != ptr; });
  }

  /// Moves virtual time forward by `d`, firing every timer due on the way,
  /// and runs the work they cause. Returns the number of timers fired.
  size_t advance(caf::timespan d);

  /// Virtual now, as actors see it through their clock.
  caf::actor_clock::time_point now() const;

  /// Timers scheduled and not yet fired (delayed sends, request timeouts):
  /// lets a test check that work does not pile up timers.
  size_t pending_timers() const;

  /// Sends `xs...` as a request from a throwaway actor and runs the system.
  /// Returns the reply (a value or an error), or nothing while unanswered.
  template <class T, class Handle, class... Ts>
  std::optional<caf::expected<T>> request(const Handle& dest, Ts&&... xs) {
    auto out = request_async<T>(dest, std::forward<Ts>(xs)...);
    run();
    return *out;
  }

  /// Like `request`, but runs nothing: the slot fills in a later run().
  template <class T, class Handle, class... Ts>
  std::shared_ptr<std::optional<caf::expected<T>>>
  request_async(const Handle& dest, Ts&&... xs) {
    auto out = std::make_shared<std::optional<caf::expected<T>>>();
    sys_->spawn([out, dest, args = std::make_tuple(std::forward<Ts>(xs)...)](
                  caf::event_based_actor* self) mutable {
      std::apply(
        [&](auto&&... ys) {
          self->request(dest, caf::infinite, std::move(ys)...)
            .then([out](T& value) { *out = std::move(value); },
                  [out](caf::error& err) { *out = std::move(err); });
        },
        std::move(args));
    });
    return out;
  }

  /// Watches `whom` from a monitor actor; the slot receives its exit reason
  /// (`caf::none` for a normal exit) once it has terminated.
  template <class Handle>
  std::shared_ptr<std::optional<caf::error>> watch(const Handle& whom) {
    return watch_impl(caf::actor_cast<caf::actor>(whom));
  }

  /// Keeps `h` alive for the test and kills it at teardown. Actors that hold
  /// handles to each other (a connection and its transport) form a cycle
  /// that no reference count breaks: the test has to end them.
  template <class Handle>
  Handle own(Handle h) {
    owned_.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  /// The state of a stateful actor, for assertions on internals.
  template <class State, class Handle>
  State& state_of(const Handle& h) {
    using base = typename actor_base<Handle>::type;
    auto ptr = caf::actor_cast<caf::abstract_actor*>(h);
    return dynamic_cast<caf::stateful_actor<State, base>&>(*ptr).state;
  }

private:
  std::shared_ptr<std::optional<caf::error>> watch_impl(caf::actor whom);

  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_;
  std::vector<caf::actor> watchers_;
  std::vector<caf::actor> owned_;
};

} // namespace tether::testing
