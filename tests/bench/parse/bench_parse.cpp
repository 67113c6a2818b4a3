// Parsing throughput of parseMail over a list of files (normally the whole corpus):
// mails/s, MB/s and peak RSS. Not a ctest; run-bench.sh runs it next to Python's email.
//
//   bench_parse [--rounds N] --list FILE      (FILE: one path per line)
//   bench_parse [--rounds N] MAIL...
#include "parsers/parsed_mail.hpp"

#include <sys/resource.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    int rounds = 5;
    std::vector<std::string> paths;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = std::max(1, std::atoi(argv[++i]));
        } else if (std::strcmp(argv[i], "--list") == 0 && i + 1 < argc) {
            std::ifstream list(argv[++i]);
            for (std::string line; std::getline(list, line);)
                if (!line.empty()) paths.push_back(line);
        } else {
            paths.emplace_back(argv[i]);
        }
    }
    if (paths.empty()) {
        std::fprintf(stderr, "usage: bench_parse [--rounds N] (--list FILE | MAIL...)\n");
        return 2;
    }
    // Read everything first: the benchmark measures parsing, not the disk.
    std::vector<std::string> mails;
    std::size_t bytes = 0;
    for (const auto& p : paths) {
        std::ifstream in(p, std::ios::binary);
        mails.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        bytes += mails.back().size();
    }
    std::size_t errors = 0, sink = 0;
    double worst_ms = 0;
    // CPU time next to wall time: on a shared machine other processes stretch wall time.
    auto cpuNow = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
    };
    double cpu_start = cpuNow();
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r) {
        for (const auto& raw : mails) {
            auto t0 = std::chrono::steady_clock::now();
            auto result = deskgate::parseMail(raw);
            double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            worst_ms = std::max(worst_ms, ms);
            if (!result) ++errors;
            else sink += result->text.size() + result->attachments.size();
        }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpu_seconds = cpuNow() - cpu_start;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    double n = static_cast<double>(mails.size()) * rounds;
    std::printf("deskgate: mails=%zu rounds=%d bytes=%zu seconds=%.3f cpu_seconds=%.3f mails_per_s=%.1f "
                "cpu_mails_per_s=%.1f mb_per_s=%.2f peak_rss_mb=%.1f errors=%zu worst_ms=%.2f (sink %zu)\n",
                mails.size(), rounds, bytes, seconds, cpu_seconds, n / seconds, n / cpu_seconds,
                static_cast<double>(bytes) * rounds / seconds / 1e6, static_cast<double>(usage.ru_maxrss) / 1024.0,
                errors / static_cast<std::size_t>(rounds), worst_ms, sink % 10);
    return 0;
}
