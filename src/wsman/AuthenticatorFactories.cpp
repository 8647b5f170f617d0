#include "wsman/AuthenticatorFactories.h"

#include "wsman/CertificateAuthenticator.h"
#include "wsman/CredSspAuthenticator.h"
#include "wsman/DigestAuthenticator.h"
#include "wsman/NegotiateAuthenticator.h"
#include "wsman/NtlmAuthenticator.h"

#include <memory>
#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

bool authenticationNeedsPassword(const ConnectionInfo &connection)
{
    if (!connection.certificateThumbprint.isEmpty())
        return false;
    switch (connection.authentication) {
    case AuthenticationMechanism::NegotiateWithImplicitCredential:
        return false;
    case AuthenticationMechanism::Kerberos:
        return connection.userName.has_value();
    default:
        return true;
    }
}

AuthenticatorFactory authenticatorFactoryFor(const ConnectionInfo &connection, const ConnectionTarget &target,
                                             const SessionOption &sessionOption, Secret password)
{
    // Dossier 3.7: the TLS client certificate is the credential; the mutual header rides along.
    if (!connection.certificateThumbprint.isEmpty())
        return certificateAuthenticatorFactory();
    const QString userName = connection.userName ? connection.userName->toString() : QString();
    // Dossier 4.1: message encryption on plain HTTP unless NoEncryption=true (the server's
    // AllowUnencrypted); TLS protects HTTPS.
    const bool encrypt = !target.useSsl && !sessionOption.noEncryption;
    switch (connection.authentication) {
    case AuthenticationMechanism::Basic:
        return basicAuthenticatorFactory(userName, std::move(password));
    case AuthenticationMechanism::Digest:
        return digestAuthenticatorFactory(userName, std::move(password), target.url);
    case AuthenticationMechanism::Ntlm: {
        NtlmSettings settings;
        settings.userName = userName;
        settings.encryptMessages = encrypt;
        settings.targetSpn = u"HTTP/"_s + target.host;
        if (sessionOption.includePortInSpn)
            settings.targetSpn += u':' + QString::number(target.port);
        return ntlmAuthenticatorFactory(settings, std::move(password));
    }
    case AuthenticationMechanism::CredSsp: {
        CredSspSettings settings;
        settings.userName = userName;
        settings.host = target.host;
        settings.port = target.port;
        settings.encryptMessages = encrypt;
        return credSspAuthenticatorFactory(settings, std::move(password));
    }
    case AuthenticationMechanism::Default:
    case AuthenticationMechanism::Negotiate:
    case AuthenticationMechanism::NegotiateWithImplicitCredential:
    case AuthenticationMechanism::Kerberos:
        break;
    }
    NegotiateSettings settings;
    settings.userName = userName;
    settings.host = target.host;
    settings.port = target.port;
    settings.includePortInSpn = sessionOption.includePortInSpn;
    settings.encryptMessages = encrypt;
    settings.useTicketCache = !authenticationNeedsPassword(connection);
    if (connection.authentication == AuthenticationMechanism::Kerberos) {
        settings.kerberosOnly = true;
        return kerberosAuthenticatorFactory(settings, std::move(password));
    }
    return negotiateAuthenticatorFactory(settings, std::move(password));
}

RedirectAuthenticator redirectAuthenticatorFor(const ConnectionInfo &connection, const SessionOption &sessionOption,
                                               const TrustedHosts &trusted, Secret password)
{
    auto sharedPassword = std::make_shared<Secret>(std::move(password));
    return [connection, sessionOption, trusted, sharedPassword](const QUrl &newUrl) -> RedirectAuthentication {
        ConnectionInfo hop = connection;
        hop.computerName.reset();
        hop.port.reset();
        hop.useSsl.reset();
        hop.applicationName.reset();
        hop.connectionUri = newUrl.toString();
        const auto resolved = hop.resolve();
        if (!resolved)
            return {{}, u"the new location is not usable: "_s + resolved.error().detail};
        const ConnectionTarget &next = resolved.value();
        if (connection.authentication == AuthenticationMechanism::CredSsp)
            return {{}, u"CredSSP would delegate your password to %1, a host you did not name"_s.arg(next.host)};
        if (needsTrustedHostConsent(connection.authentication, next, trusted))
            return {{}, u"%1 is not in TrustedHosts (connect to it directly, or pass --trusted-host %1)"_s.arg(next.host)};
        return {authenticatorFactoryFor(hop, next, sessionOption, Secret::fromUtf8(sharedPassword->utf8())), {}};
    };
}

} // namespace Wsman
