#include "parsers/html_to_text.hpp"

#include <gumbo.h>

#include <cstring>
#include <vector>

namespace deskgate {
namespace {

bool isBlock(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
        case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_UL: case GUMBO_TAG_OL:
        case GUMBO_TAG_LI: case GUMBO_TAG_TABLE: case GUMBO_TAG_TR: case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_PRE: case GUMBO_TAG_HR: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_SECTION:
        case GUMBO_TAG_ARTICLE: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_DL:
        case GUMBO_TAG_DT: case GUMBO_TAG_DD: case GUMBO_TAG_CENTER: case GUMBO_TAG_FORM:
        case GUMBO_TAG_TBODY: case GUMBO_TAG_THEAD: case GUMBO_TAG_TFOOT:
            return true;
        default:
            return false;
    }
}

const char* attr(const GumboElement& el, const char* name) {
    const GumboAttribute* a = gumbo_get_attribute(&el.attributes, name);
    return a ? a->value : nullptr;
}

bool contains(const char* hay, const char* needle) { return hay && std::strstr(hay, needle); }

// Reply containers of the common clients: what follows is the quoted history.
bool isQuoteContainer(const GumboElement& el) {
    const char* cls = attr(el, "class");
    const char* id = attr(el, "id");
    if (el.tag == GUMBO_TAG_BLOCKQUOTE) {
        const char* type = attr(el, "type");
        if (type && std::strcmp(type, "cite") == 0) return true;  // Apple Mail, Thunderbird
        if (contains(cls, "gmail_quote")) return true;
    }
    if (el.tag == GUMBO_TAG_DIV) {
        if (contains(cls, "gmail_quote") || contains(cls, "yahoo_quoted") || contains(cls, "moz-cite-prefix") ||
            contains(cls, "OutlookMessageHeader") || contains(cls, "gmail_attr"))
            return true;
        if (id && (std::strcmp(id, "divRplyFwdMsg") == 0 || std::strcmp(id, "appendonsend") == 0 ||
                   std::strstr(id, "yahoo_quoted") || std::strcmp(id, "mail-editor-reference-message-container") == 0))
            return true;
    }
    return false;
}

class Writer {
public:
    std::string out;
    void text(std::string_view s, bool pre) {
        for (char c : s) {
            bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
            if (pre) {
                if (c == '\r') continue;
                put(c);
                continue;
            }
            if (space) {
                pending_space_ = !out.empty() && out.back() != '\n';
                continue;
            }
            if (pending_space_) {
                out.push_back(' ');
                pending_space_ = false;
            }
            out.push_back(c);
        }
    }
    void put(char c) {
        if (pending_space_ && c != '\n') out.push_back(' ');
        pending_space_ = false;
        out.push_back(c);
    }
    void newline() {
        pending_space_ = false;
        while (!out.empty() && out.back() == ' ') out.pop_back();
        if (!out.empty() && out.back() != '\n') out.push_back('\n');
    }
    void blankLine() {
        newline();
        if (out.size() >= 2 && out[out.size() - 2] != '\n') out.push_back('\n');
    }
    void softSpace() { pending_space_ = !out.empty() && out.back() != '\n'; }

private:
    bool pending_space_ = false;
};

}  // namespace

HtmlText htmlToText(std::string_view html) {
    GumboOptions options = kGumboDefaultOptions;
    options.max_errors = 0;  // parse errors are irrelevant to us; collecting them costs time
    GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
    HtmlText result;
    Writer w;

    // Iterative walk: a hostile mail can nest elements deeply enough to overflow the stack.
    struct Frame {
        const GumboNode* node;
        std::size_t next_child;
        bool pre;
        std::size_t link_start;  // output offset where a link's text starts
    };
    std::vector<Frame> stack;
    stack.push_back({output->root, 0, false, 0});
    while (!stack.empty()) {
        Frame& f = stack.back();
        const GumboNode* node = f.node;
        if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE || node->type == GUMBO_NODE_CDATA) {
            w.text(node->v.text.text, f.pre);
            stack.pop_back();
            continue;
        }
        if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT && node->type != GUMBO_NODE_TEMPLATE) {
            stack.pop_back();
            continue;
        }
        const GumboVector& children =
            node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children : node->v.element.children;
        if (node->type != GUMBO_NODE_DOCUMENT && f.next_child == 0) {
            // Entering an element.
            const GumboElement& el = node->v.element;
            GumboTag tag = el.tag;
            if (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_HEAD || tag == GUMBO_TAG_TITLE ||
                tag == GUMBO_TAG_NOSCRIPT || tag == GUMBO_TAG_TEMPLATE) {
                stack.pop_back();
                continue;
            }
            if (result.quote_start == std::string::npos && isQuoteContainer(el)) {
                w.newline();
                result.quote_start = w.out.size();
            }
            if (tag == GUMBO_TAG_BR) w.put('\n');
            else if (tag == GUMBO_TAG_P || tag == GUMBO_TAG_H1 || tag == GUMBO_TAG_H2 || tag == GUMBO_TAG_H3 ||
                     tag == GUMBO_TAG_TABLE || tag == GUMBO_TAG_BLOCKQUOTE)
                w.blankLine();
            else if (tag == GUMBO_TAG_LI) {
                w.newline();
                w.text("- ", true);
            } else if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) {
                if (!w.out.empty() && w.out.back() != '\n') w.text(" | ", true);
            } else if (tag == GUMBO_TAG_HR) {
                w.newline();
                w.text("----", true);
                w.newline();
            } else if (tag == GUMBO_TAG_IMG) {
                if (const char* alt = attr(el, "alt"); alt && *alt) {
                    w.softSpace();
                    w.text(alt, false);
                }
            } else if (isBlock(tag)) w.newline();
            f.pre = f.pre || tag == GUMBO_TAG_PRE || tag == GUMBO_TAG_TEXTAREA;
            f.link_start = w.out.size();
        }
        if (f.next_child < children.length) {
            const auto* child = static_cast<const GumboNode*>(children.data[f.next_child++]);
            bool pre = f.pre;
            stack.push_back({child, 0, pre, 0});
            continue;
        }
        // Leaving the element.
        if (node->type == GUMBO_NODE_ELEMENT) {
            const GumboElement& el = node->v.element;
            if (el.tag == GUMBO_TAG_A) {
                const char* href = attr(el, "href");
                if (href && (std::strncmp(href, "http", 4) == 0 || std::strncmp(href, "mailto:", 7) == 0 ||
                             std::strncmp(href, "ftp", 3) == 0)) {
                    std::string_view label(w.out.c_str() + f.link_start, w.out.size() - f.link_start);
                    while (!label.empty() && label.front() == ' ') label.remove_prefix(1);
                    std::string_view target(href);
                    std::string_view bare = target.starts_with("mailto:") ? target.substr(7) : target;
                    if (label != target && label != bare) {
                        w.text(" <", true);
                        w.text(target, true);
                        w.text(">", true);
                    }
                }
            } else if (el.tag == GUMBO_TAG_P || el.tag == GUMBO_TAG_TABLE || el.tag == GUMBO_TAG_BLOCKQUOTE ||
                       el.tag == GUMBO_TAG_H1 || el.tag == GUMBO_TAG_H2 || el.tag == GUMBO_TAG_H3) {
                w.blankLine();
            } else if (isBlock(el.tag)) {
                w.newline();
            }
        }
        stack.pop_back();
    }
    gumbo_destroy_output(&options, output);

    // Tidy: no trailing spaces on lines, at most one blank line in a row, trimmed ends.
    std::string& raw = w.out;
    std::string text;
    text.reserve(raw.size());
    std::size_t newlines = 0;
    std::size_t mapped_quote = std::string::npos;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (i == result.quote_start) mapped_quote = text.size();
        char c = raw[i];
        if (c == '\n') {
            while (!text.empty() && text.back() == ' ') text.pop_back();
            if (++newlines > 2 || text.empty()) continue;
        } else {
            newlines = 0;
            // "\xC2\xA0" (NBSP) is how HTML mail spaces; keep it as a plain space.
            if (c == '\xC2' && i + 1 < raw.size() && raw[i + 1] == '\xA0') {
                text.push_back(' ');
                ++i;
                continue;
            }
        }
        text.push_back(c);
    }
    if (result.quote_start != std::string::npos && mapped_quote == std::string::npos) mapped_quote = text.size();
    // Second pass: lines that hold only spaces (from &nbsp;) count as blank; one blank line at most.
    {
        std::string clean;
        clean.reserve(text.size());
        std::size_t pos = 0, blank_run = 0, new_quote = std::string::npos;
        while (pos <= text.size()) {
            std::size_t eol = text.find('\n', pos);
            if (eol == std::string::npos) eol = text.size();
            if (mapped_quote != std::string::npos && new_quote == std::string::npos && mapped_quote <= eol)
                new_quote = clean.size();
            std::string_view line(text.data() + pos, eol - pos);
            while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
            bool blank = line.find_first_not_of(' ') == std::string_view::npos;
            if (blank) {
                if (++blank_run == 1 && !clean.empty()) clean.push_back('\n');
            } else {
                blank_run = 0;
                clean.append(line);
                clean.push_back('\n');
            }
            if (eol == text.size()) break;
            pos = eol + 1;
        }
        if (mapped_quote != std::string::npos) mapped_quote = new_quote == std::string::npos ? clean.size() : new_quote;
        text = std::move(clean);
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (mapped_quote != std::string::npos && mapped_quote > text.size()) mapped_quote = text.size();
    result.text = std::move(text);
    result.quote_start = mapped_quote;
    return result;
}

}  // namespace deskgate
