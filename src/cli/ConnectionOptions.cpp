#include "cli/ConnectionOptions.h"

#include "wsman/AuthenticatorFactories.h"
#include "wsman/CertificateStore.h"
#include "wsman/TrustedHosts.h"

#include <QUrl>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

enum class Kind { Flag, Value };

struct OptionSpec {
    QLatin1StringView name;
    Kind kind;
};

constexpr OptionSpec Options[] = {
    {"--computer-name"_L1, Kind::Value},         {"--port"_L1, Kind::Value},
    {"--use-ssl"_L1, Kind::Flag},                {"--application-name"_L1, Kind::Value},
    {"--connection-uri"_L1, Kind::Value},        {"--allow-redirection"_L1, Kind::Flag},
    {"--authentication"_L1, Kind::Value},        {"--certificate-thumbprint"_L1, Kind::Value},
    {"--configuration-name"_L1, Kind::Value},    {"--credential"_L1, Kind::Value},
    {"--password-stdin"_L1, Kind::Flag},         {"--session-option"_L1, Kind::Value},
    {"--trace"_L1, Kind::Value},                 {"--trusted-host"_L1, Kind::Value},
    {"--save-trusted-host"_L1, Kind::Flag},      {"--allow-delegation"_L1, Kind::Flag},
    {"--pin-certificate"_L1, Kind::Value},       {"--proxy"_L1, Kind::Value},
};

UsageError usageError(const QString &option, const QString &message)
{
    return UsageError{option, message};
}

} // namespace

QString configErrorSentence(const Wsman::ConfigError &error, const QString &option)
{
    using Wsman::ConfigErrorCode;
    const QString where = option.isEmpty() ? QString() : option + u": "_s;
    switch (error.code) {
    case ConfigErrorCode::UnknownOption:
        return where + u"unknown session option (%1); valid names: %2"_s.arg(
                           error.detail, Wsman::SessionOption::optionNames().join(u", "_s));
    case ConfigErrorCode::InvalidValue:
        return where + u"invalid value (%1)"_s.arg(error.detail);
    case ConfigErrorCode::ConflictingParameters:
        return where + u"--connection-uri cannot be combined with HOST, --port, --use-ssl or --application-name (%1)"_s.arg(error.detail);
    case ConfigErrorCode::MissingParameter:
        return u"no computer given: pass HOST (or --computer-name HOST) or --connection-uri URI"_s;
    case ConfigErrorCode::InvalidUri:
        return where + u"not an absolute http:// or https:// URL (%1)"_s.arg(error.detail);
    case ConfigErrorCode::InvalidUserName:
        return where + u"not a user name of the form user, DOMAIN\\user or user@REALM (%1)"_s.arg(error.detail);
    }
    return where + error.detail;
}

ConnectionOptions::Consumed ConnectionOptions::consume(const QStringList &arguments, qsizetype &index,
                                                       UsageError &error)
{
    const QString &arg = arguments.at(index);
    if (!arg.startsWith(u'-')) {
        if (connection.computerName) {
            error = usageError(arg, u"unexpected argument '%1': the computer is already '%2'"_s.arg(
                                        arg, *connection.computerName));
            return Consumed::Error;
        }
        connection.computerName = arg;
        ++index;
        return Consumed::Yes;
    }
    if (arg == u"--password" || arg.startsWith(u"--password="_s)) {
        error = usageError(u"--password"_s, u"--password: a password is never taken from the command line; "
                                            "use --password-stdin, the PSREMOTE_PASSWORD variable or the prompt"_s);
        return Consumed::Error;
    }

    const qsizetype eq = arg.indexOf(u'=');
    const QString name = eq < 0 ? arg : arg.left(eq);
    const OptionSpec *spec = nullptr;
    for (const OptionSpec &s : Options) {
        if (name == s.name)
            spec = &s;
    }
    if (!spec)
        return Consumed::No;

    QString value;
    qsizetype next = index + 1;
    if (spec->kind == Kind::Flag) {
        if (eq >= 0) {
            error = usageError(name, u"%1 takes no value"_s.arg(name));
            return Consumed::Error;
        }
    } else if (eq >= 0) {
        value = arg.mid(eq + 1);
    } else {
        if (next >= arguments.size()) {
            error = usageError(name, u"%1 needs a value"_s.arg(name));
            return Consumed::Error;
        }
        value = arguments.at(next++);
    }

    auto fail = [&](const QString &message) {
        error = usageError(name, message);
        return Consumed::Error;
    };

    if (name == u"--computer-name") {
        if (connection.computerName)
            return fail(u"--computer-name: the computer is already '%1'"_s.arg(*connection.computerName));
        if (value.trimmed().isEmpty())
            return fail(u"--computer-name needs a host name"_s);
        connection.computerName = value;
    } else if (name == u"--port") {
        bool ok = false;
        const int port = value.toInt(&ok);
        if (!ok || port < 1 || port > 65535)
            return fail(u"--port: '%1' is not a port number (1-65535)"_s.arg(value));
        connection.port = port;
    } else if (name == u"--use-ssl") {
        connection.useSsl = true;
    } else if (name == u"--application-name") {
        connection.applicationName = value;
    } else if (name == u"--connection-uri") {
        connection.connectionUri = value;
    } else if (name == u"--allow-redirection") {
        connection.allowRedirection = true;
    } else if (name == u"--authentication") {
        auto mechanism = Wsman::parseAuthenticationMechanism(value);
        if (!mechanism)
            return fail(u"--authentication: '%1' is not one of default, basic, negotiate, ntlm, kerberos, "
                        "credssp, digest, negotiate-implicit"_s.arg(value));
        connection.authentication = mechanism.value();
    } else if (name == u"--certificate-thumbprint") {
        const std::optional<QString> thumbprint = Wsman::CertificateStore::normalizeThumbprint(value);
        if (!thumbprint)
            return fail(u"--certificate-thumbprint: '%1' is not a SHA-1 thumbprint (40 hexadecimal digits, as "
                        "`psremote-cli certificate list` shows)"_s.arg(value));
        connection.certificateThumbprint = *thumbprint;
    } else if (name == u"--configuration-name") {
        connection.configurationName = value;
    } else if (name == u"--credential") {
        auto user = Wsman::UserName::parse(value);
        if (!user)
            return fail(configErrorSentence(user.error(), name));
        connection.userName = user.value();
    } else if (name == u"--password-stdin") {
        passwordStdin = true;
    } else if (name == u"--session-option") {
        // All pairs or none: a mistake in one leaves the others unset too.
        Wsman::SessionOption updated = sessionOption;
        for (const QString &pair : splitSessionOptions(value)) {
            if (!pair.contains(u'='))
                return fail(u"--session-option: '%1' is not NAME=VALUE"_s.arg(pair));
            if (auto e = updated.setFromAssignment(pair))
                return fail(configErrorSentence(*e, name));
        }
        sessionOption = std::move(updated);
    } else if (name == u"--trace") {
        if (value.isEmpty())
            return fail(u"--trace needs a file name"_s);
        traceFile = value;
    } else if (name == u"--trusted-host") {
        if (auto problem = Wsman::TrustedHosts::checkPattern(value))
            return fail(u"--trusted-host: "_s + *problem);
        trustedHosts.append(value.trimmed());
    } else if (name == u"--save-trusted-host") {
        saveTrustedHosts = true;
    } else if (name == u"--allow-delegation") {
        allowDelegation = true;
    } else if (name == u"--proxy") {
        // PSRemote extension: an explicit proxy (Linux has no IE/WinHTTP proxy configuration).
        const QUrl url(value, QUrl::StrictMode);
        if (!url.isValid() || url.scheme().compare(u"http", Qt::CaseInsensitive) != 0 || url.host().isEmpty())
            return fail(u"--proxy: '%1' is not an http://HOST[:PORT] URL"_s.arg(url.toDisplayString(QUrl::RemoveUserInfo)));
        if (!url.userInfo().isEmpty())
            return fail(u"--proxy: the URL must not carry a user or password; use --session-option "
                        "ProxyCredential=USER (the password comes from PSREMOTE_PROXY_PASSWORD or the terminal)"_s);
        if (!url.path().isEmpty() && url.path() != u"/")
            return fail(u"--proxy: '%1' has a path; give http://HOST[:PORT]"_s.arg(value));
        sessionOption.proxy = url.adjusted(QUrl::StripTrailingSlash);
    } else if (name == u"--pin-certificate") {
        pinCertificate = Wsman::CertificateStore::parseSha256(value);
        if (!pinCertificate)
            return fail(u"--pin-certificate: '%1' is not a SHA-256 fingerprint (64 hexadecimal digits, colons "
                        "allowed)"_s.arg(value));
    }
    index = next;
    return Consumed::Yes;
}

std::optional<UsageError> ConnectionOptions::validate() const
{
    auto target = connection.resolve();
    if (!target) {
        const Wsman::ConfigError &e = target.error();
        QString option;
        switch (e.code) {
        case Wsman::ConfigErrorCode::ConflictingParameters:
            option = u"--connection-uri"_s;
            break;
        case Wsman::ConfigErrorCode::InvalidUri:
            option = u"--connection-uri"_s;
            break;
        case Wsman::ConfigErrorCode::MissingParameter:
            option = u"HOST"_s;
            break;
        default:
            option = connection.connectionUri ? u"--connection-uri"_s : u"--computer-name"_s;
            if (e.detail.contains(u"port"_s))
                option = u"--port"_s;
            else if (e.detail.contains(u"application name"_s))
                option = u"--application-name"_s;
            break;
        }
        return usageError(option, configErrorSentence(e, option));
    }
    using Wsman::AuthenticationMechanism;
    const AuthenticationMechanism mechanism = connection.authentication;
    if (!connection.certificateThumbprint.isEmpty()) {
        if (!target->useSsl)
            return usageError(u"--certificate-thumbprint"_s,
                              u"--certificate-thumbprint: certificate authentication works over HTTPS only; add "
                              "--use-ssl (or an https:// --connection-uri)"_s);
        if (mechanism != AuthenticationMechanism::Default || connection.userName)
            return usageError(u"--certificate-thumbprint"_s,
                              u"--certificate-thumbprint: the certificate is the credential; drop --credential and "
                              "--authentication"_s);
        return std::nullopt;
    }
    if (pinCertificate && !target->useSsl)
        return usageError(u"--pin-certificate"_s,
                          u"--pin-certificate: only HTTPS connections present a certificate; add --use-ssl"_s);
    if (!sessionOption.proxyCredentialUserName.isEmpty() && !sessionOption.proxy.isValid()
        && (sessionOption.proxyAccessType == Wsman::ProxyAccessType::None
            || sessionOption.proxyAccessType == Wsman::ProxyAccessType::NoProxyServer))
        // PowerShell refuses ProxyCredential with ProxyAccessType None as well.
        return usageError(u"--session-option"_s,
                          u"ProxyCredential needs a proxy: --proxy URL or ProxyAccessType=IEConfig/WinHttpConfig/"
                          "AutoDetect"_s);
    if (sessionOption.proxy.isValid() && sessionOption.proxyAccessType == Wsman::ProxyAccessType::NoProxyServer)
        return usageError(u"--proxy"_s, u"--proxy contradicts ProxyAccessType=NoProxyServer"_s);
    if (saveTrustedHosts && trustedHosts.isEmpty())
        return usageError(u"--save-trusted-host"_s, u"--save-trusted-host needs --trusted-host PATTERN"_s);
    if (Wsman::authenticationNeedsPassword(connection) && !connection.userName)
        return usageError(u"--credential"_s,
                          u"--credential USER is required (--authentication %1 needs a user name and a password)"_s.arg(
                              Wsman::authenticationMechanismName(mechanism)));
    return std::nullopt;
}

QStringList splitSessionOptions(const QString &value)
{
    QStringList pairs;
    qsizetype start = 0;
    while (start <= value.size()) {
        const QStringView rest = QStringView(value).mid(start);
        const qsizetype eq = rest.indexOf(u'=');
        if (eq > 0 && rest.left(eq).trimmed().compare(u"ApplicationArguments", Qt::CaseInsensitive) == 0) {
            pairs.append(rest.toString());
            break;
        }
        const qsizetype comma = value.indexOf(u',', start);
        if (comma < 0) {
            pairs.append(rest.toString());
            break;
        }
        pairs.append(value.mid(start, comma - start));
        start = comma + 1;
    }
    return pairs;
}

QString ConnectionOptions::helpText()
{
    return u"Connection options (Enter-PSSession's parameters):\n"
           "  HOST, --computer-name HOST  The computer to connect to (may stand anywhere).\n"
           "  --port N                    TCP port (default 5985, or 5986 with --use-ssl).\n"
           "  --use-ssl                   Use HTTPS; the server certificate is verified.\n"
           "  --application-name NAME     URL path (default wsman).\n"
           "  --connection-uri URI        Full endpoint URL instead of HOST/--port/--use-ssl/\n"
           "                              --application-name, e.g. https://host:5986/wsman.\n"
           "  --allow-redirection         Follow a server's redirect (with --connection-uri).\n"
           "  --authentication MECH       default (= negotiate), negotiate (Kerberos, else\n"
           "                              NTLM), kerberos (--credential optional: else the\n"
           "                              ticket cache), negotiate-implicit (ticket cache),\n"
           "                              ntlm, basic, credssp (delegates your password:\n"
           "                              asks first, or --allow-delegation), digest (WinRM\n"
           "                              never offers it; a reverse proxy in front may).\n"
           "                              Over HTTP, NTLM/Negotiate/Kerberos/CredSSP encrypt\n"
           "                              every message; Basic and Digest need --use-ssl (or\n"
           "                              NoEncryption=true).\n"
           "  --certificate-thumbprint T  Client certificate from `psremote-cli certificate`\n"
           "                              (HTTPS only; its passphrase from the terminal or\n"
           "                              PSREMOTE_CERTIFICATE_PASSPHRASE).\n"
           "  --configuration-name NAME   Session configuration (default Microsoft.PowerShell).\n"
           "  --credential USER           user, DOMAIN\\user or user@REALM.\n"
           "  --password-stdin            Read the password from the first line of stdin.\n"
           "                              Otherwise PSREMOTE_PASSWORD, else a prompt on the\n"
           "                              terminal; never from an argument.\n"
           "  --session-option NAME=VALUE[,NAME=VALUE...]\n"
           "                              PSSessionOption properties (repeatable; names and\n"
           "                              values case-insensitive, timeouts in milliseconds,\n"
           "                              booleans true/false). A comma separates pairs,\n"
           "                              except after ApplicationArguments=KEY=VALUE, which\n"
           "                              takes the rest of the argument, commas included\n"
           "                              (give it last or in an option of its own), e.g.\n"
           "                              SkipCACheck=true,OperationTimeout=60000,\n"
           "                              UICulture=de-DE,\n"
           "                              NoEncryption=true (allows Basic over plain HTTP,\n"
           "                              switches message encryption off: a warning),\n"
           "                              IncludePortInSPN=true (SPN HTTP/host:port).\n"
           "  --proxy http://HOST[:PORT]  Connect through this HTTP proxy (plain HTTP is\n"
           "                              forwarded, HTTPS tunnelled with CONNECT; port\n"
           "                              default 8080). A PSRemote extension: Linux has no\n"
           "                              IE/WinHTTP proxy settings.\n"
           "  Proxy session options:      ProxyAccessType=None (default: no proxy setting\n"
           "                              is passed, so a direct connection unless --proxy),\n"
           "                              NoProxyServer (never a proxy, ignores http_proxy),\n"
           "                              IEConfig/WinHttpConfig/AutoDetect (the system's\n"
           "                              proxy: http_proxy/https_proxy/no_proxy through\n"
           "                              libproxy; all_proxy is not read).\n"
           "                              ProxyAuthentication=Negotiate (default; Kerberos\n"
           "                              for HTTP/<proxy host>: the ticket cache, or fresh\n"
           "                              credentials with ProxyCredential and its password),\n"
           "                              Basic or Digest (the password is sent only when the\n"
           "                              proxy offers that scheme). ProxyCredential=USER;\n"
           "                              its password from PSREMOTE_PROXY_PASSWORD, else a\n"
           "                              prompt on the terminal; never from an argument.\n"
           "  --trace FILE                Write a JSON Lines trace of the SOAP bodies (mode\n"
           "                              0600; secure strings masked) for `trace decode`.\n"
           "\n"
           "Consent (PowerShell's TrustedHosts rule: over plain HTTP the server cannot be\n"
           "authenticated, so credentials other than Kerberos go only to trusted hosts;\n"
           "loopback is always trusted; HTTPS needs no consent):\n"
           "  --trusted-host PATTERN      Trust HOST patterns for this run (repeatable): a\n"
           "                              name, an address, *.domain, prefix*, <local>, *.\n"
           "  --save-trusted-host         Also add them to the shared TrustedHosts list.\n"
           "  --pin-certificate SHA256    Trust the server certificate with this SHA-256\n"
           "                              fingerprint (trust on first use; stored as a pin\n"
           "                              once connected). A pinned certificate that changes\n"
           "                              is refused.\n"
           "  --allow-delegation          Consent to CredSSP credential delegation: the\n"
           "                              server receives your password.\n"
           "Without consent on a terminal, psremote-cli asks; without a terminal it refuses\n"
           "(exit 5).\n"
           "\n"
           "Environment:\n"
           "  PSREMOTE_PASSWORD           The password, when not from --password-stdin.\n"
           "  PSREMOTE_PROXY_PASSWORD     The ProxyCredential's password.\n"
           "  PSREMOTE_CERTIFICATE_PASSPHRASE  The passphrase of a --certificate-thumbprint key.\n"
           "  PSREMOTE_MAX_RETRY_TIME_MS  For tests and diagnosis, not a PowerShell setting:\n"
           "                              how long a dropped connection is retried before\n"
           "                              the session is disconnected (robust connection;\n"
           "                              default 240000, PowerShell's fixed 4 minutes).\n"_s;
}

} // namespace Cli
