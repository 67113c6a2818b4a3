// deskgate.yaml: what an admin configures. Loaded in two phases (yaml-cpp reads, then
// validation collects every error with file:line:col). `deskgate check` runs exactly this.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "parsers/parsed_mail.hpp"
#include "daemon/report_schedule.hpp"
#include "rules/desk/agent_proof.hpp"
#include "rules/desk/desk_facts.hpp"
#include "rules/yaml_check.hpp"

namespace deskgate {

// Where the commands look for the configuration when --config does not say.
inline constexpr const char* kDefaultConfigPath = "/etc/deskgate/deskgate.yaml";

struct MailboxConfig {
    std::string name;
    std::string url;        // imap://host:port or imaps://host:port
    std::string username;
    std::string password;   // resolved from password / password_file / ${ENV}
    std::string address;    // the support address this mailbox receives
    std::string folder = "INBOX";
    enum class After { flag, move } after_ingest = After::flag;
    std::string move_to;    // when after_ingest == move
    std::chrono::seconds poll_interval{30};
    bool idle = true;       // use IMAP IDLE when the server offers it
    std::string ca_file;    // extra CA bundle for TLS verification
    bool starttls = false;  // imap:// with STARTTLS required
    std::string language;   // default language of customers writing here
    std::size_t batch_size = 50;
    bool allow_plaintext = false;  // imap:// without STARTTLS to a host that is not this machine
    std::uint64_t max_batch_bytes = 32u << 20;  // bodies per batch (RFC822.SIZE), at least one mail
    std::chrono::seconds connect_timeout{30};   // TCP, TLS and login together
    std::chrono::seconds read_timeout{30};      // the server silent this long during a command: reconnect
    // What the very first start (no checkpoint) does with mail already in the folder: leave it
    // (new_only: start at UIDNEXT), take in what arrived since a time ago, or import all of it
    // as tickets without acknowledgements or notifications.
    enum class FirstStart { new_only, since, all } first_start = FirstStart::new_only;
    std::chrono::seconds first_start_since{0};  // first_start: { since: 7d }
};

struct SmtpConfig {
    std::string url;        // smtp://host:port[/ehlo-name] or smtps://
    std::string username;
    std::string password;
    std::string ca_file;
    bool starttls = false;
    std::chrono::seconds timeout{30};
    // Temporary failures (4xx, connection refused) are retried with doubling waits.
    std::chrono::seconds retry_initial{30};
    std::chrono::seconds retry_max{3600};
    std::chrono::seconds give_up_after{2 * 86400};
    bool allow_plaintext = false;  // smtp:// with a password, without STARTTLS, to another host
    // The largest mail the relay takes (Postfix's message_size_limit; its default, 10240000,
    // here too). Notifications leave the customer's original out above it, an agent's reply
    // with attachments over it is not relayed (the agent is told); see kRelayHeadroom.
    std::size_t max_message_size = 10'240'000;
};

// What a mail deskgate builds keeps free below smtp.max_message_size: the header lines relays
// add on the way (Received, DKIM-Signature, Authentication-Results).
inline constexpr std::size_t kRelayHeadroom = 32 * 1024;

// How agents work by mail.
struct AgentMailConfig {
    // What proves that a mail from an agent's address is the agent's (rules/desk/agent_proof.hpp):
    // any one of these. A mail that proves none is an outsider's, and the agent is told.
    std::vector<AgentProofMethod> agent_proof{AgentProofMethod::reply_key, AgentProofMethod::authentication_results};
    // Our own servers' host names: the authserv-id of their Authentication-Results and the `by`
    // of their Received fields.
    std::vector<std::string> trusted_servers;
    bool attach_original = true;               // notifications carry the customer's mail
    // Told when mail to an agent fails for good and the ticket's team has no lead to tell (or
    // the lead is the one who was not reached).
    std::vector<std::string> failure_notice_to;
};

// `metrics: { listen: "127.0.0.1:9464" }`: Prometheus text over HTTP; off when listen is empty.
struct MetricsConfig {
    std::string listen;  // host:port, [v6]:port or :port
};

struct IdentityConfig {
    std::string name = "Support";         // display name on outgoing mail
    std::string address;                  // From address of outgoing mail
    std::string domain;                   // for Message-IDs
    std::string token_format = "[Ticket#{number}]";
    std::vector<std::string> own_addresses;  // every address deskgate sends or receives as
};

struct Config {
    std::filesystem::path file;           // the file it was loaded from
    std::string database = "sqlite:deskgate.db";
    IdentityConfig identity;
    std::vector<MailboxConfig> mailboxes;
    SmtpConfig smtp;
    std::vector<AgentConfig> agents;
    AgentMailConfig agent_mail;
    bool notify_participants = true;      // addresses in Cc get the updates the customer gets
    std::filesystem::path rules_dir;
    bool rules_configured = false;        // `rules:` given: the directory must exist
    // Searched in order: a later directory's file replaces the same file of an earlier one.
    // `templates:` given: only that; otherwise the shipped templates, then templates/ next to
    // the file (where an admin overrides single files), whichever exist.
    std::vector<std::filesystem::path> templates_dirs;
    std::string language = "en";
    Limits limits;
    std::vector<ReportSchedule> reports;  // `reports:` mailed on a schedule (report_schedule.hpp)
    MetricsConfig metrics;
    // systemd is told READY=1 when every mailbox has logged in once, or after this long.
    std::chrono::seconds start_timeout{60};
    // Several daemons on one database: how long a daemon's claim on a mailbox or on outgoing
    // mail lasts unless renewed; a dead daemon's mailboxes and mail are taken over after it.
    std::chrono::seconds lease{20};

    const MailboxConfig* mailbox(std::string_view name) const;
    const AgentConfig* agentByAddress(std::string_view address) const;
    const AgentConfig* agentByName(std::string_view name) const;
    bool isOwnAddress(std::string_view address) const;
};

// "10240000", "10MB" (10^6), "10MiB" (2^20), "512KB", "1GB": bytes; nullopt for anything else.
std::optional<std::size_t> parseByteSize(std::string_view text);

// The host of an imap://, imaps://, smtp:// or smtps:// URL ("" when there is none), and
// whether it is this machine (127.0.0.0/8, ::1, localhost).
std::string urlHost(std::string_view url);
bool isLoopbackHost(std::string_view host);

// Settings that are allowed but lower the protection (allow_plaintext, agent_proof:
// [from_address]), each as a sentence for the log at start and for `deskgate check`.
std::vector<std::string> configWarnings(const Config& config);

// Where an installed deskgate finds its shipped files (GNUInstallDirs at build time).
struct InstallPaths {
    std::filesystem::path data_dir;  // /usr/share/deskgate: templates/, rules/ (the defaults)
};
const InstallPaths& installPaths();

// Reads and validates the file; every problem is returned, each with file:line:col. Without
// `rules:` the rules are rules/ next to the file when it holds any *.yaml, else the shipped
// defaults (data_dir/rules); without `templates:` see Config::templates_dirs.
std::expected<Config, std::vector<ConfigError>> loadConfig(const std::filesystem::path& file,
                                                           const InstallPaths& paths = installPaths());

}  // namespace deskgate
