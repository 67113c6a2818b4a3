#include "daemon/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "parsers/ascii.hpp"

namespace deskgate {

namespace {

// ${NAME} → the environment variable; an unset variable is a configuration error.
std::optional<std::string> expandEnv(YamlChecker& check, const YAML::Node& at, const std::string& value) {
    std::string out;
    std::size_t pos = 0;
    while (pos < value.size()) {
        auto start = value.find("${", pos);
        if (start == std::string::npos) {
            out += value.substr(pos);
            break;
        }
        auto end = value.find('}', start);
        if (end == std::string::npos) {
            check.error(at, "unterminated ${ in '" + value + "'");
            return std::nullopt;
        }
        out += value.substr(pos, start - pos);
        std::string name = value.substr(start + 2, end - start - 2);
        const char* env = std::getenv(name.c_str());
        if (!env) {
            check.error(at, "environment variable " + name + " is not set");
            return std::nullopt;
        }
        out += env;
        pos = end + 1;
    }
    return out;
}

std::optional<std::string> readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::filesystem::path relativeTo(const std::filesystem::path& base, const std::string& p) {
    std::filesystem::path path(p);
    return path.is_absolute() ? path : (base / path).lexically_normal();
}

// password: "literal or ${ENV}"  |  password_file: path (first line, without newline)
std::optional<std::string> readSecret(YamlChecker& check, const YAML::Node& map, const std::filesystem::path& base) {
    auto literal = check.str(map, "password");
    auto file = check.str(map, "password_file");
    if (literal && file) {
        check.error(map["password_file"], "give either 'password' or 'password_file', not both");
        return std::nullopt;
    }
    if (literal) return expandEnv(check, map["password"], *literal);
    if (file) {
        auto path = relativeTo(base, *file);
        auto content = readFile(path);
        if (!content) {
            check.error(map["password_file"], "cannot read password file " + path.string());
            return std::nullopt;
        }
        auto nl = content->find_first_of("\r\n");
        if (nl != std::string::npos) content->resize(nl);
        return content;
    }
    return std::string();
}

bool looksLikeAddress(std::string_view s) {
    auto at = s.find('@');
    return at != std::string_view::npos && at > 0 && at + 1 < s.size() && s.find(' ') == std::string_view::npos;
}

// A password sent over a connection without TLS to another host can be read on the way.
void checkPlaintext(YamlChecker& check, const YAML::Node& node, std::string_view url, bool starttls,
                    bool has_password, bool allowed) {
    if (allowed || starttls || !has_password) return;
    if (url.rfind("imaps://", 0) == 0 || url.rfind("smtps://", 0) == 0) return;
    const std::string host = urlHost(url);
    if (host.empty() || isLoopbackHost(host)) return;
    check.error(node["url"], std::string(url.substr(0, url.find(':'))) + "://" + host +
                                 " without STARTTLS would send the password in clear text: use " +
                                 (url.rfind("imap", 0) == 0 ? "imaps://" : "smtps://") +
                                 ", set starttls: true, or allow_plaintext: true");
}

void loadIdentity(YamlChecker& check, const YAML::Node& node, IdentityConfig& id) {
    if (!check.isMap(node, "'identity'")) return;
    check.allowKeys(node, {"name", "address", "domain", "token", "own_addresses"});
    if (auto v = check.str(node, "name")) id.name = *v;
    if (auto v = check.str(node, "address", true)) {
        if (!looksLikeAddress(*v)) check.error(node["address"], "'address' must be a mail address, not '" + *v + "'");
        id.address = *v;
    }
    if (auto v = check.str(node, "domain")) id.domain = *v;
    if (auto v = check.str(node, "token")) {
        if (v->find("{number}") == std::string::npos)
            check.error(node["token"], "'token' must contain {number}, e.g. \"[Ticket#{number}]\"");
        id.token_format = *v;
    }
    if (auto v = check.strList(node, "own_addresses")) id.own_addresses = *v;
    if (id.domain.empty() && !id.address.empty()) id.domain = id.address.substr(id.address.find('@') + 1);
}

// first_start: new_only | all | { since: 7d }
void loadFirstStart(YamlChecker& check, const YAML::Node& mailbox, MailboxConfig& mb) {
    const YAML::Node node = mailbox["first_start"];
    if (!node.IsDefined() || node.IsNull()) return;
    if (node.IsMap()) {
        check.allowKeys(node, {"since"});
        if (auto v = check.duration(node, "since", true)) {
            if (v->count() < 1) check.error(node["since"], "'since' must be at least 1s");
            mb.first_start = MailboxConfig::FirstStart::since;
            mb.first_start_since = *v;
        }
        return;
    }
    auto v = check.str(mailbox, "first_start");
    if (!v) return;
    if (*v == "new_only")
        mb.first_start = MailboxConfig::FirstStart::new_only;
    else if (*v == "all")
        mb.first_start = MailboxConfig::FirstStart::all;
    else
        check.error(node, "'first_start': '" + *v + "' is not one of new_only, all, { since: 7d }");
}

void loadMailbox(YamlChecker& check, const YAML::Node& node, const std::filesystem::path& base, Config& config) {
    if (!check.isMap(node, "a mailbox")) return;
    check.allowKeys(node, {"name", "url", "username", "password", "password_file", "address", "folder",
                           "after_ingest", "move_to", "poll_interval", "idle", "ca_file", "starttls", "language",
                           "batch_size", "allow_plaintext", "max_batch_bytes", "connect_timeout", "read_timeout",
                           "first_start"});
    MailboxConfig mb;
    if (auto v = check.str(node, "name", true)) mb.name = *v;
    if (auto v = check.str(node, "url", true)) {
        if (v->rfind("imap://", 0) != 0 && v->rfind("imaps://", 0) != 0)
            check.error(node["url"], "'url' must start with imap:// or imaps://, not '" + *v + "'");
        mb.url = *v;
    }
    if (auto v = check.str(node, "username", true)) mb.username = expandEnv(check, node["username"], *v).value_or("");
    if (auto v = readSecret(check, node, base)) mb.password = *v;
    if (auto v = check.str(node, "address", true)) {
        if (!looksLikeAddress(*v)) check.error(node["address"], "'address' must be a mail address, not '" + *v + "'");
        mb.address = *v;
    }
    if (auto v = check.str(node, "folder")) mb.folder = *v;
    if (auto v = check.oneOf(node, "after_ingest", {"flag", "move"}))
        mb.after_ingest = *v == "move" ? MailboxConfig::After::move : MailboxConfig::After::flag;
    if (auto v = check.str(node, "move_to")) mb.move_to = *v;
    if (mb.after_ingest == MailboxConfig::After::move && mb.move_to.empty())
        check.error(node, "after_ingest: move needs 'move_to' (the folder handled mail goes to)");
    if (auto v = check.duration(node, "poll_interval")) {
        if (v->count() < 1) check.error(node["poll_interval"], "'poll_interval' must be at least 1s");
        mb.poll_interval = *v;
    }
    if (auto v = check.boolean(node, "idle")) mb.idle = *v;
    if (auto v = check.str(node, "ca_file")) {
        mb.ca_file = relativeTo(base, *v).string();
        if (!std::filesystem::exists(mb.ca_file)) check.error(node["ca_file"], "CA file " + mb.ca_file + " does not exist");
    }
    if (auto v = check.boolean(node, "starttls")) mb.starttls = *v;
    if (auto v = check.str(node, "language")) mb.language = *v;
    if (auto v = check.integer(node, "batch_size", false, 1, 100)) mb.batch_size = static_cast<std::size_t>(*v);
    if (auto v = check.boolean(node, "allow_plaintext")) mb.allow_plaintext = *v;
    checkPlaintext(check, node, mb.url, mb.starttls, !mb.password.empty(), mb.allow_plaintext);
    if (auto v = check.integer(node, "max_batch_bytes", false, 1, std::int64_t(1) << 32))
        mb.max_batch_bytes = static_cast<std::uint64_t>(*v);
    for (auto [key, field] : {std::pair{"connect_timeout", &mb.connect_timeout}, std::pair{"read_timeout", &mb.read_timeout}})
        if (auto v = check.duration(node, key)) {
            if (v->count() < 1 || v->count() > 3600)
                check.error(node[key], std::string("'") + key + "' must be between 1s and 1h");
            *field = *v;
        }
    loadFirstStart(check, node, mb);
    for (const auto& other : config.mailboxes)
        if (!mb.name.empty() && other.name == mb.name) check.error(node["name"], "mailbox name '" + mb.name + "' is used twice");
    config.mailboxes.push_back(std::move(mb));
}

void loadSmtp(YamlChecker& check, const YAML::Node& node, const std::filesystem::path& base, SmtpConfig& smtp) {
    if (!check.isMap(node, "'smtp'")) return;
    check.allowKeys(node, {"url", "username", "password", "password_file", "ca_file", "starttls", "timeout",
                           "retry_initial", "retry_max", "give_up_after", "allow_plaintext", "max_message_size"});
    if (auto v = check.str(node, "url", true)) {
        if (v->rfind("smtp://", 0) != 0 && v->rfind("smtps://", 0) != 0)
            check.error(node["url"], "'url' must start with smtp:// or smtps://, not '" + *v + "'");
        smtp.url = *v;
    }
    if (auto v = check.str(node, "username")) smtp.username = expandEnv(check, node["username"], *v).value_or("");
    if (auto v = readSecret(check, node, base)) smtp.password = *v;
    if (auto v = check.str(node, "ca_file")) {
        smtp.ca_file = relativeTo(base, *v).string();
        if (!std::filesystem::exists(smtp.ca_file)) check.error(node["ca_file"], "CA file " + smtp.ca_file + " does not exist");
    }
    if (auto v = check.boolean(node, "starttls")) smtp.starttls = *v;
    if (auto v = check.duration(node, "timeout")) smtp.timeout = *v;
    if (auto v = check.duration(node, "retry_initial")) smtp.retry_initial = *v;
    if (auto v = check.duration(node, "retry_max")) smtp.retry_max = *v;
    if (auto v = check.duration(node, "give_up_after")) smtp.give_up_after = *v;
    if (auto v = check.boolean(node, "allow_plaintext")) smtp.allow_plaintext = *v;
    checkPlaintext(check, node, smtp.url, smtp.starttls, !smtp.password.empty(), smtp.allow_plaintext);
    if (auto v = check.str(node, "max_message_size")) {
        const auto size = parseByteSize(*v);
        // Below 1 MB a notification could not even carry a long customer text.
        if (!size)
            check.error(node["max_message_size"], "'max_message_size' must be a size in bytes, e.g. 10240000, "
                                                  "\"10MB\" or \"25MiB\", not '" + *v + "'");
        else if (*size < 1'000'000)
            check.error(node["max_message_size"], "'max_message_size' must be at least 1MB (1000000 bytes)");
        else
            smtp.max_message_size = *size;
    }
}

void loadAgents(YamlChecker& check, const YAML::Node& node, Config& config) {
    if (!check.isList(node, "'agents'")) return;
    for (const auto& item : node) {
        if (!check.isMap(item, "an agent")) continue;
        check.allowKeys(item, {"name", "address", "teams", "display_name"});
        AgentConfig agent;
        if (auto v = check.str(item, "name", true)) agent.name = *v;
        if (auto v = check.str(item, "address", true)) {
            if (!looksLikeAddress(*v)) check.error(item["address"], "'address' must be a mail address, not '" + *v + "'");
            agent.address = *v;
        }
        if (auto v = check.strList(item, "teams")) agent.teams = *v;
        if (auto v = check.str(item, "display_name")) agent.display_name = *v;
        for (const auto& other : config.agents) {
            if (!agent.name.empty() && other.name == agent.name)
                check.error(item["name"], "agent name '" + agent.name + "' is used twice");
            if (!agent.address.empty() && normalizeAddress(other.address) == normalizeAddress(agent.address))
                check.error(item["address"], "agent address '" + agent.address + "' is used twice");
        }
        config.agents.push_back(std::move(agent));
    }
}

void loadAgentMail(YamlChecker& check, const YAML::Node& node, AgentMailConfig& out) {
    if (!check.isMap(node, "'agent_mail'")) return;
    if (node["require_authenticated"].IsDefined()) {
        check.error(node["require_authenticated"],
                    "'require_authenticated' was replaced by 'agent_proof' (default [reply_key, "
                    "authentication_results]: agents are proven by the key in the notification they answer, or "
                    "by your MTA's DKIM/SPF verdict); remove it");
        return;
    }
    check.allowKeys(node, {"agent_proof", "trusted_servers", "attach_original", "failure_notice_to"});
    if (auto v = check.strList(node, "agent_proof")) {
        out.agent_proof.clear();
        for (const auto& name : *v) {
            if (auto m = parseAgentProofMethod(name))
                out.agent_proof.push_back(*m);
            else
                check.error(node["agent_proof"], "unknown agent proof '" + name +
                                                     "' (reply_key, authentication_results, or from_address)");
        }
        if (v->empty()) check.error(node["agent_proof"], "'agent_proof' needs at least one method");
        const bool fromAddress = std::find(out.agent_proof.begin(), out.agent_proof.end(),
                                           AgentProofMethod::from_address) != out.agent_proof.end();
        if (fromAddress && out.agent_proof.size() > 1)
            check.error(node["agent_proof"],
                        "from_address trusts the From address alone and makes every other proof moot: give it alone");
    }
    if (auto v = check.strList(node, "trusted_servers")) out.trusted_servers = *v;
    if (auto v = check.boolean(node, "attach_original")) out.attach_original = *v;
    if (auto v = check.strList(node, "failure_notice_to")) {
        for (const auto& address : *v)
            if (!looksLikeAddress(address))
                check.error(node["failure_notice_to"],
                            "'failure_notice_to' must list mail addresses, not '" + address + "'");
        out.failure_notice_to = *v;
    }
}


void loadParticipants(YamlChecker& check, const YAML::Node& node, Config& config) {
    if (!check.isMap(node, "'participants'")) return;
    check.allowKeys(node, {"notify"});
    if (auto v = check.boolean(node, "notify")) config.notify_participants = *v;
}

void loadLimits(YamlChecker& check, const YAML::Node& node, Limits& limits) {
    if (!check.isMap(node, "'limits'")) return;
    check.allowKeys(node, {"max_size", "max_depth", "max_parts", "max_headers", "max_line_length"});
    auto set = [&](const char* key, std::size_t& field, std::int64_t max) {
        if (auto v = check.integer(node, key, false, 1, max)) field = static_cast<std::size_t>(*v);
    };
    set("max_size", limits.max_size, std::int64_t(1) << 32);
    set("max_depth", limits.max_depth, 1000);
    set("max_parts", limits.max_parts, 100000);
    set("max_headers", limits.max_headers, 100000);
    set("max_line_length", limits.max_line_length, std::int64_t(1) << 30);
}

void loadMetrics(YamlChecker& check, const YAML::Node& node, MetricsConfig& out) {
    if (!check.isMap(node, "'metrics'")) return;
    check.allowKeys(node, {"listen"});
    auto v = check.str(node, "listen", true);
    if (!v) return;
    const auto colon = v->rfind(':');
    const std::string port = colon == std::string::npos ? "" : v->substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 &&
                        port.find_first_not_of("0123456789") == std::string::npos && std::stoul(port) <= 65535;
    if (!digits)
        check.error(node["listen"], "'listen' must be host:port, e.g. \"127.0.0.1:9464\" or \"[::1]:9464\", not '" +
                                        *v + "'");
    out.listen = *v;
}

bool holdsRuleFiles(const std::filesystem::path& dir) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        auto ext = it->path().extension();
        if (ext == ".yaml" || ext == ".yml") return true;
    }
    return false;
}

}  // namespace

const InstallPaths& installPaths() {
    // DESKGATE_DATADIR comes from GNUInstallDirs (daemon/CMakeLists.txt): /usr/share/deskgate.
    static const InstallPaths paths{DESKGATE_DATADIR};
    return paths;
}

const MailboxConfig* Config::mailbox(std::string_view name) const {
    for (const auto& mb : mailboxes)
        if (mb.name == name) return &mb;
    return nullptr;
}

const AgentConfig* Config::agentByName(std::string_view name) const { return agentNamed(agents, name); }

const AgentConfig* Config::agentByAddress(std::string_view address) const { return agentWithAddress(agents, address); }

std::optional<std::size_t> parseByteSize(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 12) return std::nullopt;
    std::size_t value = 0;
    for (std::size_t i = 0; i < digits; ++i) value = value * 10 + static_cast<std::size_t>(text[i] - '0');
    std::string unit = lower(trimSpace(text.substr(digits)));
    static const std::vector<std::pair<std::string, std::size_t>> units = {
        {"", 1},           {"b", 1},
        {"kb", 1000},      {"mb", 1000'000},      {"gb", 1000'000'000},
        {"kib", 1u << 10}, {"mib", 1u << 20},     {"gib", 1u << 30}};
    for (const auto& [name, factor] : units)
        if (unit == name) return value * factor;
    return std::nullopt;
}

std::string urlHost(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    auto rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    if (!rest.empty() && rest.front() == '[') return lower(rest.substr(1, rest.find(']') - 1));  // [::1]:143
    return lower(rest.substr(0, rest.find(':')));
}

bool isLoopbackHost(std::string_view host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::vector<std::string> configWarnings(const Config& config) {
    std::vector<std::string> out;
    for (const auto& mb : config.mailboxes)
        if (mb.allow_plaintext && !mb.starttls && mb.url.rfind("imap://", 0) == 0 && !isLoopbackHost(urlHost(mb.url)))
            out.push_back("mailbox " + mb.name + ": allow_plaintext: the IMAP password goes to " + urlHost(mb.url) +
                          " in clear text");
    if (config.smtp.allow_plaintext && !config.smtp.starttls && config.smtp.url.rfind("smtp://", 0) == 0 &&
        !config.smtp.password.empty() && !isLoopbackHost(urlHost(config.smtp.url)))
        out.push_back("smtp: allow_plaintext: the SMTP password goes to " + urlHost(config.smtp.url) + " in clear text");
    const auto& proof = config.agent_mail.agent_proof;
    if (std::find(proof.begin(), proof.end(), AgentProofMethod::from_address) != proof.end())
        out.push_back("agent_mail: agent_proof: [from_address]: anyone who writes an agent's address into From can "
                      "act as that agent");
    return out;
}

bool Config::isOwnAddress(std::string_view address) const {
    auto norm = normalizeAddress(address);
    if (norm.empty()) return false;
    if (normalizeAddress(identity.address) == norm) return true;
    for (const auto& a : identity.own_addresses)
        if (normalizeAddress(a) == norm) return true;
    for (const auto& mb : mailboxes)
        if (normalizeAddress(mb.address) == norm) return true;
    return false;
}

std::expected<Config, std::vector<ConfigError>> loadConfig(const std::filesystem::path& file,
                                                           const InstallPaths& paths) {
    std::vector<ConfigError> errors;
    YamlChecker check(file.string(), errors);
    auto text = readFile(file);
    if (!text) {
        errors.push_back({file.string(), 0, 0, "cannot read configuration file"});
        return std::unexpected(errors);
    }
    auto root = check.load(*text);
    if (!root) return std::unexpected(errors);
    Config config;
    config.file = file;
    const auto base = std::filesystem::absolute(file).parent_path();
    config.rules_dir = base / "rules";
    if (!check.isMap(*root, "the configuration")) return std::unexpected(errors);
    check.allowKeys(*root, {"database", "identity", "mailboxes", "smtp", "agents", "rules", "templates", "language",
                            "limits", "agent_mail", "participants", "reports", "metrics", "start_timeout", "lease"});
    if (auto v = check.str(*root, "database")) {
        if (auto expanded = expandEnv(check, (*root)["database"], *v)) {
            if (expanded->rfind("sqlite:", 0) == 0) {
                config.database = "sqlite:" + relativeTo(base, expanded->substr(7)).string();
            } else if (expanded->rfind("postgresql:", 0) == 0 || expanded->rfind("postgres://", 0) == 0) {
                config.database = *expanded;
            } else {
                check.error((*root)["database"], "'database' must start with sqlite: or postgresql:");
            }
        }
    } else {
        config.database = "sqlite:" + (base / "deskgate.db").string();
    }
    if (auto node = (*root)["identity"]; node.IsDefined()) loadIdentity(check, node, config.identity);
    if (auto node = (*root)["mailboxes"]; node.IsDefined() && !node.IsNull()) {
        if (check.isList(node, "'mailboxes'"))
            for (const auto& item : node) loadMailbox(check, item, base, config);
    }
    // A minimal configuration names no identity: deskgate sends as its first mailbox.
    if (!(*root)["identity"].IsDefined()) {
        if (!config.mailboxes.empty() && looksLikeAddress(config.mailboxes.front().address)) {
            config.identity.address = config.mailboxes.front().address;
            config.identity.domain = config.identity.address.substr(config.identity.address.find('@') + 1);
        } else {
            check.error(*root, "missing required key 'identity' (the address deskgate sends from; without it, "
                               "that of the first mailbox)");
        }
    }
    if (auto node = (*root)["smtp"]; node.IsDefined())
        loadSmtp(check, node, base, config.smtp);
    else
        check.error(*root, "missing required key 'smtp'");
    if (auto node = (*root)["agents"]; node.IsDefined() && !node.IsNull()) loadAgents(check, node, config);
    if (auto node = (*root)["agent_mail"]; node.IsDefined()) loadAgentMail(check, node, config.agent_mail);
    if (auto node = (*root)["participants"]; node.IsDefined()) loadParticipants(check, node, config);
    if (auto v = check.str(*root, "rules")) {
        config.rules_dir = relativeTo(base, *v);
        config.rules_configured = true;
        if (!std::filesystem::is_directory(config.rules_dir))
            check.error((*root)["rules"], "rules directory " + config.rules_dir.string() + " does not exist");
    }
    if (!config.rules_configured && !holdsRuleFiles(config.rules_dir) && !paths.data_dir.empty() &&
        std::filesystem::is_directory(paths.data_dir / "rules"))
        config.rules_dir = paths.data_dir / "rules";  // the shipped defaults
    if (auto v = check.str(*root, "templates")) {
        config.templates_dirs = {relativeTo(base, *v)};
        if (!std::filesystem::is_directory(config.templates_dirs[0]))
            check.error((*root)["templates"], "templates directory " + config.templates_dirs[0].string() + " does not exist");
    } else {
        for (const auto& dir : {paths.data_dir.empty() ? std::filesystem::path() : paths.data_dir / "templates",
                                base / "templates"})
            if (!dir.empty() && std::filesystem::is_directory(dir)) config.templates_dirs.push_back(dir);
        if (config.templates_dirs.empty())
            check.error(*root, "no templates: neither " + (base / "templates").string() + " nor the shipped " +
                                   (paths.data_dir / "templates").string() + " exists (or set 'templates:')");
    }
    if (auto v = check.str(*root, "language")) config.language = *v;
    if (auto node = (*root)["limits"]; node.IsDefined()) loadLimits(check, node, config.limits);
    if (auto node = (*root)["reports"]; node.IsDefined()) loadReportSchedules(check, node, config.reports);
    if (auto node = (*root)["metrics"]; node.IsDefined()) loadMetrics(check, node, config.metrics);
    if (auto v = check.duration(*root, "start_timeout")) {
        if (v->count() < 1) check.error((*root)["start_timeout"], "'start_timeout' must be at least 1s");
        config.start_timeout = *v;
    }
    if (auto v = check.duration(*root, "lease")) {
        if (v->count() < 2 || v->count() > 3600)
            check.error((*root)["lease"], "'lease' must be between 2s and 1h");
        else
            config.lease = *v;
    }
    if (!errors.empty()) return std::unexpected(errors);
    return config;
}

}  // namespace deskgate
