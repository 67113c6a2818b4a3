#include "parsers/address_parser.hpp"
#include "parsers/ascii.hpp"

#include "parsers/decode.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace deskgate {
namespace {

std::string collapseSpaces(std::string_view s) {
    std::string out;
    bool space = false;
    for (char c : trimSpace(s)) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = true;
            continue;
        }
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

// One mailbox as split at top-level commas: its display phrase, angle address, comments.
struct Segment {
    std::string phrase;    // unquoted display-name text (encoded words still encoded)
    std::string angle;     // inside <...>
    std::string bare;      // text outside quotes/comments/angles (an addr-spec without <>)
    std::string comment;   // last comment
    bool has_angle = false;
};

std::string cleanAddress(std::string_view a) {
    a = trimSpace(a);
    // obs-route (RFC 5322 §4.4): "<@relay1,@relay2:user@host>".
    if (!a.empty() && a.front() == '@') {
        if (auto colon = a.find(':'); colon != std::string_view::npos) a = a.substr(colon + 1);
    }
    if (a.starts_with("mailto:") || a.starts_with("MAILTO:")) a.remove_prefix(7);
    std::string out;
    for (char c : a)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '"') out.push_back(c);
    return out;
}

Address finish(Segment& s, std::vector<std::string>* defects) {
    Address a;
    if (s.has_angle) {
        a.address = cleanAddress(s.angle);
        a.name = collapseSpaces(decodeEncodedWords(collapseSpaces(s.phrase), defects));
        // "\"postmaster@example.org\" <>": the null path, the address is in the display name.
        if (a.address.empty() && a.name.find('@') != std::string::npos && a.name.find(' ') == std::string::npos) {
            a.address = cleanAddress(a.name);
            a.name.clear();
        }
    } else {
        std::string bare = collapseSpaces(s.bare);
        if (bare.find('@') != std::string::npos || s.phrase.empty()) {
            a.address = cleanAddress(bare);
            if (!s.phrase.empty()) a.address = cleanAddress(s.phrase + bare);
            a.name = collapseSpaces(decodeEncodedWords(collapseSpaces(s.comment), defects));
        } else {
            // Only a name, no address at all ("undisclosed recipients", broken input).
            a.name = collapseSpaces(decodeEncodedWords(collapseSpaces(s.phrase + " " + bare), defects));
        }
    }
    // Quotes around a display name that survived (e.g. inside an encoded word).
    if (a.name.size() >= 2 && a.name.front() == '"' && a.name.back() == '"') a.name = a.name.substr(1, a.name.size() - 2);
    if (a.name.size() >= 2 && a.name.front() == '\'' && a.name.back() == '\'') a.name = a.name.substr(1, a.name.size() - 2);
    if (a.name == a.address) a.name.clear();
    return a;
}

}  // namespace

std::vector<Address> parseAddressList(std::string_view value, std::vector<std::string>* defects) {
    std::vector<Segment> segments;
    Segment cur;
    std::size_t i = 0;
    const std::size_t n = value.size();
    auto push = [&] {
        if (!trimSpace(cur.phrase).empty() || !cur.angle.empty() || !trimSpace(cur.bare).empty() || cur.has_angle)
            segments.push_back(std::move(cur));
        cur = Segment{};
    };
    while (i < n) {
        char c = value[i];
        if (c == '"') {
            ++i;
            std::string q;
            while (i < n && value[i] != '"') {
                if (value[i] == '\\' && i + 1 < n) ++i;  // quoted-pair
                q.push_back(value[i]);
                ++i;
            }
            ++i;
            (cur.has_angle ? cur.bare : cur.phrase) += q;
            if (!cur.has_angle) cur.phrase += ' ';
        } else if (c == '(') {
            int depth = 1;
            ++i;
            std::string text;
            while (i < n && depth > 0) {
                if (value[i] == '\\' && i + 1 < n) {
                    text.push_back(value[i + 1]);
                    i += 2;
                    continue;
                }
                if (value[i] == '(') ++depth;
                else if (value[i] == ')' && --depth == 0) break;
                text.push_back(value[i]);
                ++i;
            }
            ++i;
            cur.comment = text;
        } else if (c == '<') {
            std::size_t close = value.find('>', i + 1);
            std::size_t end = close == std::string_view::npos ? n : close;
            // "Name <user@x> <>": the null path (RFC 5321 §4.5.5) never replaces an address.
            std::string angle(value.substr(i + 1, end - i - 1));
            if (!trimSpace(angle).empty() || !cur.has_angle) cur.angle = std::move(angle);
            if (!cur.has_angle) {
                cur.phrase += cur.bare;
                cur.bare.clear();
            }
            cur.has_angle = true;
            i = end == n ? n : end + 1;
        } else if (c == ',') {
            push();
            ++i;
        } else if (c == ':' && !cur.has_angle) {
            // Group "name: a, b;" — the group name is not an address (RFC 5322 §3.4).
            cur = Segment{};
            ++i;
        } else if (c == ';') {
            push();
            ++i;
        } else {
            (cur.has_angle ? cur.bare : cur.phrase).push_back(c);
            ++i;
        }
    }
    push();

    // Without angle brackets the phrase holds the addr-spec; move it.
    for (auto& s : segments) {
        if (!s.has_angle) {
            s.bare = s.phrase + s.bare;
            s.phrase.clear();
        }
    }
    // "Müller, Hans <h@x>" and "Smith, Karoline, Example DE <k@x>" unquoted: the segments
    // without '@' directly before one with <...> are parts of its display name.
    auto namePart = [](const Segment& s) {
        return !s.has_angle && s.bare.find('@') == std::string::npos && !trimSpace(s.bare).empty();
    };
    // joins[k]: segment k is such a part, and the run it belongs to ends at an angle address
    // with a display name. Computed backwards in one pass: a list of 100,000 bare words must
    // not be scanned again from every word.
    std::vector<bool> joins(segments.size(), false);
    bool run_joins = false;
    for (std::size_t k = segments.size(); k-- > 0;) {
        const Segment& s = segments[k];
        if (namePart(s)) joins[k] = run_joins;
        else run_joins = s.has_angle && !trimSpace(s.phrase).empty();
    }
    std::vector<Address> out;
    std::string name_prefix;  // such segments so far, joined with ", "
    bool reported = false;
    for (std::size_t k = 0; k < segments.size(); ++k) {
        Segment& s = segments[k];
        if (joins[k]) {
            name_prefix += std::string(trimSpace(s.bare)) + ", ";
            if (defects && !reported) defects->push_back("unquoted comma in a display name");
            reported = true;
            continue;
        }
        if (!name_prefix.empty()) {
            s.phrase = name_prefix + std::string(trimSpace(s.phrase));
            name_prefix.clear();
        }
        Address a = finish(s, defects);
        if (!a.address.empty() || !a.name.empty()) out.push_back(std::move(a));
        if (out.size() >= 1000) break;
    }
    // A name without any address ("MAILER-DAEMON <>", a stray word) is dropped when the list
    // has real mailboxes: readers take the first entry as the sender.
    bool any_address = std::any_of(out.begin(), out.end(), [](const Address& a) { return !a.address.empty(); });
    if (any_address) std::erase_if(out, [](const Address& a) { return a.address.empty(); });
    return out;
}

std::vector<std::string> parseMessageIds(std::string_view value) {
    std::vector<std::string> ids;
    std::size_t i = 0;
    while (i < value.size()) {
        std::size_t open = value.find('<', i);
        if (open == std::string_view::npos) break;
        std::size_t close = value.find('>', open + 1);
        if (close == std::string_view::npos) break;
        std::string id;
        for (char c : value.substr(open + 1, close - open - 1))
            if (!std::isspace(static_cast<unsigned char>(c))) id.push_back(c);
        if (!id.empty()) ids.push_back(std::move(id));
        i = close + 1;
        if (ids.size() >= 500) break;
    }
    if (ids.empty()) {
        // Broken senders omit the angle brackets: take the first word that looks like an id.
        std::string_view t = trimSpace(value);
        std::size_t sp = t.find_first_of(" \t");
        std::string_view word = t.substr(0, sp);
        if (word.find('@') != std::string_view::npos) ids.emplace_back(word);
    }
    return ids;
}

std::string parseDateToIso(std::string_view value) {
    // Tokenise into words and numbers, ignoring comments and punctuation.
    std::string v;
    int depth = 0;
    for (char c : value) {
        if (c == '(') ++depth;
        else if (c == ')') depth = depth > 0 ? depth - 1 : 0;
        else if (depth == 0) v.push_back(c == ',' ? ' ' : c);
    }
    // "00:01+0000": a zone glued to the time.
    for (std::size_t k = 1; k < v.size(); ++k)
        if ((v[k] == '+' || v[k] == '-') && std::isdigit(static_cast<unsigned char>(v[k - 1])) && k >= 3 &&
            v.find(':', k >= 6 ? k - 6 : 0) < k)
            v.insert(k++, 1, ' ');
    std::array<std::string_view, 12> words{};
    std::size_t count = 0;
    std::string_view sv(v);
    std::size_t p = 0;
    while (p < sv.size() && count < words.size()) {
        while (p < sv.size() && std::isspace(static_cast<unsigned char>(sv[p]))) ++p;
        std::size_t q = p;
        while (q < sv.size() && !std::isspace(static_cast<unsigned char>(sv[q]))) ++q;
        if (q > p) words[count++] = sv.substr(p, q - p);
        p = q;
    }
    static constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                               "jul", "aug", "sep", "oct", "nov", "dec"};
    auto toInt = [](std::string_view s, int& out) {
        if (s.empty() || s.size() > 9) return false;
        int r = 0;
        for (char c : s) {
            if (c < '0' || c > '9') return false;
            r = r * 10 + (c - '0');
        }
        out = r;
        return true;
    };
    int day = -1, month = -1, year = -1, hh = -1, mm = -1, ss = 0;
    int offset = 0;
    bool have_zone = false;
    for (std::size_t k = 0; k < count; ++k) {
        std::string_view w = words[k];
        int num;
        if (month < 0 && w.size() >= 3) {
            std::string m;
            for (char c : w.substr(0, 3)) m.push_back(asciiLower(c));
            for (std::size_t mi = 0; mi < 12; ++mi)
                if (m == kMonths[mi] && !(w.size() > 3 && std::isdigit(static_cast<unsigned char>(w[3])))) month = static_cast<int>(mi) + 1;
            if (month > 0) continue;
        }
        if (w.find(':') != std::string_view::npos && hh < 0) {
            int parts[3] = {-1, -1, 0};
            std::size_t idx = 0, s = 0;
            while (idx < 3) {
                std::size_t c = w.find(':', s);
                if (!toInt(w.substr(s, c == std::string_view::npos ? std::string_view::npos : c - s), parts[idx])) break;
                ++idx;
                if (c == std::string_view::npos) break;
                s = c + 1;
            }
            if (idx >= 2) {
                hh = parts[0], mm = parts[1], ss = idx == 3 ? parts[2] : 0;
            }
            continue;
        }
        if ((w.front() == '+' || w.front() == '-') && w.size() == 5 && toInt(w.substr(1), num)) {
            offset = (num / 100) * 60 + num % 100;
            if (w.front() == '-') offset = -offset;
            have_zone = true;
            continue;
        }
        if (toInt(w, num)) {
            if (day < 0 && w.size() <= 2 && month < 0) day = num;
            else if (day < 0 && w.size() <= 2 && year >= 0) day = num;
            else if (year < 0 && (w.size() == 4 || (w.size() <= 3 && day >= 0))) year = num;
            else if (day < 0 && w.size() <= 2) day = num;
            continue;
        }
        if (!have_zone) {
            // Obsolete zones (RFC 5322 §4.3); military zones are "-0000" (unknown).
            static constexpr std::pair<std::string_view, int> kZones[] = {
                {"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0}, {"EST", -300}, {"EDT", -240}, {"CST", -360},
                {"CDT", -300}, {"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420}, {"CET", 60},
                {"CEST", 120}, {"MET", 60}, {"MEST", 120}, {"BST", 60}, {"JST", 540}, {"KST", 540}};
            for (auto [name, off] : kZones)
                if (w == name) offset = off, have_zone = true;
        }
    }
    if (year >= 0 && year < 50) year += 2000;  // RFC 5322 §4.3: two-digit years
    else if (year >= 50 && year < 1000) year += 1900;
    if (day < 1 || day > 31 || month < 1 || year < 1900 || year > 9999 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 ||
        ss > 60 || offset <= -24 * 60 || offset >= 24 * 60)
        return {};
    char buf[64];
    int ao = offset < 0 ? -offset : offset;
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", year, month, day, hh, mm, ss > 59 ? 59 : ss,
                  offset < 0 ? '-' : '+', ao / 60, ao % 60);
    return buf;
}

}  // namespace deskgate
