#include <doctest/doctest.h>

#include "daemon/imap/fetch_plan.hpp"

using namespace deskgate;

namespace {
constexpr std::uint64_t MB = 1u << 20;
}

TEST_CASE("fetch plan: batches end at the count and at the byte budget, in UID order") {
    std::vector<SizedUid> mails = {{5, 10 * MB}, {1, 10 * MB}, {2, 10 * MB}, {3, 10 * MB}, {4, 1 * MB}, {6, 1}};
    auto plan = planBatches(mails, 50, 32 * MB, 50 * MB);
    REQUIRE(plan.size() == 2);
    CHECK(plan[0].fetch == std::vector<std::uint64_t>{1, 2, 3, 4});  // 31 MB; with the next 10 MB: 41
    CHECK(plan[0].last_uid == 4);
    CHECK(plan[1].fetch == std::vector<std::uint64_t>{5, 6});
    CHECK(plan[1].last_uid == 6);

    auto byCount = planBatches(mails, 2, 1000 * MB, 50 * MB);
    REQUIRE(byCount.size() == 3);
    CHECK(byCount[0].fetch == std::vector<std::uint64_t>{1, 2});
    CHECK(byCount[2].fetch == std::vector<std::uint64_t>{5, 6});
}

TEST_CASE("fetch plan: one mail above the budget is a batch of its own; above max_size it is header-only") {
    std::vector<SizedUid> mails = {{1, 1 * MB}, {2, 40 * MB}, {3, 1 * MB}, {4, 60 * MB}, {5, 1 * MB}};
    auto plan = planBatches(mails, 50, 32 * MB, 50 * MB);
    REQUIRE(plan.size() == 3);
    CHECK(plan[0].fetch == std::vector<std::uint64_t>{1});
    CHECK(plan[1].fetch == std::vector<std::uint64_t>{2});
    // The 60 MB mail costs nothing of the budget: it rides along with its neighbours.
    CHECK(plan[2].fetch == std::vector<std::uint64_t>{3, 5});
    REQUIRE(plan[2].oversized.size() == 1);
    CHECK(plan[2].oversized[0].uid == 4);
    CHECK(plan[2].oversized[0].size == 60 * MB);
    CHECK(plan[2].last_uid == 5);
}

TEST_CASE("fetch plan: nothing in, nothing out; a zero budget still moves one mail at a time") {
    CHECK(planBatches({}, 50, 32 * MB, 50 * MB).empty());
    auto plan = planBatches({{7, 100}, {8, 100}}, 50, 0, 50 * MB);
    REQUIRE(plan.size() == 2);
    CHECK(plan[0].fetch == std::vector<std::uint64_t>{7});
    CHECK(plan[1].fetch == std::vector<std::uint64_t>{8});
}
