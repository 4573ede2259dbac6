// Codec throughput: tether's Phoenix V2 JSON codec against nlohmann-json
// doing the same work on the same frames (decode: the five fields with the
// payload as text; encode: the five-element array). Prints frames/s of each
// and their ratio, measured in one run.

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "protocol/phoenix_json.hpp"

using namespace tether::protocol;

namespace {

// Frames of the Phoenix transcript, as a client receives them.
const std::vector<std::string> inbound = {
  R"(["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}])",
  R"(["1","3","room:lobby","phx_reply",{"response":{"hello":"world","n":1},"status":"ok"}])",
  R"([null,"6","phoenix","phx_reply",{"response":{},"status":"ok"}])",
  R"([null,null,"room:lobby","bcast",{"msg":"hi","items":[1,2,3],"nested":{"a":true,"b":null}}])",
  R"(["2","2","room:reject","phx_reply",{"response":{"reason":"unauthorized"},"status":"error"}])",
};

void tether_decode(benchmark::State& state) {
  phoenix_json_codec codec;
  size_t i = 0;
  for (auto _ : state) {
    auto f = codec.decode_text(inbound[i++ % inbound.size()]);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void nlohmann_decode(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    auto j = nlohmann::json::parse(inbound[i++ % inbound.size()]);
    frame f;
    if (!j[0].is_null())
      f.join_ref = j[0].get<std::string>();
    if (!j[1].is_null())
      f.ref = j[1].get<std::string>();
    f.topic = j[2].get<std::string>();
    f.event = j[3].get<std::string>();
    f.payload = j[4].dump();
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

const frame outbound{std::string{"1"}, std::string{"42"}, "room:lobby", "echo",
                     R"({"hello":"world","n":1,"items":[1,2,3]})",
                     payload_format::json, {}};

void tether_encode(benchmark::State& state) {
  phoenix_json_codec codec;
  for (auto _ : state) {
    auto bytes = codec.encode(outbound);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void nlohmann_encode(benchmark::State& state) {
  // nlohmann cannot splice raw JSON: the payload is held as a parsed value,
  // as an application using it would.
  auto payload = nlohmann::json::parse(outbound.payload);
  for (auto _ : state) {
    nlohmann::json j = nlohmann::json::array(
      {*outbound.join_ref, *outbound.ref, outbound.topic, outbound.event, payload});
    auto bytes = j.dump();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK(tether_decode);
BENCHMARK(nlohmann_decode);
BENCHMARK(tether_encode);
BENCHMARK(nlohmann_encode);

/// Console output plus a closing table of ratios.
class ratio_reporter : public benchmark::ConsoleReporter {
public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (auto& run : runs) {
      auto it = run.counters.find("items_per_second");
      if (it != run.counters.end())
        rates_[run.benchmark_name()] = it->second.value;
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n| operation | tether frames/s | nlohmann frames/s | ratio |\n"
                "|---|---|---|---|\n");
    for (auto op : {"decode", "encode"}) {
      auto ours = rates_[std::string{"tether_"} + op];
      auto theirs = rates_[std::string{"nlohmann_"} + op];
      std::printf("| %s | %.0f | %.0f | %.1fx |\n", op, ours, theirs,
                  theirs > 0 ? ours / theirs : 0.0);
    }
    // "key value" lines for bench/run
    for (auto& [name, rate] : rates_)
      std::printf("codec.%s.rate %.3f\n", name.c_str(), rate);
  }

private:
  std::map<std::string, double> rates_;
};

} // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  ratio_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
