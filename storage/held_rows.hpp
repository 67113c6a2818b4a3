// Rows a store holds back in a transaction (database.hpp's DeferredRows) and writes together:
// on PostgreSQL one INSERT ... SELECT FROM unnest(arrays) per table, the arrays in PostgreSQL's
// array syntax as bound values (internal to storage/).
#pragma once

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
    void add(Row row) { rows_.push_back(std::move(row)); }
    const std::vector<Row>& rows() const { return rows_; }

    std::size_t pending() const override { return rows_.size(); }
    void write() override {
        if (rows_.empty()) return;
        write_all_(rows_);
        rows_.clear();
    }
    void dropFrom(std::size_t n) override {
        if (n < rows_.size()) rows_.resize(n);
    }

private:
    std::function<void(const std::vector<Row>&)> write_all_;
    std::vector<Row> rows_;
};

// PostgreSQL's array input syntax: each element in double quotes, backslash and quote escaped;
// an absent one as NULL.
inline void appendArrayElement(std::string& out, const std::string& item) {
    out += '"';
    for (char c : item) {
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    out += '"';
}

inline std::string textArray(const std::vector<std::string>& items) {
    std::string out = "{";
    for (const auto& item : items) {
        if (out.size() > 1) out += ',';
        appendArrayElement(out, item);
    }
    return out + "}";
}

inline std::string textArray(const std::vector<std::optional<std::string>>& items) {
    std::string out = "{";
    for (const auto& item : items) {
        if (out.size() > 1) out += ',';
        if (item)
            appendArrayElement(out, *item);
        else
            out += "NULL";
    }
    return out + "}";
}

// Integers, an absent one as NULL.
inline std::string integerArray(const std::vector<std::optional<long long>>& items) {
    std::string out = "{";
    for (const auto& item : items) {
        if (out.size() > 1) out += ',';
        out += item ? std::to_string(*item) : "NULL";
    }
    return out + "}";
}

}  // namespace deskgate
