// The daemon's metrics: counters, gauges and histograms by name and labels, rendered in the
// Prometheus text exposition format (version 0.0.4). Thread-safe: the Asio loop, the outbox
// worker's thread and the scrape all use one registry, guarded by one mutex (updates are a map
// lookup and an add; a scrape copies nothing but the text it writes).
//
//   MetricsRegistry m;
//   m.describe("deskgate_mails_taken_in_total", MetricType::counter, "Mails taken in");
//   m.add("deskgate_mails_taken_in_total", {{"mailbox", "support"}, {"outcome", "new_ticket"}});
//   std::string text = m.exposition();
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deskgate {

enum class MetricType { counter, gauge, histogram };

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
public:
    // Declares a metric family; `buckets` (upper bounds, ascending) only for histograms.
    void describe(const std::string& name, MetricType type, std::string help, std::vector<double> buckets = {});

    void add(const std::string& name, const MetricLabels& labels = {}, double by = 1);   // counter
    void set(const std::string& name, const MetricLabels& labels, double value);         // gauge (or a counter read elsewhere)
    void observe(const std::string& name, const MetricLabels& labels, double value);     // histogram
    // Drops every series of the family (for values a collector recomputes from scratch).
    void clear(const std::string& name);

    // Called at every scrape, before rendering, on the scraping thread: sets values that are
    // read rather than counted (queue depth from the database, rule hits).
    void addCollector(std::function<void(MetricsRegistry&)> collector);

    // Runs the collectors, then renders every family with its HELP and TYPE lines.
    std::string exposition();

    // For tests and `deskgate status`: the value of one counter or gauge series (0 when absent).
    double value(const std::string& name, const MetricLabels& labels = {}) const;

private:
    struct Series {
        double value = 0;
        std::vector<unsigned long long> bucket_counts;  // per bucket, not cumulative
        double sum = 0;
        unsigned long long count = 0;
    };
    struct Family {
        MetricType type = MetricType::counter;
        std::string help;
        std::vector<double> buckets;
        std::map<std::string, Series> series;  // rendered label set ("{a=\"b\"}") -> values
    };
    Family& family(const std::string& name);

    mutable std::mutex mutex_;
    std::map<std::string, Family> families_;
    std::vector<std::function<void(MetricsRegistry&)>> collectors_;
};

// Label values escaped as the exposition format wants (\\, \", \n).
std::string renderLabels(const MetricLabels& labels);

}  // namespace deskgate
