// sisimai's bounce collection: every bounce is a bounce with a DSN status, its RFC 3834
// vacation replies are auto-replies, its ARF samples feedback reports. Talon's replies split.
//
// Note: sisimai's SOURCE.txt mentions expected/sisimai-expected.tsv (per-recipient status
// codes from go-sisimai's tables); that file is not in ../shared/corpus, so statuses are
// checked for presence and form (x.y.z, class 4 or 5), not against sisimai's values.
#include <doctest/doctest.h>

#include "corpus_support.hpp"
#include "parsers/parsed_mail.hpp"

#include <map>
#include <regex>
#include <set>

using namespace deskgate;

namespace {

std::string kindName(MailKind k) { return std::string(toString(k)); }

// sisimai samples that are not bounces in deskgate's sense, with the reason.
// (sisimai counts them because its job is to find any delivery failure in any mail.)
const std::map<std::string, std::string> kNotBounces = {
    // A person forwarding a bounce to someone: for a help desk that is a human mail to answer.
    {"maildir/bsd/lhost-sendmail-14.eml", "forwarded by a person (Fwd: Returned mail)"},
    {"maildir/err/make-test-36.eml", "forwarded by a person (Fwd: Returned mail)"},
    // fml mailing-list manager replies ("you are not a member", "loop alert"): list mail.
    {"maildir/bsd/lhost-fml-02.eml", "list manager notice"},
    {"maildir/bsd/lhost-fml-03.eml", "list manager notice"},
    // Amazon SES "Delivery" notifications report a successful delivery.
    {"maildir/bsd/lhost-amazonses-12.eml", "SES success notification"},
    {"maildir/bsd/lhost-amazonses-13.eml", "SES success notification"},
};
// ARF samples that are not feedback reports for deskgate.
const std::map<std::string, std::string> kNotArf = {
    // Apple Mail's one-click unsubscribe: an automatic mail (Auto-Submitted), not an abuse report.
    {"maildir/bsd/arf-26.eml", "auto_reply"},
};

}  // namespace

TEST_CASE("corpus: sisimai bounces, vacation replies and ARF reports") {
    if (!corpus::available()) return;
    const auto dir = corpus::root() / "sisimai-set-of-emails";
    const std::regex status_form(R"([45]\.\d{1,3}\.\d{1,3})");
    std::size_t bounces = 0, vacations = 0, arf = 0, not_bounce = 0, with_recipient = 0, with_original = 0;
    std::map<std::string, int> misclassified;
    for (const auto& path : corpus::messages()) {
        std::string rel = corpus::fs::relative(path, dir).generic_string();
        if (rel.starts_with("..") || rel.starts_with("mailbox/")) continue;  // other sources; mbox files hold many mails
        CAPTURE(rel);
        auto m = parseMail(corpus::read(path));
        REQUIRE(m.has_value());
        std::string name = path.filename().string();
        if (rel.starts_with("maildir/not/")) {
            ++not_bounce;
            CHECK(kindName(m->kind) != "bounce");
        } else if (name.starts_with("rfc3834-")) {
            ++vacations;
            CHECK(kindName(m->kind) == "auto_reply");
        } else if (name.starts_with("arf-") || rel == "maildir/bsd/lhost-amazonses-11.eml") {  // -11: SES complaint
            ++arf;
            auto pinned = kNotArf.find(rel);
            CHECK(kindName(m->kind) == (pinned != kNotArf.end() ? pinned->second : "feedback_report"));
        } else if (kNotBounces.contains(rel)) {
            CHECK(kindName(m->kind) != "bounce");
        } else {
            ++bounces;
            if (kindName(m->kind) != "bounce") ++misclassified[kindName(m->kind)];
            CHECK(kindName(m->kind) == "bounce");
            if (m->bounce) {
                CHECK(std::regex_match(m->bounce->status, status_form));
                CHECK(m->bounce->permanent == (m->bounce->status.front() == '5'));
                if (!m->bounce->failed_recipient.empty()) ++with_recipient;
                if (!m->bounce->original_message_id.empty()) ++with_original;
            }
        }
    }
    MESSAGE("sisimai: " << bounces << " bounces (" << with_recipient << " with failed recipient, " << with_original
                        << " with original Message-ID), " << vacations << " vacation replies, " << arf << " ARF, "
                        << not_bounce << " non-bounces");
    for (const auto& [k, n] : misclassified) MESSAGE("bounces classified as " << k << ": " << n);
    CHECK(bounces > 700);
    CHECK(vacations >= 6);
}

TEST_CASE("corpus: talon replies split from their quotes") {
    if (!corpus::available()) return;
    const auto dir = corpus::root() / "talon" / "fixtures" / "standard_replies";
    // talon keeps signatures in the reply; deskgate cuts them (RFC 3676 "-- ", "Sent from my
    // iPhone"), so talon's expected text must start with deskgate's reply.
    for (const char* name : {"iphone", "sparrow"}) {
        CAPTURE(name);
        auto m = parseMail(corpus::read(dir / (std::string(name) + ".eml")));
        REQUIRE(m.has_value());
        std::string expected = corpus::read(dir / (std::string(name) + "_reply_text"));
        CHECK_FALSE(m->reply_text.empty());
        CHECK(expected.starts_with(m->reply_text));
        CHECK_FALSE(m->quoted.empty());
    }
    // The other talon samples ship no expected text; they all quote the previous mail.
    std::size_t split = 0, total = 0;
    for (const auto& e : corpus::fs::directory_iterator(dir)) {
        if (e.path().extension() != ".eml") continue;
        CAPTURE(e.path().filename().string());
        auto m = parseMail(corpus::read(e.path()));
        REQUIRE(m.has_value());
        ++total;
        CHECK_FALSE(m->quoted.empty());
        CHECK_FALSE(m->reply_text.empty());
        if (!m->quoted.empty()) ++split;
    }
    MESSAGE("talon standard replies split: " << split << "/" << total);
}

TEST_CASE("corpus: talon HTML replies split at the clients' quote markup") {
    if (!corpus::available()) return;
    const auto dir = corpus::root() / "talon" / "fixtures";
    std::vector<corpus::fs::path> files;
    for (const auto& e : corpus::fs::directory_iterator(dir / "html_replies")) files.push_back(e.path());
    files.push_back(dir / "reply-separated-by-hr.html");
    for (const auto& path : files) {
        CAPTURE(path.filename().string());
        auto m = parseMail("From: a@example.com\nContent-Type: text/html; charset=utf-8\n\n" + corpus::read(path));
        REQUIRE(m.has_value());
        CHECK_FALSE(m->quoted.empty());
        CHECK_FALSE(m->reply_text.empty());
        if (path.filename() == "reply-separated-by-hr.html") {
            CHECK(m->reply_text == "Hi\nthere\nBob");
        } else {
            // talon's html_replies all answer "Hi. I am fine. Thanks, Alex" above the quote; the
            // clients' markup (<p> or <div>) decides where blank lines fall, so compare without them.
            std::string compact = m->reply_text;
            while (compact.find("\n\n") != std::string::npos) compact.replace(compact.find("\n\n"), 2, "\n");
            CHECK(compact == "Hi. I am fine.\nThanks,\nAlex");
        }
    }
}
