// A measurement tool, not part of deskgate: what Debian's mimetic 0.9.8 does with the mail
// deskgate reads and writes, as the README's "Why not mimetic" states it. Built and run by
// run-measure.sh only (never by CMake):
//   mimetic_measure corpus LIST     parts found by mimetic and by deskgate's MimeParser, per cause
//   mimetic_measure decode          RFC 2047 / RFC 2231 / charset: what mimetic's API returns
//   mimetic_measure nested N        N nested multiparts (the script reports a crash signal)
//   mimetic_measure header MB       a header line of MB megabytes: seconds to parse
//   mimetic_measure parts N         N parts: seconds and peak RSS
//   mimetic_measure compose         QP encoder and a message/rfc822 part as mimetic writes them
#include "parsers/mime_entity.hpp"

#include <mimetic/mimetic.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

namespace {

std::size_t mimeticLeaves(const mimetic::MimeEntity& e) {
    if (e.header().contentType().isMultipart()) {
        std::size_t n = 0;
        for (const auto* p : e.body().parts()) n += mimeticLeaves(*p);
        return n;
    }
    return 1;
}

std::size_t deskgateLeaves(const deskgate::Entity& e) {
    if (!e.isMultipart()) return 1;
    std::size_t n = 0;
    for (const auto& c : e.children) n += deskgateLeaves(*c);
    return n;
}

std::string lf(const std::string& raw) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
        } else {
            out.push_back(raw[i]);
        }
    }
    return out;
}

double seconds(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int corpus(const char* list_path) {
    std::ifstream list(list_path);
    std::map<std::string, std::size_t> causes, causes_one_body, causes_no_part;
    std::size_t files = 0, differ = 0, one_body = 0, no_part = 0, fewer = 0, mimetic_parts = 0, deskgate_parts = 0;
    for (std::string path; std::getline(list, path);) {
        std::ifstream in(path, std::ios::binary);
        std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        ++files;
        mimetic::MimeEntity me(raw.begin(), raw.end());
        std::size_t m = mimeticLeaves(me);
        std::string text = lf(raw);
        std::vector<std::string> defects;
        const deskgate::Limits limits;  // MimeParser keeps a reference
        deskgate::MimeParser parser(limits, defects);
        auto root = parser.parse(text);
        if (!root) continue;  // deskgate rejects it (limits): not compared
        std::size_t d = deskgateLeaves(**root);
        mimetic_parts += m;
        deskgate_parts += d;
        if (m == d) continue;
        ++differ;
        if (m < d) ++fewer;
        std::string cause = "other";
        std::string first_line = text.substr(0, text.find('\n'));
        auto has = [&](const char* what) {
            for (const auto& x : defects)
                if (x.find(what) != std::string::npos) return true;
            return false;
        };
        if (first_line.starts_with("From ")) cause = "mbox 'From ' first line";
        else if (!first_line.empty() && first_line.find_first_not_of(" \t") == std::string::npos) cause = "first line of spaces";
        else if (text.find("\nboundary=") != std::string::npos || text.find("\nBoundary=") != std::string::npos)
            cause = "unindented boundary parameter";
        else if (has("missing closing boundary")) cause = "missing closing boundary";
        ++causes[cause];
        if (m == 1 && d > 1) {
            ++one_body;
            ++causes_one_body[cause];
        }
        if (m == 0 && d > 0) {
            ++no_part;
            ++causes_no_part[cause];
        }
        if (std::getenv("MIMETIC_LIST")) std::printf("  %s: mimetic %zu, deskgate %zu (%s)\n", path.c_str(), m, d, cause.c_str());
    }
    std::printf("corpus: %zu files; leaf parts: mimetic %zu, deskgate %zu; %zu files differ (%zu with fewer parts "
                "in mimetic: %zu read as one body, %zu with no part at all)\n",
                files, mimetic_parts, deskgate_parts, differ, fewer, one_body, no_part);
    for (const auto& [cause, n] : causes)
        std::printf("  %-32s %zu files differ: %zu read as one body, %zu with no part by mimetic\n", cause.c_str(), n,
                    causes_one_body[cause], causes_no_part[cause]);
    return 0;
}

int decode() {
    std::string raw =
        "From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <j@example.de>\r\n"
        "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\xFC\xDF" "e\r\n"
        "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
        " filename*0*=UTF-8''Rechnung_%C3%84;\r\n filename*1*=.pdf\r\n\r\n%PDF\r\n--b--\r\n";
    mimetic::MimeEntity me(raw.begin(), raw.end());
    std::printf("decode: Subject as mimetic returns it: [%s]\n", me.header().subject().c_str());
    std::printf("decode: From display name: [%s]\n", me.header().from().begin()->label().c_str());
    const auto& parts = me.body().parts();
    if (parts.size() == 2) {
        auto it = parts.begin();
        std::printf("decode: text part body (bytes as sent, no charset conversion): [%s]\n", (*it)->body().c_str());
        ++it;
        std::printf("decode: RFC 2231 filename param: [%s]\n",
                    (*it)->header().contentDisposition().param("filename").c_str());
        std::printf("decode: raw filename*0* param: [%s]\n", (*it)->header().contentDisposition().param("filename*0*").c_str());
    }
    return 0;
}

int nested(long n) {
    std::string raw = "Content-Type: multipart/mixed; boundary=b0\r\n\r\n";
    for (long i = 1; i <= n; ++i) raw += "--b" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n";
    raw += "--b" + std::to_string(n) + "\r\nContent-Type: text/plain\r\n\r\nleaf\r\n";
    for (long i = n; i >= 0; --i) raw += "--b" + std::to_string(i) + "--\r\n";
    auto t0 = std::chrono::steady_clock::now();
    mimetic::MimeEntity me(raw.begin(), raw.end());
    std::printf("nested %ld: parsed in %.2f s, %zu leaves\n", n, seconds(t0), mimeticLeaves(me));
    return 0;
}

int header(long mb) {
    std::string raw = "X-Long: " + std::string(static_cast<std::size_t>(mb) * 1000000, 'a') + "\r\nSubject: x\r\n\r\nbody\r\n";
    auto t0 = std::chrono::steady_clock::now();
    mimetic::MimeEntity me(raw.begin(), raw.end());
    std::printf("header %ld MB: parsed in %.2f s (subject [%s])\n", mb, seconds(t0), me.header().subject().c_str());
    return 0;
}

int parts(long n) {
    std::string raw = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
    for (long i = 0; i < n; ++i) raw += "--b\r\n\r\nx\r\n";
    raw += "--b--\r\n";
    auto t0 = std::chrono::steady_clock::now();
    mimetic::MimeEntity me(raw.begin(), raw.end());
    double s = seconds(t0);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("parts %ld: message of %.1f MB parsed in %.2f s, %zu parts, peak RSS %.0f MB\n", n,
                static_cast<double>(raw.size()) / 1e6, s, me.body().parts().size(), static_cast<double>(usage.ru_maxrss) / 1024.0);
    return 0;
}

int compose() {
    // RFC 2045 §6.7: only the non-ASCII bytes need =XX; spaces and line breaks stay as they are.
    std::string text = "Grüße aus Köln,\nthe printer on floor 2 is broken again.\nRegards\n";
    mimetic::QP::Encoder qp;
    std::string encoded;
    mimetic::encode(text.begin(), text.end(), qp, std::back_inserter(encoded));
    std::printf("compose: QP of %zu bytes with 3 non-ASCII characters:\n%s\n", text.size(), encoded.c_str());
    mimetic::MimeEntity inner;
    inner.header().from("a@example.com");
    inner.header().subject("inner");
    inner.body().assign("inner body\r\n");
    mimetic::MultipartMixed outer;
    outer.header().from("support@example.com");
    outer.body().parts().push_back(new mimetic::MessageRfc822(inner));
    std::ostringstream out;
    out << outer;
    std::printf("compose: multipart/mixed with a MessageRfc822 part, as mimetic writes it:\n%s\n", out.str().c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    std::string what = argv[1];
    long n = argc > 2 ? std::atol(argv[2]) : 0;
    if (what == "corpus" && argc > 2) return corpus(argv[2]);
    if (what == "decode") return decode();
    if (what == "nested") return nested(n);
    if (what == "header") return header(n);
    if (what == "parts") return parts(n);
    if (what == "compose") return compose();
    return 2;
}
