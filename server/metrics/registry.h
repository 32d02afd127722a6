#ifndef OAUTHD_SERVER_METRICS_REGISTRY_H_
#define OAUTHD_SERVER_METRICS_REGISTRY_H_

// Prometheus metrics shared by oauthd and oauth-gateway, rendered in the
// text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Debian 12 packages no C++ Prometheus client (prometheus-cpp is not in it),
// so this is our own, small on purpose:
// - CounterFamily / HistogramFamily: labelled series recorded on hot paths.
//   Each family is split into kShards shards, each with its own mutex and
//   map; a thread always records into the same shard (chosen once per
//   thread), so requests on different threads never share a lock or a
//   cache line. Only Render takes every shard's lock, briefly, in turn.
// - Callbacks: values a component already keeps (atomic counters, pool
//   sizes, ages), read at scrape time; nothing is recorded on the hot path.
// - Histogram views: an AtomicHistogram (histogram.h) owned elsewhere.
//
// Label values must come from small fixed sets chosen by the caller (method
// names, grant types, error codes), never from request input, so the number
// of series stays bounded.
//
// Thread safety: registration (Add*) happens before serving; recording and
// Render may run concurrently from any thread. A Registry must outlive the
// families it returns and every thread that records into them.

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/metrics/histogram.h"

namespace oauthd::metrics {

inline constexpr size_t kShards = 16;

// Index of the shard the calling thread records into (stable per thread).
size_t ThisThreadShard();

// A counter with labels. Values in the same order as the family's label
// names; a wrong count of values is a programming error (the call is
// ignored).
class CounterFamily {
 public:
  void Add(absl::Span<const absl::string_view> label_values, uint64_t n = 1);
  void Increment(std::initializer_list<absl::string_view> label_values) {
    Add(absl::MakeConstSpan(label_values.begin(), label_values.size()), 1);
  }

 private:
  friend class Registry;
  CounterFamily(std::string name, std::string help, std::vector<std::string> labels)
      : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {}
  void Render(std::string& out) const;

  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, uint64_t> values ABSL_GUARDED_BY(mu);
  };
  const std::string name_, help_;
  const std::vector<std::string> labels_;
  std::array<Shard, kShards> shards_;
};

// A latency histogram with labels (buckets: kLatencyBuckets).
class HistogramFamily {
 public:
  void Observe(absl::Span<const absl::string_view> label_values, absl::Duration latency);
  void Observe(std::initializer_list<absl::string_view> label_values, absl::Duration latency) {
    Observe(absl::MakeConstSpan(label_values.begin(), label_values.size()), latency);
  }

 private:
  friend class Registry;
  HistogramFamily(std::string name, std::string help, std::vector<std::string> labels)
      : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {}
  void Render(std::string& out) const;

  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, HistogramSnapshot> values ABSL_GUARDED_BY(mu);
  };
  const std::string name_, help_;
  const std::vector<std::string> labels_;
  std::array<Shard, kShards> shards_;
};

// One sample a callback reports: label values (in the order of the
// callback's label names) and the value.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0;
};

enum class MetricType { kCounter, kGauge };

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Names follow Prometheus conventions (counters end in _total, durations
  // are in seconds). The returned reference lives as long as the Registry.
  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names = {});
  // `read` is called at every scrape, on the scraping thread; it must be
  // thread-safe and must not call back into the Registry.
  void AddCallback(std::string name, std::string help, MetricType type,
                   std::vector<std::string> label_names,
                   std::function<std::vector<Sample>()> read);
  // A single unlabelled value read at scrape time.
  void AddCallback(std::string name, std::string help, MetricType type,
                   std::function<double()> read);
  // A histogram owned elsewhere (it must outlive the Registry's scrapes).
  void AddHistogramView(std::string name, std::string help, const AtomicHistogram* histogram);

  // Every metric in registration order, exposition format 0.0.4.
  std::string Render() const;

 private:
  struct Callback {
    std::string name, help;
    MetricType type;
    std::vector<std::string> labels;
    std::function<std::vector<Sample>()> read;
  };
  struct View {
    std::string name, help;
    const AtomicHistogram* histogram;
  };
  // Exactly one of the pointers is set.
  struct Entry {
    CounterFamily* counter = nullptr;
    HistogramFamily* histogram = nullptr;
    const Callback* callback = nullptr;
    const View* view = nullptr;
  };

  mutable absl::Mutex mu_;  // registration vs. Render; never on a hot path
  std::vector<std::unique_ptr<CounterFamily>> counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<HistogramFamily>> histograms_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Callback>> callbacks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<View>> views_ ABSL_GUARDED_BY(mu_);
  std::vector<Entry> order_ ABSL_GUARDED_BY(mu_);
};

// Escapes a label value for the exposition format (backslash, double quote,
// newline).
std::string EscapeLabelValue(absl::string_view value);

// The HTTP Content-Type of Render's output.
inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace oauthd::metrics

#endif  // OAUTHD_SERVER_METRICS_REGISTRY_H_
