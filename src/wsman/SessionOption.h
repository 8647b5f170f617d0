#pragma once

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QStringView>
#include <QUrl>

#include <optional>
#include <utility>
#include <variant>

namespace Wsman {

// Why a connection parameter or session option was refused. The detail is technical text (never
// a password); the CLI turns the code into a sentence.
enum class ConfigErrorCode {
    UnknownOption,          // a --session-option name that PSSessionOption does not have
    InvalidValue,           // a value that does not parse for its option / parameter
    ConflictingParameters,  // ConnectionUri together with ComputerName/Port/UseSSL/ApplicationName
    MissingParameter,       // neither ComputerName nor ConnectionUri
    InvalidUri,             // a ConnectionUri that is not an absolute http/https URL
    InvalidUserName,        // a credential user name of none of the forms user, DOMAIN\user, user@REALM
};

struct ConfigError {
    ConfigErrorCode code;
    QString detail;
};

// Either a value or a ConfigError: the result of every fallible configuration function.
template <typename T>
class [[nodiscard]] ConfigResult {
public:
    ConfigResult(T value) : m_data(std::in_place_index<0>, std::move(value)) {} // NOLINT: implicit by design
    ConfigResult(ConfigError error) : m_data(std::in_place_index<1>, std::move(error)) {} // NOLINT

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const T *operator->() const { return &value(); }
    const ConfigError &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, ConfigError> m_data;
};

enum class ProxyAccessType { None, IEConfig, WinHttpConfig, AutoDetect, NoProxyServer };
enum class ProxyAuthentication { Basic, Digest, Negotiate };
// None leaves the choice to the server (which uses Block).
enum class OutputBufferingMode { None, Block, Drop };

// PSSessionOption (users-and-peers.md 0.2, PowerShell's PSRemotingCmdlet.cs): every field with
// PowerShell's default. A plain value type; timeouts in milliseconds, sizes in bytes, nullopt
// sizes mean unlimited.
struct SessionOption {
    int maximumConnectionRedirectionCount = 5;
    bool noCompression = false;
    bool noMachineProfile = false;
    ProxyAccessType proxyAccessType = ProxyAccessType::None;
    ProxyAuthentication proxyAuthentication = ProxyAuthentication::Negotiate;
    QString proxyCredentialUserName; // the proxy password never comes from an option string
    // PSRemote extension, not a PSSessionOption property (--proxy URL): an explicit http:// proxy,
    // used whatever proxyAccessType says except NoProxyServer. Never carries user info.
    QUrl proxy;
    bool skipCACheck = false;
    bool skipCNCheck = false;
    bool skipRevocationCheck = false;
    qint64 operationTimeoutMs = 180000;
    qint64 openTimeoutMs = 180000;
    qint64 cancelTimeoutMs = 60000;
    qint64 idleTimeoutMs = -1; // -1: the server decides
    bool noEncryption = false;
    bool useUtf16 = false;
    bool includePortInSpn = false;
    OutputBufferingMode outputBufferingMode = OutputBufferingMode::None;
    int maxConnectionRetryCount = 5;
    QString culture = systemCultureName();   // sent as DataLocale (dossier 1.9)
    QString uiCulture = systemCultureName(); // sent as Locale
    std::optional<qint64> maximumReceivedDataSizePerCommand;                    // unlimited
    std::optional<qint64> maximumReceivedObjectSize = qint64(200) * 1024 * 1024; // 200 MB
    QList<QPair<QString, QString>> applicationArguments; // $PSSenderInfo.ApplicationArguments

    // `--session-option NAME=VALUE`: PSSessionOption property names and values, both
    // case-insensitive; timeouts in ms; booleans true/false; sizes in bytes or "unlimited";
    // ApplicationArguments takes KEY=VALUE and adds one entry per call. On error nothing changes.
    std::optional<ConfigError> setFromString(QStringView name, QStringView value);
    // `NAME=VALUE` split at the first '='.
    std::optional<ConfigError> setFromAssignment(QStringView assignment);

    // The names setFromString accepts, in PowerShell's spelling.
    static QStringList optionNames();
    // The user's own locale as a culture name ("en-US"); "en-US" when the system has none (C/POSIX).
    static QString systemCultureName();

    friend bool operator==(const SessionOption &, const SessionOption &) = default;
};

} // namespace Wsman
