// The metrics registry: exposition text as Prometheus reads it, and exact counts when several
// threads count at once (the outbox worker counts on its own thread).
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "daemon/metrics/metrics_registry.hpp"

using namespace deskgate;

TEST_CASE("metrics: HELP and TYPE lines, labels escaped, families in name order") {
    MetricsRegistry m;
    m.describe("deskgate_b_total", MetricType::counter, "Second\nline \\ kept");
    m.describe("deskgate_a", MetricType::gauge, "A gauge");
    m.add("deskgate_b_total", {{"mailbox", "sup\"port"}, {"outcome", "new\\ticket\n"}}, 2);
    m.add("deskgate_b_total", {{"mailbox", "sup\"port"}, {"outcome", "new\\ticket\n"}});
    m.set("deskgate_a", {}, 0.25);
    const std::string text = m.exposition();
    CHECK(text ==
          "# HELP deskgate_a A gauge\n"
          "# TYPE deskgate_a gauge\n"
          "deskgate_a 0.25\n"
          "# HELP deskgate_b_total Second\\nline \\\\ kept\n"
          "# TYPE deskgate_b_total counter\n"
          "deskgate_b_total{mailbox=\"sup\\\"port\",outcome=\"new\\\\ticket\\n\"} 3\n");
    CHECK(m.value("deskgate_b_total", {{"mailbox", "sup\"port"}, {"outcome", "new\\ticket\n"}}) == 3);
    CHECK(m.value("deskgate_b_total", {{"mailbox", "other"}}) == 0);
}

TEST_CASE("metrics: a histogram renders cumulative buckets, +Inf, sum and count") {
    MetricsRegistry m;
    m.describe("deskgate_x_seconds", MetricType::histogram, "X", {0.1, 1});
    for (double v : {0.05, 0.1, 0.5, 3.0}) m.observe("deskgate_x_seconds", {{"k", "v"}}, v);
    const std::string text = m.exposition();
    CHECK(text.find("deskgate_x_seconds_bucket{k=\"v\",le=\"0.1\"} 2\n") != std::string::npos);
    CHECK(text.find("deskgate_x_seconds_bucket{k=\"v\",le=\"1\"} 3\n") != std::string::npos);
    CHECK(text.find("deskgate_x_seconds_bucket{k=\"v\",le=\"+Inf\"} 4\n") != std::string::npos);
    CHECK(text.find("deskgate_x_seconds_sum{k=\"v\"} 3.65\n") != std::string::npos);
    CHECK(text.find("deskgate_x_seconds_count{k=\"v\"} 4\n") != std::string::npos);
}

TEST_CASE("metrics: collectors run at every scrape; clear() drops what a collector no longer sets") {
    MetricsRegistry m;
    m.describe("deskgate_rule_hits_total", MetricType::counter, "hits");
    int scrapes = 0;
    m.addCollector([&](MetricsRegistry& r) {
        ++scrapes;
        r.clear("deskgate_rule_hits_total");
        r.set("deskgate_rule_hits_total", {{"rule", scrapes == 1 ? "old" : "new"}}, scrapes);
    });
    CHECK(m.exposition().find("{rule=\"old\"} 1") != std::string::npos);
    const std::string second = m.exposition();
    CHECK(second.find("old") == std::string::npos);
    CHECK(second.find("{rule=\"new\"} 2") != std::string::npos);
}

TEST_CASE("metrics: counting from several threads at once loses nothing") {
    MetricsRegistry m;
    m.describe("deskgate_sends_total", MetricType::counter, "sends");
    m.describe("deskgate_send_seconds", MetricType::histogram, "t", {0.5});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&m, t] {
            for (int i = 0; i < 20000; ++i) {
                m.add("deskgate_sends_total", {{"kind", t % 2 ? "ack" : "reply"}});
                m.observe("deskgate_send_seconds", {}, 0.1);
                if (i % 5000 == 0) (void)m.exposition();  // a scrape in the middle
            }
        });
    for (auto& th : threads) th.join();
    CHECK(m.value("deskgate_sends_total", {{"kind", "ack"}}) == 40000);
    CHECK(m.value("deskgate_sends_total", {{"kind", "reply"}}) == 40000);
    CHECK(m.exposition().find("deskgate_send_seconds_count 80000\n") != std::string::npos);
}

TEST_CASE("metrics: a metric that was never described is a programming error") {
    MetricsRegistry m;
    CHECK_THROWS_AS(m.add("deskgate_nope_total"), std::logic_error);
}
