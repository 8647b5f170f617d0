#include "wsman/SessionOption.h"

#include <QLocale>

#include <array>
#include <functional>
#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

ConfigError badValue(QStringView name, QStringView value, QStringView expected)
{
    return ConfigError{ConfigErrorCode::InvalidValue,
                       u"%1: '%2' is not %3"_s.arg(name.toString(), value.toString(), expected.toString())};
}

std::optional<bool> parseBool(QStringView value)
{
    if (value.compare(u"true", Qt::CaseInsensitive) == 0 || value.compare(u"$true", Qt::CaseInsensitive) == 0)
        return true;
    if (value.compare(u"false", Qt::CaseInsensitive) == 0 || value.compare(u"$false", Qt::CaseInsensitive) == 0)
        return false;
    return std::nullopt;
}

std::optional<qint64> parseInteger(QStringView value, qint64 minimum)
{
    bool ok = false;
    const qint64 n = value.trimmed().toLongLong(&ok);
    if (!ok || n < minimum)
        return std::nullopt;
    return n;
}

bool isUnlimited(QStringView value)
{
    return value.compare(u"unlimited", Qt::CaseInsensitive) == 0 || value.compare(u"null", Qt::CaseInsensitive) == 0
        || value.compare(u"$null", Qt::CaseInsensitive) == 0;
}

// Culture names as .NET spells them: language[-Script][-REGION], e.g. "de-DE", "sr-Latn-RS".
bool isCultureName(QStringView value)
{
    if (value.isEmpty() || value.size() > 85)
        return false;
    const auto parts = value.split(u'-');
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const QStringView part = parts[i];
        if (part.isEmpty() || part.size() > 8)
            return false;
        for (const QChar c : part) {
            if (!(c.isLetterOrNumber() && c.unicode() < 128))
                return false;
        }
        if (i == 0 && (part.size() < 2 || part.size() > 3))
            return false;
    }
    return true;
}

template <typename E, std::size_t N>
std::optional<E> parseEnum(QStringView value, const std::array<std::pair<QStringView, E>, N> &names)
{
    for (const auto &[text, e] : names) {
        if (value.compare(text, Qt::CaseInsensitive) == 0)
            return e;
    }
    return std::nullopt;
}

using Setter = std::function<std::optional<ConfigError>(SessionOption &, QStringView name, QStringView value)>;

Setter boolSetter(bool SessionOption::*field)
{
    return [field](SessionOption &o, QStringView name, QStringView value) -> std::optional<ConfigError> {
        const auto b = parseBool(value);
        if (!b)
            return badValue(name, value, u"true or false");
        o.*field = *b;
        return std::nullopt;
    };
}

// An enum-valued option: one of `names` (case-insensitive); the error lists them in order.
template <typename E, std::size_t N>
Setter enumSetter(E SessionOption::*field, const std::array<std::pair<QStringView, E>, N> &names)
{
    QStringList choices;
    for (const auto &entry : names)
        choices.append(entry.first.toString());
    const QString expected = u"one of "_s + choices.join(u", "_s);
    return [field, names, expected](SessionOption &o, QStringView name, QStringView value) -> std::optional<ConfigError> {
        const auto e = parseEnum(value, names);
        if (!e)
            return badValue(name, value, expected);
        o.*field = *e;
        return std::nullopt;
    };
}

constexpr std::array<std::pair<QStringView, ProxyAccessType>, 5> ProxyAccessTypeNames{{
    {u"None", ProxyAccessType::None},
    {u"IEConfig", ProxyAccessType::IEConfig},
    {u"WinHttpConfig", ProxyAccessType::WinHttpConfig},
    {u"AutoDetect", ProxyAccessType::AutoDetect},
    {u"NoProxyServer", ProxyAccessType::NoProxyServer},
}};
constexpr std::array<std::pair<QStringView, ProxyAuthentication>, 3> ProxyAuthenticationNames{{
    {u"Basic", ProxyAuthentication::Basic},
    {u"Digest", ProxyAuthentication::Digest},
    {u"Negotiate", ProxyAuthentication::Negotiate},
}};
constexpr std::array<std::pair<QStringView, OutputBufferingMode>, 3> OutputBufferingModeNames{{
    {u"None", OutputBufferingMode::None},
    {u"Block", OutputBufferingMode::Block},
    {u"Drop", OutputBufferingMode::Drop},
}};

Setter timeoutSetter(qint64 SessionOption::*field, qint64 minimum)
{
    return [field, minimum](SessionOption &o, QStringView name, QStringView value) -> std::optional<ConfigError> {
        const auto n = parseInteger(value, minimum);
        if (!n || *n > std::numeric_limits<int>::max())
            return badValue(name, value, minimum < 0 ? u"-1 or a number of milliseconds" : u"a number of milliseconds");
        o.*field = *n;
        return std::nullopt;
    };
}

Setter countSetter(int SessionOption::*field, qint64 minimum)
{
    return [field, minimum](SessionOption &o, QStringView name, QStringView value) -> std::optional<ConfigError> {
        const auto n = parseInteger(value, minimum);
        if (!n || *n > std::numeric_limits<int>::max())
            return badValue(name, value, u"a whole number");
        o.*field = int(*n);
        return std::nullopt;
    };
}

Setter sizeSetter(std::optional<qint64> SessionOption::*field)
{
    return [field](SessionOption &o, QStringView name, QStringView value) -> std::optional<ConfigError> {
        if (isUnlimited(value)) {
            o.*field = std::nullopt;
            return std::nullopt;
        }
        const auto n = parseInteger(value, 0);
        if (!n)
            return badValue(name, value, u"a size in bytes or 'unlimited'");
        o.*field = *n;
        return std::nullopt;
    };
}

Setter cultureSetter(QString SessionOption::*field)
{
    return [field](SessionOption &o, QStringView name, QStringView value) -> std::optional<ConfigError> {
        if (!isCultureName(value))
            return badValue(name, value, u"a culture name such as en-US");
        o.*field = value.toString();
        return std::nullopt;
    };
}

struct OptionEntry {
    QStringView name;
    Setter set;
};

const std::vector<OptionEntry> &optionTable()
{
    static const std::vector<OptionEntry> table = {
        {u"MaximumConnectionRedirectionCount", countSetter(&SessionOption::maximumConnectionRedirectionCount, -1)},
        {u"NoCompression", boolSetter(&SessionOption::noCompression)},
        {u"NoMachineProfile", boolSetter(&SessionOption::noMachineProfile)},
        {u"ProxyAccessType", enumSetter(&SessionOption::proxyAccessType, ProxyAccessTypeNames)},
        {u"ProxyAuthentication", enumSetter(&SessionOption::proxyAuthentication, ProxyAuthenticationNames)},
        {u"ProxyCredential",
         [](SessionOption &o, QStringView, QStringView value) -> std::optional<ConfigError> {
             o.proxyCredentialUserName = value.toString();
             return std::nullopt;
         }},
        {u"SkipCACheck", boolSetter(&SessionOption::skipCACheck)},
        {u"SkipCNCheck", boolSetter(&SessionOption::skipCNCheck)},
        {u"SkipRevocationCheck", boolSetter(&SessionOption::skipRevocationCheck)},
        {u"OperationTimeout", timeoutSetter(&SessionOption::operationTimeoutMs, 0)},
        {u"OpenTimeout", timeoutSetter(&SessionOption::openTimeoutMs, 0)},
        {u"CancelTimeout", timeoutSetter(&SessionOption::cancelTimeoutMs, 0)},
        {u"IdleTimeout",
         [](SessionOption &o, QStringView name, QStringView value) -> std::optional<ConfigError> {
             // -1 lets the server decide; otherwise WinRM's minimum is 60 s.
             const auto n = parseInteger(value, -1);
             if (!n || *n > std::numeric_limits<int>::max() || (*n != -1 && *n < 60000))
                 return badValue(name, value, u"-1 or at least 60000 milliseconds");
             o.idleTimeoutMs = *n;
             return std::nullopt;
         }},
        {u"NoEncryption", boolSetter(&SessionOption::noEncryption)},
        {u"UseUTF16", boolSetter(&SessionOption::useUtf16)},
        {u"IncludePortInSPN", boolSetter(&SessionOption::includePortInSpn)},
        {u"OutputBufferingMode", enumSetter(&SessionOption::outputBufferingMode, OutputBufferingModeNames)},
        {u"MaxConnectionRetryCount", countSetter(&SessionOption::maxConnectionRetryCount, 0)},
        {u"Culture", cultureSetter(&SessionOption::culture)},
        {u"UICulture", cultureSetter(&SessionOption::uiCulture)},
        {u"MaximumReceivedDataSizePerCommand", sizeSetter(&SessionOption::maximumReceivedDataSizePerCommand)},
        {u"MaximumReceivedObjectSize", sizeSetter(&SessionOption::maximumReceivedObjectSize)},
        {u"ApplicationArguments",
         [](SessionOption &o, QStringView name, QStringView value) -> std::optional<ConfigError> {
             const qsizetype eq = value.indexOf(u'=');
             if (eq <= 0)
                 return badValue(name, value, u"KEY=VALUE");
             o.applicationArguments.append({value.left(eq).toString(), value.mid(eq + 1).toString()});
             return std::nullopt;
         }},
    };
    return table;
}

} // namespace

std::optional<ConfigError> SessionOption::setFromString(QStringView name, QStringView value)
{
    const QStringView trimmedName = name.trimmed();
    for (const OptionEntry &entry : optionTable()) {
        if (trimmedName.compare(entry.name, Qt::CaseInsensitive) == 0) {
            SessionOption copy = *this;
            if (auto error = entry.set(copy, entry.name, value.trimmed()))
                return error;
            *this = std::move(copy);
            return std::nullopt;
        }
    }
    return ConfigError{ConfigErrorCode::UnknownOption,
                       u"unknown session option '%1'; valid names: %2"_s.arg(trimmedName.toString(),
                                                                             optionNames().join(u", "))};
}

std::optional<ConfigError> SessionOption::setFromAssignment(QStringView assignment)
{
    const qsizetype eq = assignment.indexOf(u'=');
    if (eq <= 0)
        return ConfigError{ConfigErrorCode::InvalidValue,
                           u"session option '%1' is not NAME=VALUE"_s.arg(assignment.toString())};
    return setFromString(assignment.left(eq), assignment.mid(eq + 1));
}

QStringList SessionOption::optionNames()
{
    QStringList names;
    for (const OptionEntry &entry : optionTable())
        names.append(entry.name.toString());
    return names;
}

QString SessionOption::systemCultureName()
{
    const QLocale locale = QLocale::system();
    if (locale.language() == QLocale::C)
        return u"en-US"_s;
    QString name = locale.name();
    name.replace(u'_', u'-');
    return isCultureName(name) ? name : u"en-US"_s;
}

} // namespace Wsman
