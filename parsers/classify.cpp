#include "parsers/classify.hpp"
#include "parsers/ascii.hpp"

#include "parsers/address_parser.hpp"
#include "parsers/status_code.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace deskgate {
namespace {

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

// "rfc822; user@example.com" → "user@example.com"
std::string addressOfTypedField(std::string_view v) {
    if (auto semi = v.find(';'); semi != std::string_view::npos) v = v.substr(semi + 1);
    v = trimSpace(v);
    if (!v.empty() && v.front() == '<') v.remove_prefix(1);
    if (!v.empty() && v.back() == '>') v.remove_suffix(1);
    return std::string(trimSpace(v));
}

// A basic SMTP reply code (RFC 5321 §4.2) "550 " → "5.0.0".
std::string findSmtpCode(std::string_view text) {
    for (std::size_t i = 0; i + 4 <= text.size(); ++i) {
        char c = text[i];
        if ((c != '4' && c != '5') || (i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '.' ||
                                                 text[i - 1] == '-' || text[i - 1] == ':' || text[i - 1] == '/')))
            continue;
        if (!std::isdigit(static_cast<unsigned char>(text[i + 1])) || !std::isdigit(static_cast<unsigned char>(text[i + 2])))
            continue;
        if (text[i + 1] > '5') continue;
        char after = text[i + 3];
        if (after != ' ' && after != '-') continue;
        return std::string(1, c) + ".0.0";
    }
    return {};
}

// The first address in the bounce text that is not the bouncer's own: qmail's
// "<user@x>:", Exim's indented address, Sendmail's "... User unknown" lines.
std::string findRecipientInText(std::string_view text, std::string_view exclude) {
    std::size_t i = 0;
    while ((i = text.find('@', i)) != std::string_view::npos) {
        std::size_t s = i, e = i + 1;
        auto ok = [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '+' || c == '=' ||
                   c == '\'' || c == '%' || c == '/' || c == '!' || c == '#' || c == '$' || c == '&' || c == '*' ||
                   c == '^' || c == '{' || c == '}' || c == '|' || c == '~' || c == '?' ||
                   static_cast<unsigned char>(c) >= 0x80;
        };
        while (s > 0 && ok(text[s - 1])) --s;
        while (e < text.size() && ok(text[e])) ++e;
        std::string_view a = text.substr(s, e - s);
        while (!a.empty() && (a.back() == '.' || a.back() == '-')) a.remove_suffix(1);
        i = e;
        if (s == i - 0 || a.find('@') == 0 || a.find('.', a.find('@')) == std::string_view::npos) continue;
        std::string la = lower(a);
        if (la == lower(exclude) || la.starts_with("mailer-daemon@") || la.starts_with("postmaster@")) continue;
        return std::string(a);
    }
    return {};
}

bool temporaryWording(std::string_view t) {
    static constexpr std::array<std::string_view, 7> kWords{
        "delayed", "will retry", "temporar", "still trying", "has not yet been delivered", "warning: message",
        "not been delivered yet"};
    for (auto w : kWords)
        if (contains(t, w)) return true;
    return false;
}

// When an MTA gives no enhanced status code (or only x.0.0), its wording says which
// RFC 3463 detail applies; the table follows the reasons sisimai distinguishes.
std::string refineStatus(const std::string& status, std::string_view text) {
    struct Reason {
        std::string_view detail;  // "1.1" of x.1.1
        std::array<std::string_view, 8> phrases;
    };
    static constexpr std::array<Reason, 9> kReasons{{
        {"2.2", {"mailbox full", "mailbox is full", "quota exceeded", "over quota", "exceeded storage",
                 "insufficient storage", "mailbox size limit", "overquota"}},
        {"1.1", {"user unknown", "unknown user", "no such user", "does not exist", "invalid recipient",
                 "recipient address rejected", "mailbox not found", "unknown recipient"}},
        {"2.1", {"mailbox disabled", "account disabled", "account has been disabled", "suspended",
                 "mailbox unavailable", "inactive", "account is locked", "deactivated"}},
        {"1.2", {"host not found", "domain not found", "no mx", "unrouteable", "name or service not known",
                 "host unknown", "domain does not exist", "no such domain"}},
        {"3.4", {"message too large", "message size exceeds", "size limit", "too big", "message is too large",
                 "exceeds the maximum size", "message length exceeds", "larger than"}},
        {"7.1", {"spam", "blocked", "blacklist", "blocklist", "relaying denied", "relay access denied",
                 "not permitted", "policy"}},
        {"4.7", {"timed out", "timeout", "delivery time expired", "too long in queue", "retry time",
                 "could not be delivered for", "expired", "have been failing"}},
        {"1.8", {"unroutable sender", "sender address rejected", "sender domain", "domain of sender",
                 "sender verify failed", "", "", ""}},
        {"7.1", {"reverse dns", "ptr record", "spf", "access denied", "denied", "not allowed", "refused",
                 "rejected"}},
    }};
    if (status.size() < 5 || status.substr(1) != ".0.0") return status;
    for (const auto& r : kReasons)
        for (auto phrase : r.phrases)
            if (!phrase.empty() && contains(text, phrase)) return std::string(1, status.front()) + "." + std::string(r.detail);
    return status;
}

}  // namespace

BounceInfo parseDeliveryStatus(std::string_view dsn) {
    BounceInfo info;
    // Fields are unfolded one per line; per-recipient blocks follow the per-message block.
    BounceInfo current;
    std::string action;
    std::string status_field;  // this block's Status, normalised to x.y.z
    std::string diagnostic;    // this block's Diagnostic-Code, unfolded
    bool chosen = false;
    auto commit = [&] {
        current.status = preferStatus(status_field, diagnostic);
        status_field.clear();
        diagnostic.clear();
        if (chosen) return;
        if (!current.failed_recipient.empty() || !current.status.empty()) {
            bool failed = action.empty() || action == "failed";
            if (info.failed_recipient.empty() && info.status.empty()) info = current;
            if (failed) {
                info = current;
                chosen = true;
            }
        }
        current = BounceInfo{};
        action.clear();
    };
    std::size_t pos = 0;
    std::string last_name;
    while (pos <= dsn.size()) {
        std::size_t eol = dsn.find('\n', pos);
        if (eol == std::string_view::npos) eol = dsn.size();
        std::string_view line = dsn.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = eol + 1;
        if (trimSpace(line).empty()) {
            commit();
            if (eol == dsn.size()) break;
            continue;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            // RFC 5322 §2.2.3 unfolding of a long Diagnostic-Code.
            if (last_name == "diagnostic-code" && diagnostic.size() < 4096) diagnostic += std::string(line);
            if (eol == dsn.size()) break;
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name = lower(trimSpace(line.substr(0, colon)));
        std::string_view value = trimSpace(line.substr(colon + 1));
        last_name = name;
        if (name == "final-recipient") current.failed_recipient = addressOfTypedField(value);
        else if (name == "original-recipient" && current.failed_recipient.empty()) current.failed_recipient = addressOfTypedField(value);
        else if (name == "status") {
            std::string s = findStatusCode(value);
            if (s.empty()) {
                // "Status: 5.0" or "Status: 550" — keep what is there, normalised to x.y.z.
                std::string_view v = trimSpace(value.substr(0, value.find_first_of(" (")));
                if (!v.empty() && (v[0] == '4' || v[0] == '5')) s = v.find('.') == std::string_view::npos ? std::string(1, v[0]) + ".0.0" : std::string(v);
            }
            if (!s.empty()) status_field = s;
        } else if (name == "action") action = lower(value);
        else if (name == "diagnostic-code" && diagnostic.empty()) diagnostic = std::string(value.substr(0, 4096));
        if (eol == dsn.size()) break;
    }
    commit();
    if (!info.status.empty()) info.permanent = info.status.front() == '5';
    return info;
}

void classify(ParsedMail& mail, const ReportParts& report) {
    auto header = [&](std::string_view name) -> std::string {
        const std::string* v = mail.header(name);
        return v ? lower(trimSpace(*v)) : std::string();
    };
    std::string subject = lower(mail.subject);
    std::string from = mail.from.empty() ? std::string() : lower(mail.from.front().address);
    std::string from_local = from.substr(0, from.find('@'));
    std::string from_name = mail.from.empty() ? std::string() : lower(mail.from.front().name);

    // RFC 5965: abuse/feedback reports are neither bounces nor human mail.
    // Hotmail's JMRP complaints are ARF-like reports sent as multipart/mixed.
    bool jmrp = contains(subject, "complaint about message from");
    // Amazon SES complaint notifications (JSON over SNS) are feedback reports too.
    if (contains(mail.text.substr(0, 2048), "\"notificationType\":\"Complaint\"")) jmrp = true;
    if (report.feedback_report || report.report_type == "feedback-report" || jmrp) {
        mail.kind = MailKind::feedback_report;
        return;
    }

    // Bounces: RFC 3464 DSN first, then what non-standard MTAs send.
    bool dsn = !report.delivery_status.empty() || report.report_type == "delivery-status";
    // MAILER-DAEMON sends nothing but delivery reports (RFC 5321 §4.5.5 null sender mail).
    bool mailer_daemon = contains(from_local, "mailer-daemon") || from_local == "mail-daemon" ||
                         from_local == "mailerdaemon" || contains(from_name, "mailer-daemon") ||
                         contains(from_name, "mailer daemon") || contains(from_name, "mail delivery") ||
                         contains(from_name, "mail deliver") || contains(from_name, "ndr administrator");
    // Role senders that also send bounces, but are sometimes people: need a second sign.
    bool role_sender = from_local == "postmaster" || from_local == "post_master" || contains(from_local, "postmaster") ||
                       contains(from_local, "bounce") || contains(from_local, "mdaemon") || from_local == "no-reply" ||
                       from_local == "noreply" || contains(from_local, "daemon") || from_local == "sysadmin" ||
                       contains(from_name, "interscan") || contains(from_name, "system administrator") ||
                       from.empty();
    static constexpr std::array<std::string_view, 34> kBounceSubjects{
        "undeliver", "undelivered mail", "delivery status notification", "delivery failure", "delivery failed",
        "returned mail", "mail delivery failed", "failure notice", "delivery notification", "non-delivery",
        "nondeliverable", "non remis", "unzustellbar", "nicht zustellbar", "mail system error", "delivery problem",
        "could not be delivered", "message not delivered", "delivery has failed", "returned to sender",
        "could not send", "mail could not be delivered", "delivery report", "rejected", "failed delivery",
        "failure delivery", "error sending", "delayed mail", "mail failed", "returning to sender", "メールエラー",
        "配信できません", "配信エラー", "errors from"};
    bool bounce_subject = false;
    for (auto s : kBounceSubjects) bounce_subject = bounce_subject || contains(subject, s);
    if (subject.starts_with("warning:") && contains(subject, "delayed")) bounce_subject = true;
    // What bounce texts say in their first lines.
    static constexpr std::array<std::string_view, 19> kBounceBody{
        "invalid user address", "no such user", "error message below:",
        "could not be delivered", "couldn't be delivered", "unable to deliver", "delivery to the following recipient",
        "this is the mail system at host", "delivery has failed", "permanent error", "wasn't able to deliver",
        "was not able to deliver", "undeliverable", "user unknown", "delivery status notification",
        "\"notificationtype\":\"bounce\"", "\"bouncetype\"", "returned to sender", "could not deliver"};
    // Only needed (and only computed) when the sender or the subject already hint at a bounce.
    auto bounceBody = [&] {
        std::string head = lower(std::string_view(mail.text).substr(0, 4096));
        for (auto s : kBounceBody)
            if (contains(head, s)) return true;
        return false;
    };
    bool has_original = !report.original_headers.empty() ||
                        std::any_of(mail.attachments.begin(), mail.attachments.end(),
                                    [](const Attachment& a) { return a.content_type == "message/rfc822"; });
    bool failed_header = mail.header("X-Failed-Recipients") != nullptr;
    // A DSN with only "Action: delivered/relayed/expanded" is a success report, not a bounce.
    BounceInfo from_dsn;
    for (const auto& body : report.delivery_status) {
        from_dsn = parseDeliveryStatus(body);
        if (!from_dsn.status.empty() || !from_dsn.failed_recipient.empty()) break;
    }
    bool success_dsn = dsn && !from_dsn.status.empty() && from_dsn.status.front() == '2';
    bool forwarded_by_person = subject.starts_with("fwd:") || subject.starts_with("fw:") || subject.starts_with("wg:");
    bool bounce = (dsn && !success_dsn) || failed_header || (mailer_daemon && !forwarded_by_person) ||
                  (role_sender && (bounce_subject || dsn || has_original || bounceBody())) ||
                  (bounce_subject && !forwarded_by_person && (report.multipart_report || has_original ||
                                                              mail.header("Auto-Submitted") != nullptr || bounceBody()));
    if (bounce) {
        mail.kind = MailKind::bounce;
        BounceInfo info = from_dsn;
        // The MTA's own explanation is at the top; a copy of the returned message may follow.
        std::string text_lower = lower(std::string_view(mail.text).substr(0, 8192));
        if (info.failed_recipient.empty()) {
            if (const std::string* x = mail.header("X-Failed-Recipients")) {
                auto list = parseAddressList(*x, nullptr);
                if (!list.empty()) info.failed_recipient = list.front().address;
            }
        }
        if (info.failed_recipient.empty()) {
            std::string own = mail.from.empty() ? std::string() : mail.from.front().address;
            // Look after the usual "following address(es) failed" markers first.
            std::string_view text(mail.text);
            info.failed_recipient = findRecipientInText(text, own);
            if (info.failed_recipient.empty() && !mail.to.empty()) info.failed_recipient = {};
        }
        // The MTA's text quotes the SMTP reply: its code refines a DSN's generic x.0.0 (same
        // class) and is the status of a bounce without a DSN (innermost quoted reply first).
        if (info.status.empty() || isGenericStatus(info.status)) {
            std::string from_text = causeStatusCode(mail.text);
            if (info.status.empty() || (!from_text.empty() && !isGenericStatus(from_text) &&
                                        from_text.front() == info.status.front()))
                if (!from_text.empty()) info.status = from_text;
        }
        if (info.status.empty()) info.status = findSmtpCode(mail.text);
        if (info.status.empty()) {
            // Sendmail-era and provider bounces that give no code: keep the class the text states.
            info.status = temporaryWording(text_lower) || temporaryWording(subject) ? "4.0.0" : "5.0.0";
        }
        // The MTA's explanation comes first; a returned copy of the message may follow it.
        info.status = refineStatus(info.status, std::string_view(text_lower).substr(0, 2048));
        info.permanent = info.status.front() == '5';
        if (info.original_message_id.empty() && !report.original_headers.empty()) {
            // The returned message's own Message-ID field.
            std::string_view h = report.original_headers;
            std::size_t p = 0;
            while (p < h.size()) {
                std::size_t eol = h.find('\n', p);
                if (eol == std::string_view::npos) eol = h.size();
                std::string_view line = h.substr(p, eol - p);
                if (line.size() > 11 && lower(line.substr(0, 11)) == "message-id:") {
                    std::string v(line.substr(11));
                    if (eol + 1 < h.size() && (h[eol + 1] == ' ' || h[eol + 1] == '\t')) {
                        std::size_t e2 = h.find('\n', eol + 1);
                        v += h.substr(eol + 1, e2 == std::string_view::npos ? std::string_view::npos : e2 - eol - 1);
                    }
                    auto ids = parseMessageIds(v);
                    if (!ids.empty()) info.original_message_id = ids.front();
                    break;
                }
                p = eol + 1;
            }
        }
        if (info.original_message_id.empty()) {
            // Returned headers quoted in the bounce text (qmail, Exim, Sendmail "----- Original message -----").
            std::string_view text(mail.text);
            for (std::size_t p = 0; p < text.size();) {
                std::size_t eol = text.find('\n', p);
                if (eol == std::string_view::npos) eol = text.size();
                std::string_view line = trimSpace(text.substr(p, eol - p));
                if (line.size() > 11 && lower(line.substr(0, 11)) == "message-id:") {
                    auto ids = parseMessageIds(line.substr(11));
                    if (!ids.empty() && ids.front() != mail.message_id) {
                        info.original_message_id = ids.front();
                        break;
                    }
                }
                p = eol + 1;
            }
        }
        mail.bounce = std::move(info);
        return;
    }

    // Auto-replies (RFC 3834 §5: Auto-Submitted other than "no").
    std::string auto_submitted = header("Auto-Submitted");
    auto set_auto = [&](std::string reason) {
        mail.kind = MailKind::auto_reply;
        mail.auto_reply_reason = std::move(reason);
    };
    if (!auto_submitted.empty() && auto_submitted.substr(0, auto_submitted.find_first_of(" ;(")) != "no") {
        set_auto("Auto-Submitted: " + auto_submitted);
        return;
    }
    for (std::string_view h : {"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-AutoReply-From", "X-Mail-Autoreply"}) {
        if (const std::string* v = mail.header(h)) {
            set_auto(std::string(h) + ": " + std::string(trimSpace(*v)));
            return;
        }
    }
    static constexpr std::array<std::string_view, 22> kOooSubjects{
        "out of office", "out of the office", "automatic reply", "auto reply", "autoreply", "auto-reply",
        "auto response", "autoresponse", "automatische antwort", "abwesenheitsnotiz", "abwesenheit",
        "außer haus", "ausser haus", "nicht im büro", "nicht im haus", "vacation reply", "on vacation",
        "i am away", "réponse automatique", "respuesta automática", "automatisch antwoord", "afwezig"};
    for (auto s : kOooSubjects) {
        if (contains(subject, s)) {
            set_auto("Subject: " + mail.subject);
            return;
        }
    }
    if (subject.starts_with("auto:") || subject.starts_with("automatic reply:") || subject.starts_with("autosvar")) {
        set_auto("Subject: " + mail.subject);
        return;
    }
    // Microsoft sets X-Auto-Response-Suppress on its own automatic mail (OOF, recalls, receipts).
    std::string suppress = header("X-Auto-Response-Suppress");
    if (!suppress.empty() && suppress != "none" && (contains(suppress, "all") || contains(suppress, "oof") || contains(suppress, "autoreply"))) {
        set_auto("X-Auto-Response-Suppress: " + suppress);
        return;
    }

    std::string precedence = header("Precedence");
    bool list_headers = mail.header("List-Id") != nullptr || mail.header("List-Post") != nullptr ||
                        mail.header("Mailing-List") != nullptr || mail.header("List-Unsubscribe") != nullptr;
    if (list_headers || precedence == "list") {
        mail.kind = MailKind::list;
        return;
    }
    if (precedence == "bulk" || precedence == "junk" || precedence == "auto_reply") {
        set_auto("Precedence: " + precedence);
        return;
    }
}

}  // namespace deskgate
