#include "server/metrics/registry.h"

#include <atomic>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace oauthd::metrics {
namespace {

// Label values are joined with a byte that never appears in them (they come
// from fixed sets of printable names) to make one map key.
constexpr char kSeparator = '\x1f';

std::string KeyOf(absl::Span<const absl::string_view> values) {
  // Not absl::StrJoin: it memcpy()s from data() even for an empty value, and
  // a default-constructed string_view (an RPC with no grant type) has a null
  // data() (UBSan: null pointer passed to memcpy).
  std::string key;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) key.push_back(kSeparator);
    if (!values[i].empty()) key.append(values[i].data(), values[i].size());
  }
  return key;
}

std::vector<std::string> ValuesOf(const std::string& key, size_t count) {
  if (count == 0) return {};
  return absl::StrSplit(key, kSeparator);
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%.9g", v);
}

// `{a="x",b="y"` without the closing brace (the caller may add `le`), or ""
// when there are no labels.
std::string LabelsOpen(const std::vector<std::string>& names,
                       const std::vector<std::string>& values) {
  if (names.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    absl::StrAppend(&out, names[i], "=\"",
                    EscapeLabelValue(i < values.size() ? values[i] : ""), "\"");
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names,
                   const std::vector<std::string>& values) {
  std::string open = LabelsOpen(names, values);
  return open.empty() ? open : open + "}";
}

void Header(std::string& out, absl::string_view name, absl::string_view help,
            absl::string_view type) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void RenderHistogram(std::string& out, absl::string_view name,
                     const std::vector<std::string>& names,
                     const std::vector<std::string>& values, const HistogramSnapshot& h) {
  const std::string open = LabelsOpen(names, values);
  const std::string bucket_prefix =
      absl::StrCat(name, "_bucket", open.empty() ? "{" : open + ",", "le=\"");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += h.buckets[i];
    absl::StrAppend(&out, bucket_prefix, kLatencyBuckets[i], "\"} ", cumulative, "\n");
  }
  const std::string labels = Labels(names, values);
  absl::StrAppend(&out, bucket_prefix, "+Inf\"} ", h.count, "\n", name, "_sum", labels, " ",
                  FormatValue(h.sum_seconds), "\n", name, "_count", labels, " ", h.count, "\n");
}

}  // namespace

size_t ThisThreadShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void CounterFamily::Add(absl::Span<const absl::string_view> label_values, uint64_t n) {
  if (label_values.size() != labels_.size()) return;
  std::string key = KeyOf(label_values);
  Shard& shard = shards_[ThisThreadShard()];
  absl::MutexLock lock(&shard.mu);
  shard.values[std::move(key)] += n;
}

void CounterFamily::Render(std::string& out) const {
  std::map<std::string, uint64_t> merged;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [key, value] : shard.values) merged[key] += value;
  }
  Header(out, name_, help_, "counter");
  for (const auto& [key, value] : merged) {
    absl::StrAppend(&out, name_, Labels(labels_, ValuesOf(key, labels_.size())), " ", value,
                    "\n");
  }
}

void HistogramFamily::Observe(absl::Span<const absl::string_view> label_values,
                              absl::Duration latency) {
  if (label_values.size() != labels_.size()) return;
  const double seconds = absl::ToDoubleSeconds(latency);
  const size_t bucket = LatencyBucketIndex(seconds);
  std::string key = KeyOf(label_values);
  Shard& shard = shards_[ThisThreadShard()];
  absl::MutexLock lock(&shard.mu);
  HistogramSnapshot& h = shard.values[std::move(key)];
  ++h.buckets[bucket];
  ++h.count;
  h.sum_seconds += seconds;
}

void HistogramFamily::Render(std::string& out) const {
  std::map<std::string, HistogramSnapshot> merged;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [key, value] : shard.values) merged[key].Add(value);
  }
  Header(out, name_, help_, "histogram");
  for (const auto& [key, h] : merged) {
    RenderHistogram(out, name_, labels_, ValuesOf(key, labels_.size()), h);
  }
}

CounterFamily& Registry::AddCounter(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  counters_.push_back(std::unique_ptr<CounterFamily>(
      new CounterFamily(std::move(name), std::move(help), std::move(label_names))));
  order_.push_back(Entry{.counter = counters_.back().get()});
  return *counters_.back();
}

HistogramFamily& Registry::AddHistogram(std::string name, std::string help,
                                        std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  histograms_.push_back(std::unique_ptr<HistogramFamily>(
      new HistogramFamily(std::move(name), std::move(help), std::move(label_names))));
  order_.push_back(Entry{.histogram = histograms_.back().get()});
  return *histograms_.back();
}

void Registry::AddCallback(std::string name, std::string help, MetricType type,
                           std::vector<std::string> label_names,
                           std::function<std::vector<Sample>()> read) {
  absl::MutexLock lock(&mu_);
  callbacks_.push_back(std::make_unique<Callback>(Callback{
      std::move(name), std::move(help), type, std::move(label_names), std::move(read)}));
  order_.push_back(Entry{.callback = callbacks_.back().get()});
}

void Registry::AddCallback(std::string name, std::string help, MetricType type,
                           std::function<double()> read) {
  AddCallback(std::move(name), std::move(help), type, {},
              [read = std::move(read)] { return std::vector<Sample>{Sample{{}, read()}}; });
}

void Registry::AddHistogramView(std::string name, std::string help,
                                const AtomicHistogram* histogram) {
  absl::MutexLock lock(&mu_);
  views_.push_back(std::make_unique<View>(View{std::move(name), std::move(help), histogram}));
  order_.push_back(Entry{.view = views_.back().get()});
}

std::string Registry::Render() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const Entry& e : order_) {
    if (e.counter != nullptr) {
      e.counter->Render(out);
    } else if (e.histogram != nullptr) {
      e.histogram->Render(out);
    } else if (e.view != nullptr) {
      Header(out, e.view->name, e.view->help, "histogram");
      RenderHistogram(out, e.view->name, {}, {}, e.view->histogram->Snapshot());
    } else {
      const Callback& c = *e.callback;
      Header(out, c.name, c.help, c.type == MetricType::kCounter ? "counter" : "gauge");
      for (const Sample& s : c.read()) {
        absl::StrAppend(&out, c.name, Labels(c.labels, s.label_values), " ",
                        FormatValue(s.value), "\n");
      }
    }
  }
  return out;
}

}  // namespace oauthd::metrics
