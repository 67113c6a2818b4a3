#include "templates/template_values.hpp"

namespace deskgate {

TemplateValues& TemplateValues::set(std::string_view name, std::string value) {
    values_.insert_or_assign(std::string(name), std::move(value));
    return *this;
}

TemplateValues& TemplateValues::add(std::string_view list, TemplateValues item) {
    auto it = lists_.find(list);
    if (it == lists_.end()) it = lists_.emplace(std::string(list), std::vector<TemplateValues>{}).first;
    it->second.push_back(std::move(item));
    return *this;
}

const std::string* TemplateValues::get(std::string_view name) const {
    const auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
}

std::string formatToken(std::string_view token_format, std::uint64_t number) {
    std::string out(token_format);
    const std::size_t slot = out.find("{number}");
    if (slot != std::string::npos) out.replace(slot, 8, std::to_string(number));
    return out;
}

}  // namespace deskgate
