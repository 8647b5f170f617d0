#pragma once

#include "wsman/ConnectionInfo.h"

#include <QLatin1StringView>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <optional>

namespace Wsman {

// Where the GUI and the CLI keep what they share (QSettings IniFormat, UserScope:
// $XDG_CONFIG_HOME/PSRemote/io.github.psremote.PSRemote.ini; data under
// $XDG_DATA_HOME/PSRemote/io.github.psremote.PSRemote), independent of the running program's name.
inline constexpr QLatin1StringView SettingsOrganization{"PSRemote"};
inline constexpr QLatin1StringView SettingsApplication{"io.github.psremote.PSRemote"};

// The WinRM client's TrustedHosts list (WSMan:\localhost\Client\TrustedHosts): hosts the user
// accepts sending credentials to although the server cannot be authenticated. Patterns, matched
// case-insensitively against the host exactly as the user typed it (no name resolution):
// `*` (every host), `<local>` (names without a dot), a leading or trailing `*` wildcard
// (`*.contoso.com`, `server*`, `192.168.1.*`), an exact name, an IPv4 or IPv6 address (with or
// without brackets). Loopback targets (127.0.0.0/8, ::1, localhost) are always trusted.
// A plain value type; load()/save() read and write the shared settings file.
// The shared settings file (QSettings IniFormat).
QString sharedSettingsFilePath();

class TrustedHosts {
public:
    TrustedHosts() = default;

    // A comma-separated list as `Set-Item WSMan:\localhost\Client\TrustedHosts` takes it;
    // blanks around entries are dropped, duplicates (case-insensitive) kept once.
    static TrustedHosts fromString(QStringView list);
    QString toString() const;

    const QStringList &patterns() const { return m_patterns; }
    // False (and nothing changes) when the pattern is invalid or already present.
    bool add(QStringView pattern);
    bool remove(QStringView pattern);

    // nullopt for a valid pattern, else why not (for a usage error).
    static std::optional<QString> checkPattern(QStringView pattern);

    // Loopback, or a pattern matches.
    bool isTrusted(QStringView host) const;
    bool matches(QStringView host) const;

    static bool isLoopback(QStringView host);
    static bool isIpAddress(QStringView host);

    // The shared list from `settingsFile` (empty: sharedSettingsFilePath()); an unreadable or
    // absent file reads as empty.
    static TrustedHosts load(const QString &settingsFile = {});
    // False when the settings file cannot be written.
    bool save(const QString &settingsFile = {}) const;

private:
    QStringList m_patterns;
};

// WinRM's TrustedHosts rule (about_Remote_Troubleshooting: "HTTPS or TrustedHosts unless Kerberos"): whether
// sending credentials with `mechanism` to `target` needs the user's consent. HTTPS and Kerberos
// need none (the server is authenticated), nor does negotiate-implicit (ticket cache only, no
// password); on plain HTTP every other mechanism does (Negotiate falls back to NTLM, whose
// response can be cracked offline by whoever answers), unless the host is trusted.
bool needsTrustedHostConsent(AuthenticationMechanism mechanism, const ConnectionTarget &target,
                             const TrustedHosts &trusted);

} // namespace Wsman
