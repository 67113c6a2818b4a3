// Shared helpers for the corpus tests: where the corpus is, which files are messages.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace corpus {

namespace fs = std::filesystem;

// The corpus lives outside the project (../shared/corpus); without it these tests skip
// loudly instead of passing silently.
inline fs::path root() { return fs::path(DESKGATE_CORPUS_DIR); }

inline bool available() {
    static const bool ok = [] {
        bool present = fs::is_directory(root());
        if (!present) {
            std::fprintf(stderr, "SKIPPED: corpus not found at %s (DESKGATE_CORPUS_DIR); corpus tests did not run\n",
                         root().c_str());
            std::exit(77);  // ctest: SKIP_RETURN_CODE, so the run shows "Skipped", never "Passed"
        }
        return present;
    }();
    return ok;
}

inline std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Which files in the corpus are raw messages (the rest are expected results, licences, …).
inline bool isMessage(const fs::path& path) {
    std::string rel = fs::relative(path, root()).generic_string();
    std::string name = path.filename().string();
    if (name.starts_with("LICENSE") || name == "NOTICE" || name == "SOURCE.txt" || name.starts_with("README") ||
        name == "ARTISTIC-LICENSE.txt")
        return false;
    if (endsWith(name, ".eml") || endsWith(name, ".msg")) return true;
    if (rel.starts_with("sisimai-set-of-emails/mailbox/")) return true;
    if (rel.starts_with("cpython-email/data/msg_")) return true;
    if (rel.starts_with("mimekit/messages/") || rel.starts_with("mimekit/partial/")) return true;
    if (rel.starts_with("mimekit/mbox/") && endsWith(name, ".mbox.txt")) return true;
    if (rel.starts_with("flanker/messages/")) return name.find(".expected.") == std::string::npos;
    if (rel.starts_with("james-mime4j/mbox-test-resources/")) return true;
    return false;
}

inline std::vector<fs::path> messages() {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(root()))
        if (e.is_regular_file() && isMessage(e.path())) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace corpus
