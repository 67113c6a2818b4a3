// Rows a store holds back in a transaction (database.hpp's DeferredRows) and writes together:
// on PostgreSQL one INSERT ... SELECT FROM unnest(arrays) per table, each column an array in
// PostgreSQL's syntax as a bound value (arrayOf) (internal to storage/).
#pragma once

#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/database.hpp"

namespace deskgate {

template <typename Row>
class HeldRows : public DeferredRows {
public:
    explicit HeldRows(std::function<void(const std::vector<Row>&)> write_all) : write_all_(std::move(write_all)) {}
    // Rows only remembered for the transaction (what it made, for the store's reads), written
    // nowhere: dropped where written ones would be written.
    HeldRows() = default;
    void add(Row row) { rows_.push_back(std::move(row)); }
    const std::vector<Row>& rows() const { return rows_; }

    std::size_t pending() const override { return rows_.size(); }
    void write() override {
        if (rows_.empty()) return;
        if (write_all_) write_all_(rows_);
        rows_.clear();
    }
    void dropFrom(std::size_t n) override {
        if (n < rows_.size()) rows_.resize(n);
    }

private:
    std::function<void(const std::vector<Row>&)> write_all_;
    std::vector<Row> rows_;
};

// PostgreSQL's array input syntax: a text in double quotes, backslash and quote escaped; an
// integer as it is; an absent value as NULL.
inline void appendArrayElement(std::string& out, const std::string& item) {
    out += '"';
    for (char c : item) {
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    out += '"';
}

template <std::integral I>
void appendArrayElement(std::string& out, I item) {
    out += std::to_string(item);
}

template <typename T>
void appendArrayElement(std::string& out, const std::optional<T>& item) {
    if (item)
        appendArrayElement(out, *item);
    else
        out += "NULL";
}

// One column of `rows` as an array literal, a bound value for CAST(:x AS TEXT[]) / BIGINT[]
// taken apart by unnest: `field(row)` for each row, in order.
template <typename Rows, typename Field>
std::string arrayOf(const Rows& rows, Field field) {
    std::string out = "{";
    for (const auto& row : rows) {
        if (out.size() > 1) out += ',';
        appendArrayElement(out, field(row));
    }
    return out + "}";
}

}  // namespace deskgate
