#include "wsman/ConnectionInfo.h"

#include <QHostAddress>

#include <array>
#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

constexpr int DefaultHttpPort = 5985;
constexpr int DefaultHttpsPort = 5986;
constexpr QLatin1StringView ShellUriPrefix{"http://schemas.microsoft.com/powershell/"};

constexpr std::array<std::pair<QStringView, AuthenticationMechanism>, 8> MechanismNames{{
    {u"default", AuthenticationMechanism::Default},
    {u"basic", AuthenticationMechanism::Basic},
    {u"negotiate", AuthenticationMechanism::Negotiate},
    {u"negotiate-implicit", AuthenticationMechanism::NegotiateWithImplicitCredential},
    {u"ntlm", AuthenticationMechanism::Ntlm},
    {u"kerberos", AuthenticationMechanism::Kerberos},
    {u"credssp", AuthenticationMechanism::CredSsp},
    {u"digest", AuthenticationMechanism::Digest},
}};

ConfigError invalid(ConfigErrorCode code, QString detail)
{
    return ConfigError{code, std::move(detail)};
}

bool isValidHostName(QStringView host)
{
    if (host.isEmpty() || host.size() > 253)
        return false;
    for (const QChar c : host) {
        if (!(c.isLetterOrNumber() || c == u'-' || c == u'.' || c == u'_'))
            return false;
    }
    return true;
}

} // namespace

ConfigResult<AuthenticationMechanism> parseAuthenticationMechanism(QStringView text)
{
    for (const auto &[name, mechanism] : MechanismNames) {
        if (text.trimmed().compare(name, Qt::CaseInsensitive) == 0)
            return mechanism;
    }
    QStringList names;
    for (const auto &entry : MechanismNames)
        names.append(entry.first.toString());
    return invalid(ConfigErrorCode::InvalidValue,
                   u"unknown authentication '%1'; valid: %2"_s.arg(text.toString(), names.join(u", ")));
}

QString authenticationMechanismName(AuthenticationMechanism mechanism)
{
    for (const auto &[name, m] : MechanismNames) {
        if (m == mechanism)
            return name.toString();
    }
    return {};
}

ConfigResult<UserName> UserName::parse(QStringView text)
{
    const qsizetype backslash = text.indexOf(u'\\');
    const qsizetype at = text.lastIndexOf(u'@');
    UserName name;
    if (backslash >= 0) {
        name.form = Form::DownLevel;
        name.domain = text.left(backslash).toString();
        name.user = text.mid(backslash + 1).toString();
        if (name.domain.isEmpty() || name.user.isEmpty() || name.user.contains(u'\\'))
            return invalid(ConfigErrorCode::InvalidUserName, u"'%1' is not DOMAIN\\user"_s.arg(text.toString()));
    } else if (at >= 0) {
        name.form = Form::UserPrincipal;
        name.user = text.left(at).toString();
        name.domain = text.mid(at + 1).toString();
        if (name.user.isEmpty() || name.domain.isEmpty())
            return invalid(ConfigErrorCode::InvalidUserName, u"'%1' is not user@REALM"_s.arg(text.toString()));
    } else {
        name.user = text.toString();
        if (name.user.isEmpty())
            return invalid(ConfigErrorCode::InvalidUserName, u"empty user name"_s);
    }
    for (const QChar c : text) {
        if (c.category() == QChar::Other_Control || c == u':')
            return invalid(ConfigErrorCode::InvalidUserName, u"user name contains a control character or ':'"_s);
    }
    return name;
}

QString UserName::toString() const
{
    switch (form) {
    case Form::Plain:
        return user;
    case Form::DownLevel:
        return domain % u'\\' % user;
    case Form::UserPrincipal:
        return user % u'@' % domain;
    }
    return user;
}

QString ConnectionInfo::resourceUriFor(QStringView configurationName)
{
    const QStringView name = configurationName.trimmed();
    if (name.isEmpty())
        return ShellUriPrefix % u"Microsoft.PowerShell";
    if (name.startsWith(ShellUriPrefix, Qt::CaseInsensitive))
        return name.toString();
    return ShellUriPrefix % name;
}

int ConnectionInfo::effectiveRedirectionCount(const SessionOption &options) const
{
    return allowRedirection && connectionUri ? options.maximumConnectionRedirectionCount : 0;
}

ConfigResult<ConnectionTarget> ConnectionInfo::resolve() const
{
    ConnectionTarget target;
    target.resourceUri = resourceUriFor(configurationName);

    if (connectionUri) {
        if (computerName || port || useSsl || applicationName)
            return invalid(ConfigErrorCode::ConflictingParameters,
                           u"ConnectionUri cannot be combined with ComputerName, Port, UseSSL or ApplicationName"_s);
        const QUrl url(*connectionUri, QUrl::StrictMode);
        const QString scheme = url.scheme().toLower();
        if (!url.isValid() || (scheme != u"http" && scheme != u"https") || url.host().isEmpty())
            return invalid(ConfigErrorCode::InvalidUri,
                           u"'%1' is not an absolute http or https URL"_s.arg(*connectionUri));
        target.useSsl = scheme == u"https";
        target.host = url.host();
        target.port = url.port(target.useSsl ? DefaultHttpsPort : DefaultHttpPort);
        target.url.setScheme(scheme);
        target.url.setHost(target.host);
        target.url.setPort(target.port);
        target.url.setPath(url.path().isEmpty() || url.path() == u"/" ? u"/wsman"_s : url.path());
        return target;
    }

    if (!computerName || computerName->trimmed().isEmpty())
        return invalid(ConfigErrorCode::MissingParameter, u"neither ComputerName nor ConnectionUri was given"_s);
    QString host = computerName->trimmed();
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    QHostAddress address;
    const bool isAddress = address.setAddress(host);
    if (!isAddress && !isValidHostName(host))
        return invalid(ConfigErrorCode::InvalidValue, u"'%1' is not a valid computer name"_s.arg(*computerName));
    target.useSsl = useSsl.value_or(false);
    target.port = port.value_or(target.useSsl ? DefaultHttpsPort : DefaultHttpPort);
    if (target.port <= 0 || target.port > 65535)
        return invalid(ConfigErrorCode::InvalidValue, u"port %1 is out of range"_s.arg(target.port));
    QString app = applicationName.value_or(u"wsman"_s).trimmed();
    while (app.startsWith(u'/'))
        app.remove(0, 1);
    if (app.isEmpty() || app.contains(u'?') || app.contains(u'#'))
        return invalid(ConfigErrorCode::InvalidValue, u"'%1' is not a valid application name"_s.arg(app));
    // QUrl brackets IPv6 literals itself when it renders the host.
    target.host = isAddress ? address.toString() : host;
    target.url.setScheme(target.useSsl ? u"https"_s : u"http"_s);
    target.url.setHost(target.host);
    target.url.setPort(target.port);
    target.url.setPath(u'/' + app);
    if (!target.url.isValid())
        return invalid(ConfigErrorCode::InvalidValue, u"cannot build a URL for '%1'"_s.arg(*computerName));
    return target;
}

} // namespace Wsman
