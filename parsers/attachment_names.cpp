#include "parsers/attachment_names.hpp"
#include "parsers/ascii.hpp"

#include <map>
#include <set>

namespace deskgate {
namespace {

// The length of the UTF-8 sequence starting with `lead` (1 for stray continuation bytes:
// the parser hands over valid UTF-8, this only keeps the cut below from looping).
std::size_t sequenceLength(unsigned char lead) {
    if (lead < 0xC0) return 1;
    if (lead < 0xE0) return 2;
    if (lead < 0xF0) return 3;
    return 4;
}

// Stem and extension of a generated name, by content type. The extension is what a desktop
// opens the file with; a type without a well-known one gets ".bin" (and ".txt" for text).
struct Generated {
    std::string stem;
    std::string ext;
    bool numbered = true;  // "delivery-status.txt" is one per bounce: numbered from the second on
};

Generated generatedName(std::string_view content_type) {
    static const std::map<std::string_view, std::string_view> kExtensions = {
        {"image/jpeg", "jpg"}, {"image/jpg", "jpg"}, {"image/pjpeg", "jpg"}, {"image/png", "png"},
        {"image/gif", "gif"}, {"image/bmp", "bmp"}, {"image/tiff", "tif"}, {"image/webp", "webp"},
        {"image/svg+xml", "svg"}, {"image/heic", "heic"}, {"image/x-icon", "ico"},
        {"audio/mpeg", "mp3"}, {"audio/wav", "wav"}, {"audio/x-wav", "wav"}, {"audio/ogg", "ogg"},
        {"video/mp4", "mp4"}, {"video/quicktime", "mov"},
        {"application/pdf", "pdf"}, {"application/zip", "zip"}, {"application/gzip", "gz"},
        {"application/x-gzip", "gz"}, {"application/json", "json"}, {"application/xml", "xml"},
        {"application/msword", "doc"}, {"application/vnd.ms-excel", "xls"}, {"application/vnd.ms-powerpoint", "ppt"},
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
        {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"},
        {"application/pkcs7-signature", "p7s"}, {"application/x-pkcs7-signature", "p7s"},
        {"application/pgp-signature", "asc"}, {"application/pgp-encrypted", "asc"}, {"application/ics", "ics"},
        {"text/calendar", "ics"}, {"text/html", "html"}, {"text/csv", "csv"}, {"text/xml", "xml"},
        {"text/vcard", "vcf"}, {"text/x-vcard", "vcf"}};
    std::string_view type = content_type.substr(0, content_type.find('/'));
    auto known = kExtensions.find(content_type);
    auto ext = [&](std::string_view fallback) { return std::string(known != kExtensions.end() ? known->second : fallback); };
    if (content_type == "message/rfc822" || content_type == "message/global") return {"message", "eml"};
    if (content_type == "message/delivery-status" || content_type == "message/global-delivery-status")
        return {"delivery-status", "txt", false};
    if (content_type == "text/rfc822-headers" || content_type == "message/global-headers")
        return {"rfc822-headers", "txt", false};
    if (content_type == "text/calendar") return {"invite", "ics"};
    if (type == "image") return {"image", ext("bin")};
    if (type == "audio") return {"audio", ext("bin")};
    if (type == "video") return {"video", ext("bin")};
    if (type == "text") return {"text", ext("txt")};
    return {"attachment", ext("bin")};
}

// "name.ext" → {"name", ".ext"}; a leading dot (".htaccess") is part of the stem.
std::pair<std::string, std::string> splitExtension(const std::string& name) {
    std::size_t dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0 || name.size() - dot > 16) return {name, ""};
    return {name.substr(0, dot), name.substr(dot)};
}

}  // namespace

std::string safeFileName(std::string_view name) {
    // Path parts: the last component after '/' or '\' (Windows clients send "C:\…\x.doc").
    if (std::size_t slash = name.find_last_of("/\\"); slash != std::string_view::npos) name = name.substr(slash + 1);
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) {
        auto c = static_cast<unsigned char>(name[i]);
        if (c < 0x20 || c == 0x7F) continue;  // C0 controls and DEL
        if (c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) >= 0x80 &&
            static_cast<unsigned char>(name[i + 1]) <= 0x9F) {
            ++i;  // C1 controls U+0080–U+009F
            continue;
        }
        out.push_back(static_cast<char>(c));
    }
    std::string_view trimmed = trimSpace(out);
    if (trimmed == "." || trimmed == "..") return {};
    out = std::string(trimmed);
    // 255 bytes is the name limit of the common file systems; keep the extension.
    constexpr std::size_t kMax = 255;
    if (out.size() > kMax) {
        auto [stem, ext] = splitExtension(out);
        std::size_t keep = kMax - ext.size();
        std::size_t cut = 0;
        while (cut < stem.size()) {
            std::size_t len = sequenceLength(static_cast<unsigned char>(stem[cut]));
            if (cut + len > keep) break;
            cut += len;
        }
        out = stem.substr(0, cut) + ext;
    }
    return out;
}

void nameAttachments(std::vector<Attachment>& attachments) {
    std::set<std::string> used;  // lower-case: case-insensitive file systems must not collide either
    std::map<std::string, unsigned> counters;     // generated names: the last number per kind
    std::map<std::string, unsigned> next_suffix;  // duplicate given names: the next "-N" to try
    auto take = [&](const std::string& name) { return used.insert(lower(name)).second; };
    // Names first (the sender's, or one derived from the content such as an attached
    // message's subject), so that a generated "image-1.jpg" never takes one of them.
    for (auto& a : attachments) {
        if (a.filename.empty()) continue;
        std::string safe = safeFileName(a.filename);
        if (safe.empty()) {
            a.name_given = false;
            a.filename.clear();
            continue;
        }
        if (!take(safe)) {
            // The next suffix per name is remembered: 10,000 parts named "x" stay linear.
            auto [stem, ext] = splitExtension(safe);
            unsigned& n = next_suffix[lower(safe)];
            if (n < 2) n = 2;
            while (!take(safe = stem + "-" + std::to_string(n) + ext)) ++n;
            ++n;
        }
        a.filename = std::move(safe);
    }
    for (auto& a : attachments) {
        if (!a.filename.empty()) continue;
        Generated g = generatedName(a.content_type);
        unsigned& n = counters[g.stem];  // image-1.jpg, image-2.png: one count per kind
        std::string name;
        do {
            ++n;
            name = g.numbered || n > 1 ? g.stem + "-" + std::to_string(n) + "." + g.ext : g.stem + "." + g.ext;
        } while (!take(name));
        a.filename = std::move(name);
    }
}

}  // namespace deskgate
