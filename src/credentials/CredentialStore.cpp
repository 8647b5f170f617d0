#include "credentials/CredentialStore.h"

#include "wsman/CertificateStore.h"

using namespace Qt::Literals::StringLiterals;

namespace Credentials {

namespace {

QString escapeComponent(QStringView part)
{
    QString out;
    out.reserve(part.size());
    for (QChar c : part) {
        if (c == u'%')
            out += u"%25"_s;
        else if (c == u'/')
            out += u"%2F"_s;
        else
            out += c;
    }
    return out;
}

} // namespace

QString CredentialStore::hostPasswordKey(QStringView savedHostId, QStringView user)
{
    return u"host/"_s + escapeComponent(savedHostId) + u'/' + escapeComponent(user);
}

std::optional<QString> CredentialStore::certificatePassphraseKey(QStringView thumbprint)
{
    const std::optional<QString> normalized = Wsman::CertificateStore::normalizeThumbprint(thumbprint);
    if (!normalized)
        return std::nullopt;
    return u"certificate/"_s + *normalized;
}

QString CredentialStore::proxyPasswordKey(const QUrl &proxy, QStringView user)
{
    const int defaultPort = proxy.scheme().compare(u"https"_s, Qt::CaseInsensitive) == 0 ? 443 : 80;
    const QString endpoint = Wsman::CertificateStore::endpointKey(proxy.host(), proxy.port(defaultPort));
    return u"proxy/"_s + escapeComponent(endpoint) + u'/' + escapeComponent(user);
}

} // namespace Credentials
