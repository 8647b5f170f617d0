#include "wsman/TrustedHosts.h"

#include <QHostAddress>
#include <QSettings>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

constexpr auto SettingsKey = "Client/TrustedHosts"_L1;

QString normalizedHost(QStringView host)
{
    QStringView h = host.trimmed();
    if (h.size() >= 2 && h.startsWith(u'[') && h.endsWith(u']'))
        h = h.mid(1, h.size() - 2);
    if (h.endsWith(u'.'))
        h.chop(1);
    return h.toString().toLower();
}

std::optional<QHostAddress> addressOf(QStringView host)
{
    const QString h = normalizedHost(host);
    QHostAddress address;
    if (h.isEmpty() || !address.setAddress(h))
        return std::nullopt;
    return address;
}

QString settingsPath(const QString &file)
{
    return file.isEmpty() ? sharedSettingsFilePath() : file;
}

} // namespace

QString sharedSettingsFilePath()
{
    return QSettings(QSettings::IniFormat, QSettings::UserScope, SettingsOrganization, SettingsApplication).fileName();
}

TrustedHosts TrustedHosts::fromString(QStringView list)
{
    TrustedHosts result;
    for (QStringView entry : list.split(u',', Qt::SkipEmptyParts)) {
        entry = entry.trimmed();
        if (!entry.isEmpty() && !checkPattern(entry))
            result.add(entry);
    }
    return result;
}

QString TrustedHosts::toString() const
{
    return m_patterns.join(u',');
}

bool TrustedHosts::add(QStringView pattern)
{
    const QString p = pattern.trimmed().toString();
    if (checkPattern(p) || m_patterns.contains(p, Qt::CaseInsensitive))
        return false;
    m_patterns.append(p);
    return true;
}

bool TrustedHosts::remove(QStringView pattern)
{
    const QString p = pattern.trimmed().toString();
    return m_patterns.removeIf([&](const QString &s) { return s.compare(p, Qt::CaseInsensitive) == 0; }) > 0;
}

std::optional<QString> TrustedHosts::checkPattern(QStringView pattern)
{
    const QStringView p = pattern.trimmed();
    if (p.isEmpty())
        return u"an empty host pattern"_s;
    if (p == u"*" || p.compare(u"<local>", Qt::CaseInsensitive) == 0)
        return std::nullopt;
    if (p.contains(u',') || p.contains(u' ') || p.contains(u'/') || p.contains(u'\\'))
        return u"'%1' is not a host name, address or wildcard pattern"_s.arg(p);
    const QStringView inner = p.startsWith(u'*') ? p.mid(1) : p.endsWith(u'*') ? p.first(p.size() - 1) : p;
    if (inner.isEmpty() || inner.contains(u'*'))
        return u"'%1': a wildcard may stand only at the start or the end"_s.arg(p);
    return std::nullopt;
}

bool TrustedHosts::matches(QStringView host) const
{
    const QString h = normalizedHost(host);
    if (h.isEmpty())
        return false;
    const std::optional<QHostAddress> address = addressOf(h);
    for (const QString &pattern : m_patterns) {
        if (pattern == u"*")
            return true;
        if (pattern.compare(u"<local>", Qt::CaseInsensitive) == 0) {
            if (!address && !h.contains(u'.'))
                return true;
            continue;
        }
        if (pattern.startsWith(u'*')) {
            if (h.endsWith(QStringView(pattern).mid(1), Qt::CaseInsensitive))
                return true;
        } else if (pattern.endsWith(u'*')) {
            if (h.startsWith(QStringView(pattern).chopped(1), Qt::CaseInsensitive))
                return true;
        } else if (address) {
            if (const std::optional<QHostAddress> p = addressOf(pattern); p && p->isEqual(*address))
                return true;
        } else if (normalizedHost(pattern) == h) {
            return true;
        }
    }
    return false;
}

bool TrustedHosts::isTrusted(QStringView host) const
{
    return isLoopback(host) || matches(host);
}

bool TrustedHosts::isLoopback(QStringView host)
{
    const QString h = normalizedHost(host);
    if (h == u"localhost" || h.endsWith(u".localhost"))
        return true;
    const std::optional<QHostAddress> address = addressOf(h);
    return address && address->isLoopback();
}

bool TrustedHosts::isIpAddress(QStringView host)
{
    return addressOf(host).has_value();
}

TrustedHosts TrustedHosts::load(const QString &settingsFile)
{
    const QSettings settings(settingsPath(settingsFile), QSettings::IniFormat);
    return fromString(settings.value(SettingsKey).toString());
}

bool TrustedHosts::save(const QString &settingsFile) const
{
    QSettings settings(settingsPath(settingsFile), QSettings::IniFormat);
    if (m_patterns.isEmpty())
        settings.remove(SettingsKey);
    else
        settings.setValue(SettingsKey, toString());
    settings.sync();
    return settings.status() == QSettings::NoError;
}

bool needsTrustedHostConsent(AuthenticationMechanism mechanism, const ConnectionTarget &target,
                             const TrustedHosts &trusted)
{
    // negotiate-implicit takes Kerberos tickets from the cache: no password, so no NTLM response.
    if (target.useSsl || mechanism == AuthenticationMechanism::Kerberos
        || mechanism == AuthenticationMechanism::NegotiateWithImplicitCredential)
        return false;
    return !trusted.isTrusted(target.host);
}

} // namespace Wsman
