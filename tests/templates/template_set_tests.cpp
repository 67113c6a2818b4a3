#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "templates/message_builder.hpp"
#include "templates/template_catalog.hpp"
#include "templates/template_set.hpp"
#include "tests/templates/mail_reader.hpp"

using namespace deskgate;

namespace {

const std::string kShipped = std::string(DESKGATE_SOURCE_DIR) + "/etc/templates";

// A complete, valid set for one language; tests then break one file.
std::map<std::string, std::string> minimalSet(const std::string& lang = "en") {
    std::map<std::string, std::string> files;
    for (const std::string& name : requiredTemplateNames())
        files[lang + "/" + name + ".mustache"] = "Subject: {{token}} " + name + "\n\nHello {{customer.name}}\n";
    return files;
}

std::vector<std::string> errorsOf(const std::map<std::string, std::string>& files, const TemplateSetOptions& options = {}) {
    auto set = TemplateSet::fromSources(files, options, "t");
    std::vector<std::string> out;
    if (!set)
        for (const TemplateError& e : set.error()) out.push_back(e.str());
    return out;
}

TemplateValues ticketValues() {
    TemplateValues v;
    v.set("ticket.number", "1042")
        .set("token", "[Ticket#1042]")
        .set("ticket.subject", "Drucker druckt nicht")
        .set("ticket.status", "open")
        .set("ticket.priority", "normal")
        .set("ticket.queue", "it")
        .set("customer.name", "Jürgen Weiß")
        .set("customer.address", "juergen@customer.example")
        .set("support.address", "support@example.com")
        .set("support.name", "Example Support");
    return v;
}

}  // namespace

TEST_CASE("the shipped templates load without errors, in English and German") {
    auto set = TemplateSet::load(kShipped, {.languages = {"en", "de"}});
    if (!set)
        for (const TemplateError& e : set.error()) FAIL_CHECK(e.str());
    REQUIRE(set);
    CHECK(set->languages() == std::vector<std::string>{"de", "en"});
    for (const std::string& name : requiredTemplateNames())
        for (const char* lang : {"en", "de"}) CHECK(set->has(name, lang));
}

TEST_CASE("every shipped template renders, customer mails with the token in the subject") {
    auto set = TemplateSet::load(kShipped, {.languages = {"en", "de"}});
    REQUIRE(set);
    TemplateValues v = ticketValues();
    v.set("text", "Hallo,\nder Drucker geht nicht.\n").set("agent.name", "Ben Becker");
    v.set("error.line", "#priorty high").set("error.reason", "unknown command");
    v.set("escalation.step", "first_response").set("escalation.deadline", "2026-11-27 17:00 CET");
    v.set("rating", "5").set("rating_question", "1").set("auto_close.days", "7").set("event.created", "1");
    for (const TemplateInfo& info : templateCatalog()) {
        for (const char* lang : {"en", "de"}) {
            CAPTURE(info.name);
            CAPTURE(lang);
            auto mail = set->render(info.name, lang, v);
            REQUIRE(mail);
            CHECK(mail->language == lang);
            CHECK(mail->subject.find("[Ticket#1042]") != std::string::npos);
            CHECK(mail->subject.find('\n') == std::string::npos);
            CHECK(mail->text.find("{{") == std::string::npos);
            CHECK(mail->text.ends_with("\n"));
            CHECK_FALSE(mail->text.ends_with("\n\n"));
            CHECK_FALSE(mail->html);
            if (info.customer_facing && info.name != "agent_reply")
                CHECK(mail->text.find("Jürgen Weiß") != std::string::npos);
            CHECK(mail->text.find("\n\n\n") == std::string::npos);
            CHECK_FALSE(mail->text.starts_with("\n"));
        }
    }
}

TEST_CASE("rendering table: subjects and key lines of the shipped templates") {
    auto set = TemplateSet::load(kShipped, {.languages = {"en", "de"}});
    REQUIRE(set);
    struct Row {
        std::string name, lang, subject, contains;
    };
    const Row rows[] = {
        {"acknowledgement", "en", "[Ticket#1042] Received: Drucker druckt nicht", "Hello Jürgen Weiß,\n"},
        {"acknowledgement", "de", "[Ticket#1042] Eingangsbestätigung: Drucker druckt nicht", "Guten Tag Jürgen Weiß,\n"},
        {"acknowledgement", "de-AT", "[Ticket#1042] Eingangsbestätigung: Drucker druckt nicht", "Freundliche Grüße\nExample Support\n"},
        {"acknowledgement", "fr", "[Ticket#1042] Received: Drucker druckt nicht", "Kind regards\nExample Support\n"},
        {"status_changed", "en", "[Ticket#1042] Status update: Drucker druckt nicht", "New status: being worked on\n"},
        {"status_changed", "de", "[Ticket#1042] Neuer Status: Drucker druckt nicht", "Neuer Status: in Bearbeitung\n"},
        {"agent_reply", "de", "AW: [Ticket#1042] Drucker druckt nicht", "Example Support\n"},
        {"resolved", "de", "[Ticket#1042] Gelöst: Drucker druckt nicht", "als gelöst markiert."},
    };
    for (const Row& row : rows) {
        CAPTURE(row.name);
        CAPTURE(row.lang);
        auto mail = set->render(row.name, row.lang, ticketValues());
        REQUIRE(mail);
        CHECK(mail->subject == row.subject);
        CHECK(mail->text.find(row.contains) != std::string::npos);
    }
}

TEST_CASE("sections: optional parts appear only when their values are set") {
    auto set = TemplateSet::load(kShipped, {.languages = {"en", "de"}});
    REQUIRE(set);
    TemplateValues v = ticketValues();
    v.set("customer.name", "");
    auto ack = set->render("acknowledgement", "en", v);
    REQUIRE(ack);
    CHECK(ack->text.starts_with("Hello,\n"));

    auto resolved = set->render("resolved", "en", ticketValues());
    REQUIRE(resolved);
    CHECK(resolved->text.find("How satisfied") == std::string::npos);
    CHECK(resolved->text.find("\n\n\n") == std::string::npos);
    v = ticketValues();
    v.set("rating_question", "1");
    resolved = set->render("resolved", "de", v);
    REQUIRE(resolved);
    CHECK(resolved->text.find("Wie zufrieden sind Sie mit unserer Hilfe?") != std::string::npos);

    v = ticketValues();
    v.set("ticket.status", "pending");
    auto status = set->render("status_changed", "en", v);
    REQUIRE(status);
    CHECK(status->text.find("New status: waiting for your reply\n") != std::string::npos);
    CHECK(status->text.find("We need some more information") != std::string::npos);

    v = ticketValues();
    v.set("event.customer_reply", "1").set("text", "noch da?");
    v.add("attachments", TemplateValues{}.set("name", "foto.jpg").set("type", "image/jpeg").set("size", "12 KB"));
    v.add("attachments", TemplateValues{}.set("name", "a.pdf").set("type", "application/pdf").set("size", "1 MB"));
    auto note = set->render("agent_notification", "de", v);
    REQUIRE(note);
    CHECK(note->text.starts_with("Jürgen Weiß hat erneut geschrieben.\n\nTicket:     1042\n"));
    CHECK(note->text.find("Queue:      it\n"
                          "Anhang:     foto.jpg (image/jpeg, 12 KB)\n"
                          "Anhang:     a.pdf (application/pdf, 1 MB)\n"
                          "\n---") != std::string::npos);
    CHECK(note->text.find("Folgt auf") == std::string::npos);
}

TEST_CASE("text templates never HTML-escape; HTML templates do") {
    auto files = minimalSet();
    files["en/acknowledgement.mustache"] = "Subject: {{token}} {{ticket.subject}}\n\nHi {{customer.name}} / {{{customer.name}}}\n";
    files["en/acknowledgement.html.mustache"] = "<p>Hi {{customer.name}} / {{{customer.name}}}</p>\n";
    auto set = TemplateSet::fromSources(files);
    REQUIRE(set);
    TemplateValues v;
    v.set("token", "[Ticket#7]").set("ticket.subject", "a < b & \"c\"").set("customer.name", "Tom & <Jerry>");
    auto mail = set->render("acknowledgement", "en", v);
    REQUIRE(mail);
    CHECK(mail->subject == "[Ticket#7] a < b & \"c\"");
    CHECK(mail->text == "Hi Tom & <Jerry> / Tom & <Jerry>\n");
    REQUIRE(mail->html);
    CHECK(*mail->html == "<p>Hi Tom &amp; &lt;Jerry&gt; / Tom & <Jerry></p>\n");
}

TEST_CASE("values are never rendered as templates, and line breaks never reach the subject") {
    auto set = TemplateSet::fromSources(minimalSet());
    REQUIRE(set);
    TemplateValues v;
    v.set("token", "[Ticket#7]\r\nBcc: x@y").set("customer.name", "{{token}} {{#x}}");
    auto mail = set->render("acknowledgement", "en", v);
    REQUIRE(mail);
    CHECK(mail->subject == "[Ticket#7] Bcc: x@y acknowledgement");
    CHECK(mail->text == "Hello {{token}} {{#x}}\n");
}

TEST_CASE("language fallback") {
    auto files = minimalSet();
    for (const std::string& name : requiredTemplateNames())
        files["de/" + name + ".mustache"] = "Subject: {{token}} de-" + name + "\n\nHallo\n";
    auto set = TemplateSet::fromSources(files, {.languages = {"en", "de"}});
    REQUIRE(set);
    CHECK(set->resolveLanguage("acknowledgement", "de") == "de");
    CHECK(set->resolveLanguage("acknowledgement", "DE_ch") == "de");
    CHECK(set->resolveLanguage("acknowledgement", "de-AT") == "de");
    CHECK(set->resolveLanguage("acknowledgement", "fr") == "en");
    CHECK(set->resolveLanguage("acknowledgement", "") == "en");
    CHECK(set->resolveLanguage("nonsense", "de") == "");
    auto mail = set->render("acknowledgement", "fr", TemplateValues{}.set("token", "[T#1]"));
    REQUIRE(mail);
    CHECK(mail->language == "en");
    CHECK(mail->subject == "[T#1] acknowledgement");
    auto missing = set->render("nonsense", "en", {});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == "unknown template 'nonsense'");
}

TEST_CASE("loading errors name file:line:col") {
    struct Row {
        std::string file, content, error;
    };
    const Row rows[] = {
        {"en/acknowledgement.mustache", "Subject: {{token}} x\n\nHello {{customer.name\n",
         "t/en/acknowledgement.mustache:3:7: mustache syntax: unclosed tag"},
        {"en/acknowledgement.mustache", "Subject: {{token}} x\n\nline\n{{#ticket.subject}}\nopen section\n",
         "t/en/acknowledgement.mustache:4:1: mustache syntax: unclosed section \"ticket.subject\""},
        {"en/acknowledgement.mustache", "Subject: {{token}} x\n\nline\n  {{/ticket}}\n",
         "t/en/acknowledgement.mustache:4:3: mustache syntax: unopened section \"ticket\""},
        {"en/acknowledgement.mustache", "Subject: {{token}} {{ticket.subjct}}\n\nbody\n",
         "t/en/acknowledgement.mustache:1:20: unknown variable 'ticket.subjct' in template 'acknowledgement' (did you mean 'ticket.subject'?)"},
        {"en/acknowledgement.mustache", "Subject: {{token}} Grüße {{tokn}}\n\nbody\n",
         "t/en/acknowledgement.mustache:1:26: unknown variable 'tokn' in template 'acknowledgement' (did you mean 'token'?)"},
        {"en/acknowledgement.mustache", "Subject: {{token}}\n\nä {{error.line}}\n",
         "t/en/acknowledgement.mustache:3:3: unknown variable 'error.line' in template 'acknowledgement'"},
        {"en/acknowledgement.mustache", "Hello\n\nbody\n",
         "t/en/acknowledgement.mustache:1:1: the first line must be 'Subject: …' (the mail's subject, a mustache template)"},
        {"en/acknowledgement.mustache", "Subject: {{token}}\nbody\n",
         "t/en/acknowledgement.mustache:2:1: expected an empty line between the Subject line and the body"},
        {"en/acknowledgement.mustache", "Subject: {{token}}\n\n\n",
         "t/en/acknowledgement.mustache:3:1: the body is empty"},
        {"en/acknowledgement.mustache", "Subject:   Hello {{customer.name}}\n\nbody\n",
         "t/en/acknowledgement.mustache:1:12: the subject of a mail to the customer must contain {{token}}, so replies find the ticket"},
        {"en/acknowledgement.mustache", "Subject: {{token}}\n\nok\n{{> footer}}\n",
         "t/en/acknowledgement.mustache:4:1: partials ({{> footer}}) are not supported"},
        {"en/acknowledgement.mustache", "Subject: {{token}}\r\n\r\nok\r\nbad \xff byte\r\n",
         "t/en/acknowledgement.mustache:4:5: invalid UTF-8 (template files must be UTF-8)"},
        {"en/ackowledgement.mustache", "Subject: {{token}}\n\nbody\n",
         "t/en/ackowledgement.mustache: unknown template 'ackowledgement' (did you mean 'acknowledgement'?)"},
        {"english/acknowledgement.mustache", "Subject: {{token}}\n\nbody\n",
         "t/english/acknowledgement.mustache: 'english' is not a language directory (like en or de)"},
        {"en/command_error.html.mustache", "<p>{{error.reasn}}</p>\n",
         "t/en/command_error.html.mustache:1:4: unknown variable 'error.reasn' in template 'command_error' (did you mean 'error.reason'?)"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.content);
        auto files = minimalSet();
        files[row.file] = row.content;
        CHECK(errorsOf(files) == std::vector<std::string>{row.error});
    }
}

TEST_CASE("loading errors: missing templates and languages, all reported at once") {
    auto files = minimalSet();
    files.erase("en/resolved.mustache");
    files["de/acknowledgement.mustache"] = "Subject: {{token}} Grüße\n\nHallo {{customer.nam}}\n";
    files["en/escalation.mustache"] = "Subject: {{token}}\n\n{{#x}}\n";
    const std::vector<std::string> expected = {
        "t/de/acknowledgement.mustache:3:7: unknown variable 'customer.nam' in template 'acknowledgement' (did you mean 'customer.name'?)",
        "t/de/agent_delivery_failed.mustache: template 'agent_delivery_failed' is missing in language 'de'",
        "t/de/agent_notification.mustache: template 'agent_notification' is missing in language 'de'",
        "t/de/agent_reply.mustache: template 'agent_reply' is missing in language 'de'",
        "t/de/agent_unproven.mustache: template 'agent_unproven' is missing in language 'de'",
        "t/de/auto_closed.mustache: template 'auto_closed' is missing in language 'de'",
        "t/de/command_error.mustache: template 'command_error' is missing in language 'de'",
        "t/de/delivery_failed.mustache: template 'delivery_failed' is missing in language 'de'",
        "t/de/escalation.mustache: template 'escalation' is missing in language 'de'",
        "t/de/rating_thanks.mustache: template 'rating_thanks' is missing in language 'de'",
        "t/de/reply_too_large.mustache: template 'reply_too_large' is missing in language 'de'",
        "t/de/resolved.mustache: template 'resolved' is missing in language 'de'",
        "t/de/status_changed.mustache: template 'status_changed' is missing in language 'de'",
        "t/en/escalation.mustache:3:1: mustache syntax: unclosed section \"x\"",
        "t/en/resolved.mustache: template 'resolved' is missing in language 'en'",
        "t/fr/: language 'fr' is missing",
    };
    CHECK(errorsOf(files, {.languages = {"en", "fr"}}) == expected);
}

TEST_CASE("TemplateSet::load reads a directory and reports files by path") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("deskgate-templates-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "en");
    for (const auto& [key, content] : minimalSet()) std::ofstream(dir / key, std::ios::binary) << content;
    std::ofstream(dir / "en" / "README.txt") << "not a template\n";
    CHECK(TemplateSet::load(dir));
    std::ofstream(dir / "en" / "agent_reply.mustache", std::ios::binary) << "Subject: {{token}}\n\n{{text}\n";
    auto set = TemplateSet::load(dir);
    REQUIRE_FALSE(set);
    REQUIRE(set.error().size() == 1);
    CHECK(set.error()[0].str() == (dir / "en" / "agent_reply.mustache").string() + ":3:1: mustache syntax: unclosed tag");
    CHECK_FALSE(TemplateSet::load(dir / "nonexistent"));
    fs::remove_all(dir);
}

TEST_CASE("end to end: a German acknowledgement as the customer's client decodes it") {
    auto set = TemplateSet::load(kShipped, {.languages = {"en", "de"}});
    REQUIRE(set);
    TemplateValues v = ticketValues();
    v.set("ticket.subject", "Größere Störung – Drucker");
    auto rendered = set->render("acknowledgement", "de", v);
    REQUIRE(rendered);
    OutgoingMail m;
    m.from = {"Kundendienst Süd", "support@example.com"};
    m.to = {{"Jürgen Weiß", "juergen@customer.example"}};
    m.subject = rendered->subject;
    m.text = rendered->text;
    m.message_id = makeMessageId("example.com", "t1042-o1");
    m.in_reply_to = "CAF1@customer.example";
    m.auto_submitted = "auto-replied";
    m.date = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27};
    const std::string raw = buildMessage(m);
    CHECK(testmail::decodeWords(testmail::header(raw, "Subject")) ==
          "[Ticket#1042] Eingangsbestätigung: Größere Störung – Drucker");
    const auto parts = testmail::parts(raw);
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].text.starts_with("Guten Tag Jürgen Weiß,\n\nvielen Dank für Ihre Nachricht."));
    CHECK(parts[0].text.find("Freundliche Grüße\nExample Support\n") != std::string::npos);
}

TEST_CASE("language directories are case-insensitive; an HTML file needs its text template") {
    auto files = minimalSet("EN");
    auto set = TemplateSet::fromSources(files);
    REQUIRE(set);
    CHECK(set->languages() == std::vector<std::string>{"en"});

    files = minimalSet();
    files.erase("en/escalation.mustache");
    files["en/escalation.html.mustache"] = "<p>{{ticket.number}}</p>\n";
    CHECK(errorsOf(files) == std::vector<std::string>{
                                 "t/en/escalation.html.mustache: HTML alternative without a text template (escalation.mustache)",
                                 "t/en/escalation.mustache: template 'escalation' is missing in language 'en'"});
}
