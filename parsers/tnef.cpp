#include "parsers/tnef.hpp"

#include "parsers/charset.hpp"

#include <cstdint>

namespace deskgate {
namespace {

// MS-OXTNEF §2.1.3: attribute ids (low 16 bits id, high 16 bits type).
constexpr std::uint32_t kSignature = 0x223E9F78;
constexpr std::uint16_t kAttAttachRendData = 0x9002;
constexpr std::uint16_t kAttAttachTitle = 0x8010;
constexpr std::uint16_t kAttAttachData = 0x800F;
constexpr std::uint16_t kAttAttachment = 0x9005;
constexpr std::uint8_t kLevelAttachment = 0x02;

std::uint32_t le32(std::string_view d, std::size_t p) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(d[p])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(d[p + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(d[p + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(d[p + 3])) << 24;
}
std::uint16_t le16(std::string_view d, std::size_t p) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(d[p]) | static_cast<unsigned char>(d[p + 1]) << 8);
}

std::string utf16leToUtf8(std::string_view bytes) {
    return toUtf8(bytes, "UTF-16LE", nullptr);
}

// MAPI property stream of attAttachment (MS-OXTNEF §2.1.3.4): we want
// PidTagAttachLongFilename (0x3707) and, for files Outlook stores as a property,
// PidTagAttachDataBinary (0x3701).
void readMapiProps(std::string_view d, TnefFile& file, std::vector<TnefFile>& extra) {
    std::string_view object;     // PidTagAttachDataObject
    std::uint32_t method = 0;    // PidTagAttachMethod
    struct Finish {
        std::string_view& object;
        std::uint32_t& method;
        TnefFile& file;
        std::vector<TnefFile>& extra;
        ~Finish() {
            if (object.empty()) return;
            // ATTACH_OLE (6): a 16-byte IID precedes the OLE storage; other methods keep it all.
            std::string_view data = method == 6 && object.size() >= 16 ? object.substr(16) : object;
            // When attAttachData already held the rendering, the object is a file of its own.
            if (file.data.empty()) file.data = std::string(data);
            else extra.push_back(TnefFile{file.filename, std::string(data)});
        }
    } finish{object, method, file, extra};
    if (d.size() < 4) return;
    std::uint32_t count = le32(d, 0);
    std::size_t p = 4;
    for (std::uint32_t i = 0; i < count && p + 4 <= d.size(); ++i) {
        std::uint16_t type = le16(d, p);
        std::uint16_t id = le16(d, p + 2);
        p += 4;
        bool multi = (type & 0x1000) != 0;
        type &= 0x0FFF;
        if (id >= 0x8000) {
            // Named property: GUID, kind, then id or name.
            if (p + 20 > d.size()) return;
            std::uint32_t kind = le32(d, p + 16);
            p += 20;
            if (kind == 0) {
                p += 4;
            } else {
                if (p + 4 > d.size()) return;
                std::uint32_t len = le32(d, p);
                p += 4 + ((static_cast<std::size_t>(len) + 3) & ~std::size_t{3});
            }
        }
        std::uint32_t values = 1;
        auto fixed = [&](std::size_t size) {
            if (multi) {
                if (p + 4 > d.size()) return false;
                values = le32(d, p);
                p += 4;
            }
            std::size_t total = size * values;
            if (values > d.size() || total > d.size() - std::min(p, d.size())) return false;
            p += total;
            return true;
        };
        switch (type) {
            case 0x0002: case 0x000B: if (!fixed(4)) return; break;  // short, bool padded to 4
            case 0x0003: case 0x0004: case 0x000A:
                if (!multi && id == 0x3705 && p + 4 <= d.size()) method = le32(d, p);
                if (!fixed(4)) return;
                break;
            case 0x0005: case 0x0006: case 0x0007: case 0x0014: case 0x0040: if (!fixed(8)) return; break;
            case 0x0048: if (!fixed(16)) return; break;
            case 0x001E: case 0x001F: case 0x0102: case 0x000D: {
                if (p + 4 > d.size()) return;
                values = le32(d, p);  // variable-length types always carry a count
                p += 4;
                for (std::uint32_t v = 0; v < values; ++v) {
                    if (p + 4 > d.size()) return;
                    std::uint32_t len = le32(d, p);
                    p += 4;
                    if (len > d.size() - p) return;
                    std::string_view value = d.substr(p, len);
                    if (v == 0 && id == 0x3707) {
                        std::string name = type == 0x001F ? utf16leToUtf8(value) : toUtf8(value, "", nullptr);
                        while (!name.empty() && name.back() == '\0') name.pop_back();
                        if (!name.empty()) file.filename = name;
                    }
                    if (v == 0 && id == 0x3701 && type == 0x0102 && file.data.empty()) file.data = std::string(value);
                    if (v == 0 && id == 0x3701 && type == 0x000D) object = value;
                    p += (static_cast<std::size_t>(len) + 3) & ~std::size_t{3};
                }
                break;
            }
            default:
                return;  // unknown type: the rest cannot be located safely
        }
    }
}

}  // namespace

std::expected<std::vector<TnefFile>, std::string> unpackTnef(std::string_view d) {
    if (d.size() < 6 || le32(d, 0) != kSignature) return std::unexpected(std::string("no TNEF signature"));
    std::vector<TnefFile> files;
    bool open = false;
    std::size_t p = 6;  // signature + legacy key
    while (p + 9 <= d.size()) {
        std::uint8_t level = static_cast<std::uint8_t>(d[p]);
        std::uint32_t attr = le32(d, p + 1);
        std::uint32_t len = le32(d, p + 5);
        p += 9;
        if (len > d.size() - p) break;  // truncated: keep what we have
        std::string_view value = d.substr(p, len);
        p += len + 2;  // value and checksum
        if (level != kLevelAttachment) continue;
        std::uint16_t id = static_cast<std::uint16_t>(attr & 0xFFFF);
        if (id == kAttAttachRendData) {
            if (files.size() >= 1000) break;
            files.emplace_back();
            open = true;
            continue;
        }
        if (!open) continue;
        TnefFile& f = files.back();
        if (id == kAttAttachTitle) {
            std::string_view t = value;
            while (!t.empty() && t.back() == '\0') t.remove_suffix(1);
            if (f.filename.empty()) f.filename = toUtf8(t, "", nullptr);
        } else if (id == kAttAttachData) {
            f.data = std::string(value);
        } else if (id == kAttAttachment) {
            std::vector<TnefFile> extra;
            readMapiProps(value, f, extra);
            for (auto& x : extra) files.push_back(std::move(x));
            open = false;  // the property block closes this attachment's attributes
        }
    }
    if (files.empty() && p < d.size() && p == 6) return std::unexpected(std::string("truncated TNEF stream"));
    return files;
}

}  // namespace deskgate
