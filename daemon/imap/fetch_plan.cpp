#include "daemon/imap/fetch_plan.hpp"

#include <algorithm>

namespace deskgate {

std::vector<FetchBatch> planBatches(const std::vector<SizedUid>& mails, std::size_t max_count, std::uint64_t max_bytes,
                                    std::uint64_t max_size) {
    std::vector<SizedUid> sorted(mails);
    std::sort(sorted.begin(), sorted.end(), [](const SizedUid& a, const SizedUid& b) { return a.uid < b.uid; });
    max_count = std::max<std::size_t>(max_count, 1);
    std::vector<FetchBatch> out;
    FetchBatch current;
    std::uint64_t bytes = 0;
    auto count = [&] { return current.fetch.size() + current.oversized.size(); };
    auto close = [&] {
        if (count() == 0) return;
        out.push_back(std::move(current));
        current = FetchBatch{};
        bytes = 0;
    };
    for (const auto& m : sorted) {
        const bool big = m.size > max_size;
        const std::uint64_t cost = big ? 0 : m.size;
        if (count() >= max_count || (count() > 0 && cost > 0 && bytes + cost > max_bytes)) close();
        if (big)
            current.oversized.push_back(m);
        else
            current.fetch.push_back(m.uid);
        bytes += cost;
        current.last_uid = m.uid;
    }
    close();
    return out;
}

}  // namespace deskgate
