// How the mail of one UID window is cut into batches (issue 12): by count and by bytes, from the
// sizes the server gave (RFC822.SIZE) before any body is fetched. Pure, so it is unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace deskgate {

struct SizedUid {
    std::uint64_t uid = 0;
    std::uint64_t size = 0;
};

struct FetchBatch {
    std::vector<std::uint64_t> fetch;      // bodies to fetch, ascending
    std::vector<SizedUid> oversized;       // above max_size: quarantined from the header alone
    std::uint64_t last_uid = 0;            // the highest UID of the batch: the checkpoint after it
};

// Consecutive batches in UID order. A batch holds at most `max_count` mails and at most
// `max_bytes` of bodies, but always at least one mail (a single mail larger than max_bytes, up to
// max_size, is a batch of its own). Mail above `max_size` is fetched by header only, so it costs
// no bytes of the budget.
std::vector<FetchBatch> planBatches(const std::vector<SizedUid>& mails, std::size_t max_count, std::uint64_t max_bytes,
                                    std::uint64_t max_size);

}  // namespace deskgate
