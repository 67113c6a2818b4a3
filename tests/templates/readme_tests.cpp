// The README's templates section documents every template name and variable of the catalog.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "templates/template_catalog.hpp"

using namespace deskgate;

TEST_CASE("README documents every template and every variable") {
    std::ifstream in(std::string(DESKGATE_SOURCE_DIR) + "/README.md");
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string readme = buffer.str();
    const auto begin = readme.find("<!-- templates:begin -->");
    const auto end = readme.find("<!-- templates:end -->");
    REQUIRE(begin != std::string::npos);
    REQUIRE(end != std::string::npos);
    const std::string section = readme.substr(begin, end - begin);

    const auto documented = [&](std::string_view name) {
        // Either the full dotted name, or a list item's short name next to its list.
        const std::string quoted = "`" + std::string(name) + "`";
        if (section.find(quoted) != std::string::npos) return true;
        const auto dot = name.rfind('.');
        return dot != std::string_view::npos && section.find("`" + std::string(name.substr(dot + 1)) + "`") != std::string::npos &&
               section.find("`" + std::string(name.substr(0, dot)) + "`") != std::string::npos;
    };
    for (const TemplateVariable& v : commonTemplateVariables()) {
        CAPTURE(v.name);
        CHECK(documented(v.name));
    }
    for (const TemplateInfo& info : templateCatalog()) {
        CAPTURE(info.name);
        CHECK(documented(info.name));
        for (const TemplateVariable& v : info.variables) {
            CAPTURE(v.name);
            CHECK(documented(v.name));
        }
    }
}
