#include "daemon/metrics/metrics_registry.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace deskgate {

namespace {

std::string escape(std::string_view s, bool quote) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (quote && c == '"')
            out += "\\\"";
        else
            out += c;
    }
    return out;
}

// Prometheus writes floats in Go's notation: +Inf, -Inf, NaN; integers without a fraction.
std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
    return fmt::format("{}", v);
}

const char* typeName(MetricType t) {
    switch (t) {
        case MetricType::counter: return "counter";
        case MetricType::gauge: return "gauge";
        case MetricType::histogram: return "histogram";
    }
    return "untyped";
}

// `{a="b"}` plus one more label (le for histogram buckets).
std::string withLabel(const std::string& labels, const std::string& extra) {
    if (labels.empty()) return "{" + extra + "}";
    return labels.substr(0, labels.size() - 1) + "," + extra + "}";
}

}  // namespace

std::string renderLabels(const MetricLabels& labels) {
    if (labels.empty()) return "";
    std::string out = "{";
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i) out += ',';
        out += labels[i].first + "=\"" + escape(labels[i].second, true) + "\"";
    }
    return out + "}";
}

void MetricsRegistry::describe(const std::string& name, MetricType type, std::string help, std::vector<double> buckets) {
    std::lock_guard lock(mutex_);
    auto& f = families_[name];
    f.type = type;
    f.help = std::move(help);
    f.buckets = std::move(buckets);
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name) {
    auto it = families_.find(name);
    // A metric that was never described is a programming error, not an input error.
    if (it == families_.end()) throw std::logic_error("metric not described: " + name);
    return it->second;
}

void MetricsRegistry::add(const std::string& name, const MetricLabels& labels, double by) {
    std::lock_guard lock(mutex_);
    family(name).series[renderLabels(labels)].value += by;
}

void MetricsRegistry::set(const std::string& name, const MetricLabels& labels, double value) {
    std::lock_guard lock(mutex_);
    family(name).series[renderLabels(labels)].value = value;
}

void MetricsRegistry::observe(const std::string& name, const MetricLabels& labels, double value) {
    std::lock_guard lock(mutex_);
    auto& f = family(name);
    auto& s = f.series[renderLabels(labels)];
    if (s.bucket_counts.size() != f.buckets.size()) s.bucket_counts.assign(f.buckets.size(), 0);
    for (std::size_t i = 0; i < f.buckets.size(); ++i)
        if (value <= f.buckets[i]) {
            ++s.bucket_counts[i];
            break;
        }
    s.sum += value;
    ++s.count;
}

void MetricsRegistry::clear(const std::string& name) {
    std::lock_guard lock(mutex_);
    family(name).series.clear();
}

void MetricsRegistry::addCollector(std::function<void(MetricsRegistry&)> collector) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collector));
}

double MetricsRegistry::value(const std::string& name, const MetricLabels& labels) const {
    std::lock_guard lock(mutex_);
    auto f = families_.find(name);
    if (f == families_.end()) return 0;
    auto s = f->second.series.find(renderLabels(labels));
    return s == f->second.series.end() ? 0 : s->second.value;
}

std::string MetricsRegistry::exposition() {
    std::vector<std::function<void(MetricsRegistry&)>> collectors;
    {
        std::lock_guard lock(mutex_);
        collectors = collectors_;
    }
    for (const auto& c : collectors) c(*this);  // they take the lock themselves

    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        out += "# HELP " + name + " " + escape(f.help, false) + "\n";
        out += "# TYPE " + name + " " + typeName(f.type) + "\n";
        for (const auto& [labels, s] : f.series) {
            if (f.type != MetricType::histogram) {
                out += name + labels + " " + number(s.value) + "\n";
                continue;
            }
            unsigned long long cumulative = 0;
            for (std::size_t i = 0; i < f.buckets.size(); ++i) {
                cumulative += i < s.bucket_counts.size() ? s.bucket_counts[i] : 0;
                out += name + "_bucket" + withLabel(labels, "le=\"" + number(f.buckets[i]) + "\"") + " " +
                       std::to_string(cumulative) + "\n";
            }
            out += name + "_bucket" + withLabel(labels, "le=\"+Inf\"") + " " + std::to_string(s.count) + "\n";
            out += name + "_sum" + labels + " " + number(s.sum) + "\n";
            out += name + "_count" + labels + " " + std::to_string(s.count) + "\n";
        }
    }
    return out;
}

}  // namespace deskgate
