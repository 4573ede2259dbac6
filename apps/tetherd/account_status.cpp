#include "apps/tetherd/account_status.hpp"

#include <chrono>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace tether::daemon {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// JSON the server sent (already checked by the decoder) goes in as is.
void raw(writer& w, const char* key, const std::string& json) {
  w.Key(key);
  if (json.empty())
    w.Null();
  else
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

/// "list": every presence, in phoenix.js's listing order, as an array of
/// {"key", "presence"} (an object's key order is lost to many parsers).
void write_presence_list(writer& w,
                         const std::vector<std::pair<std::string, protocol::presence>>& list) {
  w.Key("list");
  w.StartArray();
  for (auto& [key, p] : list) {
    w.StartObject();
    str(w, "key", key);
    raw(w, "presence", p.to_json());
    w.EndObject();
  }
  w.EndArray();
}

int64_t millis(caf::timespan d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

struct event_writer {
  writer& w;
  void operator()(const connected& e) {
    w.Key("socket");
    w.Uint64(e.socket);
    w.Key("compressed");
    w.Bool(e.compressed);
  }
  void operator()(const topic_joined& e) {
    str(w, "topic", e.topic);
    raw(w, "response", e.response);
  }
  void operator()(const join_failed& e) {
    str(w, "topic", e.topic);
    raw(w, "response", e.response);
  }
  void operator()(const message_received& e) {
    str(w, "topic", e.topic);
    str(w, "event", e.event);
    raw(w, "payload", e.payload);
  }
  void operator()(const channel_errored& e) {
    str(w, "topic", e.topic);
  }
  void operator()(const channel_closed& e) {
    str(w, "topic", e.topic);
  }
  void operator()(const topic_left& e) {
    str(w, "topic", e.topic);
  }
  void operator()(const disconnected& e) {
    str(w, "cause", e.cause);
    if (!e.detail.empty())
      str(w, "detail", e.detail);
    if (e.http_status > 0) {
      w.Key("http_status");
      w.Int(e.http_status);
    }
  }
  void operator()(const reconnect_scheduled& e) {
    w.Key("attempt");
    w.Uint(e.attempt);
    w.Key("delay_ms");
    w.Int64(millis(e.delay));
    str(w, "cause", e.cause);
    w.Key("outage_ms");
    w.Int64(millis(e.outage));
  }
  void operator()(const reconnect_abandoned& e) {
    w.Key("outage_ms");
    w.Int64(millis(e.outage));
  }
  void operator()(const peer_dead&) {
  }
  void operator()(const peer_status& e) {
    raw(w, "response", e.response);
  }
  void operator()(const heartbeat_answered& e) {
    w.Key("rtt_us");
    w.Int64(std::chrono::duration_cast<std::chrono::microseconds>(e.rtt).count());
  }
  void operator()(const stopped& e) {
    str(w, "reason", e.reason);
  }
  void operator()(const storage_failed& e) {
    str(w, "detail", e.detail);
  }
  void operator()(const supervisor_reported& e) {
    str(w, "supervisor", e.supervisor);
    str(w, "context", e.context);
    str(w, "child", e.child);
    str(w, "reason", e.reason);
  }
  void operator()(const frame_dropped& e) {
    str(w, "reason", e.reason);
    str(w, "detail", e.detail);
    w.Key("count");
    w.Uint64(e.count);
  }
  void operator()(const presence_synced& e) {
    str(w, "topic", e.topic);
    w.Key("joins");
    w.StartArray();
    for (auto& j : e.joins) {
      w.StartObject();
      str(w, "key", j.key);
      if (j.before)
        raw(w, "before", j.before->to_json());
      else {
        w.Key("before");
        w.Null();
      }
      raw(w, "joined", j.joined.to_json());
      w.EndObject();
    }
    w.EndArray();
    w.Key("leaves");
    w.StartArray();
    for (auto& l : e.leaves) {
      w.StartObject();
      str(w, "key", l.key);
      raw(w, "remaining", l.remaining.to_json());
      raw(w, "left", l.left.to_json());
      w.EndObject();
    }
    w.EndArray();
    write_presence_list(w, e.list);
  }
};

} // namespace

const char* to_string(account_state s) {
  switch (s) {
    case account_state::connecting:
      return "connecting";
    case account_state::connected:
      return "connected";
    case account_state::joined:
      return "joined";
    case account_state::reconnecting:
      return "reconnecting";
    case account_state::disconnected:
      return "disconnected";
    case account_state::abandoned:
      return "abandoned";
    case account_state::stopped:
      return "stopped";
    case account_state::offline:
      return "offline";
    case account_state::elsewhere:
      return "elsewhere";
  }
  return "unknown";
}

account_status starting_status(bool offline,
                               const std::map<std::string, std::string>& topics) {
  account_status s;
  s.offline = offline;
  if (offline)
    s.state = account_state::offline;
  for (auto& [topic, params] : topics)
    s.topics[topic] = "joining"; // until the tree says otherwise
  return s;
}

void close_topics(account_status& s) {
  for (auto& [topic, state] : s.topics)
    state = "closed";
}

void fold_event(account_status& s, const tree_event& e,
                std::chrono::steady_clock::time_point now) {
  struct folder {
    account_status& s;
    std::chrono::steady_clock::time_point now;
    void operator()(const connected& e) {
      s.state = account_state::connected;
      s.connected_since = now;
      s.socket = e.socket;
      s.compressed = e.compressed;
      s.attempt = 0;
      s.delay_ms = 0;
    }
    void operator()(const topic_joined& e) {
      s.topics[e.topic] = "joined";
      if (s.state != account_state::offline) // the sandbox joins with no socket
        s.state = account_state::joined;
    }
    void operator()(const join_failed& e) {
      s.topics[e.topic] = "failed";
    }
    void operator()(const message_received&) {
    }
    void operator()(const channel_errored& e) {
      s.topics[e.topic] = "errored";
    }
    void operator()(const channel_closed& e) {
      s.topics.erase(e.topic);
    }
    void operator()(const topic_left& e) {
      s.topics.erase(e.topic);
    }
    void operator()(const disconnected& e) {
      s.state = account_state::disconnected;
      s.socket = 0;
      s.connected_since.reset();
      s.last_cause = e.cause;
      for (auto& [topic, state] : s.topics)
        state = "joining"; // rejoined on the next socket
    }
    void operator()(const reconnect_scheduled& e) {
      s.state = account_state::reconnecting;
      s.attempt = e.attempt;
      s.delay_ms = millis(e.delay);
      ++s.reconnects;
    }
    void operator()(const reconnect_abandoned&) {
      s.state = account_state::abandoned;
    }
    void operator()(const peer_dead&) {
    }
    void operator()(const peer_status&) {
    }
    void operator()(const heartbeat_answered& e) {
      s.rtt_us = std::chrono::duration_cast<std::chrono::microseconds>(e.rtt).count();
    }
    void operator()(const stopped& e) {
      s.state = account_state::stopped;
      s.socket = 0;
      s.connected_since.reset();
      s.last_cause = e.reason;
      close_topics(s);
    }
    void operator()(const storage_failed&) {
    }
    void operator()(const frame_dropped& e) {
      s.frames_dropped += e.count;
    }
    void operator()(const supervisor_reported& e) {
      if (e.context == "child_terminated")
        ++s.child_terminations;
    }
    void operator()(const presence_synced&) {
      // the list lives in the connection: GET .../presence/TOPIC asks it
    }
  };
  std::visit(folder{s, now}, e);
}

std::string presence_json(const std::string& topic,
                          const std::vector<std::pair<std::string, protocol::presence>>& list) {
  rapidjson::StringBuffer buf;
  writer w{buf};
  w.StartObject();
  str(w, "topic", topic);
  write_presence_list(w, list);
  w.EndObject();
  return buf.GetString();
}

std::string to_json(const std::string& name, const std::string& node,
                    const account_status& s, std::chrono::steady_clock::time_point now) {
  rapidjson::StringBuffer buf;
  writer w{buf};
  w.StartObject();
  str(w, "name", name);
  w.Key("node"); // empty: no node holds it (cluster mode, before a claim)
  if (auto& holder = s.state == account_state::elsewhere ? s.holder : node; !holder.empty())
    w.String(holder.data(), static_cast<rapidjson::SizeType>(holder.size()));
  else
    w.Null();
  w.Key("state");
  w.String(to_string(s.state));
  w.Key("uptime_ms"); // how long the current socket has been open
  if (s.connected_since)
    w.Int64(std::chrono::duration_cast<std::chrono::milliseconds>(now - *s.connected_since)
              .count());
  else
    w.Null();
  w.Key("offline");
  w.Bool(s.offline);
  w.Key("socket");
  w.Uint64(s.socket);
  w.Key("compressed");
  w.Bool(s.compressed);
  w.Key("attempt");
  w.Uint(s.attempt);
  w.Key("delay_ms");
  w.Int64(s.delay_ms);
  w.Key("reconnects");
  w.Uint64(s.reconnects);
  w.Key("heartbeat_rtt_ms");
  if (s.rtt_us)
    w.Double(static_cast<double>(*s.rtt_us) / 1000.0);
  else
    w.Null();
  str(w, "last_cause", s.last_cause);
  w.Key("frames_dropped");
  w.Uint64(s.frames_dropped);
  w.Key("child_terminations");
  w.Uint64(s.child_terminations);
  w.Key("topics");
  w.StartObject();
  for (auto& [topic, state] : s.topics) {
    w.Key(topic.data(), static_cast<rapidjson::SizeType>(topic.size()));
    w.String(state.data(), static_cast<rapidjson::SizeType>(state.size()));
  }
  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string event_json(const std::string& account, const tree_event& e) {
  rapidjson::StringBuffer buf;
  writer w{buf};
  w.StartObject();
  str(w, "account", account);
  w.Key("type"); // the event's name from the one table (actors/events.hpp)
  auto type = event_name(e);
  w.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
  std::visit(event_writer{w}, e);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

} // namespace tether::daemon
