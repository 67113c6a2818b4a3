// HTML mail → readable plain text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace deskgate {

struct HtmlText {
    std::string text;
    // Offset in `text` where the first quote container of a reply starts (Gmail's
    // div.gmail_quote, Apple Mail/Thunderbird blockquote type=cite, Outlook's divRplyFwdMsg /
    // OutlookMessageHeader, Yahoo's yahoo_quoted); npos if there is none.
    std::size_t quote_start = std::string::npos;
};

// `html` must be UTF-8. Paragraphs and block elements become line breaks, list items
// "- item", links "text <url>", table cells are separated by " | ", script/style/head
// content is dropped.
HtmlText htmlToText(std::string_view html);

}  // namespace deskgate
