#pragma once

#include "wsman/SessionOption.h"

#include <QString>
#include <QStringView>
#include <QUrl>

#include <optional>

namespace Wsman {

// Enter-PSSession -Authentication.
enum class AuthenticationMechanism {
    Default,
    Basic,
    Negotiate,
    NegotiateWithImplicitCredential,
    Ntlm,
    Kerberos,
    CredSsp,
    Digest,
};

// The CLI spellings: default, basic, negotiate, ntlm, kerberos, credssp, digest,
// negotiate-implicit (case-insensitive).
ConfigResult<AuthenticationMechanism> parseAuthenticationMechanism(QStringView text);
QString authenticationMechanismName(AuthenticationMechanism mechanism);

// A credential's user name in one of the forms Windows accepts: `user`, `DOMAIN\user`,
// `user@REALM`. Holds no password.
struct UserName {
    enum class Form { Plain, DownLevel, UserPrincipal };
    Form form = Form::Plain;
    QString user;
    QString domain; // DOMAIN for DownLevel, REALM for UserPrincipal, empty for Plain

    static ConfigResult<UserName> parse(QStringView text);
    // The text it was parsed from, in its own form.
    QString toString() const;
    friend bool operator==(const UserName &, const UserName &) = default;
};

// Where a connection goes, resolved from ConnectionInfo: URL (with path, no query), whether TLS
// is used, and the ResourceURI of the session configuration.
struct ConnectionTarget {
    QUrl url;
    bool useSsl = false;
    QString host;
    int port = 0;
    QString resourceUri;
};

// Enter-PSSession's connection parameters. Two parameter sets: ComputerName (+ Port, UseSSL,
// ApplicationName) or ConnectionUri; resolve() validates and builds the target. A plain value
// type; no password lives here.
struct ConnectionInfo {
    // ComputerName set; nullopt means "not given".
    std::optional<QString> computerName;
    std::optional<int> port;
    std::optional<bool> useSsl;
    std::optional<QString> applicationName;
    // ConnectionUri set.
    std::optional<QString> connectionUri;

    bool allowRedirection = false;
    QString configurationName; // empty: Microsoft.PowerShell
    AuthenticationMechanism authentication = AuthenticationMechanism::Default;
    std::optional<UserName> userName;
    QString certificateThumbprint;

    ConfigResult<ConnectionTarget> resolve() const;

    // Dossier 1.5: http://schemas.microsoft.com/powershell/ + name unless the name already carries
    // that prefix (case-insensitive); empty -> Microsoft.PowerShell.
    static QString resourceUriFor(QStringView configurationName);
    // PowerShell forces the redirection count to 0 unless -AllowRedirection was given with the
    // ConnectionUri parameter set (dossier 1.12).
    int effectiveRedirectionCount(const SessionOption &options) const;
};

} // namespace Wsman
