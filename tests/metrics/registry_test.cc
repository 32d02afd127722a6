// The Prometheus registry shared by oauthd and the gateway: exposition
// format, sharded counters under concurrent use, callbacks, histograms.

#include "server/metrics/registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace oauthd::metrics {
namespace {

TEST(RegistryTest, RendersCountersWithLabelsSortedAndEscaped) {
  Registry r;
  CounterFamily& c = r.AddCounter("x_total", "Things.", {"a", "b"});
  c.Increment({"2", "q\"uote\\back\nline"});
  c.Increment({"1", "plain"});
  c.Increment({"1", "plain"});
  c.Increment({"only-one-value"});  // wrong arity: ignored
  EXPECT_EQ(r.Render(),
            "# HELP x_total Things.\n"
            "# TYPE x_total counter\n"
            "x_total{a=\"1\",b=\"plain\"} 2\n"
            "x_total{a=\"2\",b=\"q\\\"uote\\\\back\\nline\"} 1\n");
}

// A label value may be an empty, default-constructed string_view (null
// data): oauthd's RPC counter gets one for calls without a grant type. The
// sanitizer build (UBSan) failed on it in the label key.
TEST(RegistryTest, EmptyDefaultConstructedLabelValuesCount) {
  Registry r;
  CounterFamily& c = r.AddCounter("rpcs_total", "RPCs.", {"method", "grant_type"});
  c.Increment({"Check", absl::string_view()});
  c.Increment({absl::string_view(), absl::string_view()});
  c.Increment({"Check", ""});
  EXPECT_EQ(r.Render(),
            "# HELP rpcs_total RPCs.\n"
            "# TYPE rpcs_total counter\n"
            "rpcs_total{method=\"\",grant_type=\"\"} 1\n"
            "rpcs_total{method=\"Check\",grant_type=\"\"} 2\n");
}

TEST(RegistryTest, CountersFromManyThreadsAddUp) {
  Registry r;
  CounterFamily& c = r.AddCounter("hits_total", "Hits.", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.Increment({i % 2 ? "odd" : "even"});
    });
  }
  // Render concurrently with the writers: must not crash or tear.
  for (int i = 0; i < 20; ++i) (void)r.Render();
  for (auto& t : threads) t.join();
  const std::string text = r.Render();
  EXPECT_NE(text.find("hits_total{k=\"even\"} 40000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hits_total{k=\"odd\"} 40000\n"), std::string::npos) << text;
}

TEST(RegistryTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  HistogramFamily& h = r.AddHistogram("d_seconds", "Durations.", {"m"});
  h.Observe({"x"}, absl::Microseconds(50));  // under the first bound, 0.0001
  h.Observe({"x"}, absl::Milliseconds(3));
  h.Observe({"x"}, absl::Seconds(30));  // beyond the last bound: +Inf only
  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE d_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{m=\"x\",le=\"0.0001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{m=\"x\",le=\"0.0025\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{m=\"x\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{m=\"x\",le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{m=\"x\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_sum{m=\"x\"} 30.00305\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_count{m=\"x\"} 3\n"), std::string::npos);
}

TEST(RegistryTest, CallbacksAndViewsAreReadAtRenderTime) {
  Registry r;
  double value = 1;
  r.AddCallback("g", "A gauge.", MetricType::kGauge, [&] { return value; });
  r.AddCallback("c_total", "A counter.", MetricType::kCounter, {"kind"},
                [] { return std::vector<Sample>{{{"io"}, 3}, {{"reply"}, 0.5}}; });
  AtomicHistogram h;
  h.Observe(absl::Milliseconds(1));
  r.AddHistogramView("v_seconds", "A view.", &h);
  value = 7;
  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE g gauge\ng 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("c_total{kind=\"io\"} 3\nc_total{kind=\"reply\"} 0.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("v_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("v_seconds_count 1\n"), std::string::npos);
}

}  // namespace
}  // namespace oauthd::metrics
