#include "gui/SessionOptionFields.h"

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

QString boolText(bool b)
{
    return b ? u"true"_s : u"false"_s;
}

QString sizeText(const std::optional<qint64> &size)
{
    return size ? QString::number(*size) : u"unlimited"_s;
}

} // namespace

const QList<SessionOptionField> &sessionOptionFields()
{
    using K = SessionOptionKind;
    static const QList<SessionOptionField> fields = {
        {u"MaximumConnectionRedirectionCount"_s, K::Count, {}},
        {u"NoCompression"_s, K::Bool, {}},
        {u"NoMachineProfile"_s, K::Bool, {}},
        {u"ProxyAccessType"_s, K::Choice, {u"None"_s, u"IEConfig"_s, u"WinHttpConfig"_s, u"AutoDetect"_s, u"NoProxyServer"_s}},
        {u"ProxyAuthentication"_s, K::Choice, {u"Basic"_s, u"Digest"_s, u"Negotiate"_s}},
        {u"ProxyCredential"_s, K::Text, {}},
        {u"SkipCACheck"_s, K::Bool, {}},
        {u"SkipCNCheck"_s, K::Bool, {}},
        {u"SkipRevocationCheck"_s, K::Bool, {}},
        {u"OperationTimeout"_s, K::Milliseconds, {}},
        {u"OpenTimeout"_s, K::Milliseconds, {}},
        {u"CancelTimeout"_s, K::Milliseconds, {}},
        {u"IdleTimeout"_s, K::Milliseconds, {}},
        {u"NoEncryption"_s, K::Bool, {}},
        {u"UseUTF16"_s, K::Bool, {}},
        {u"IncludePortInSPN"_s, K::Bool, {}},
        {u"OutputBufferingMode"_s, K::Choice, {u"None"_s, u"Block"_s, u"Drop"_s}},
        {u"MaxConnectionRetryCount"_s, K::Count, {}},
        {u"MaximumReceivedDataSizePerCommand"_s, K::Size, {}},
        {u"MaximumReceivedObjectSize"_s, K::Size, {}},
    };
    return fields;
}

QString sessionOptionValue(const Wsman::SessionOption &o, QStringView name)
{
    using namespace Wsman;
    if (name == u"MaximumConnectionRedirectionCount")
        return QString::number(o.maximumConnectionRedirectionCount);
    if (name == u"NoCompression")
        return boolText(o.noCompression);
    if (name == u"NoMachineProfile")
        return boolText(o.noMachineProfile);
    if (name == u"ProxyAccessType") {
        switch (o.proxyAccessType) {
        case ProxyAccessType::None: return u"None"_s;
        case ProxyAccessType::IEConfig: return u"IEConfig"_s;
        case ProxyAccessType::WinHttpConfig: return u"WinHttpConfig"_s;
        case ProxyAccessType::AutoDetect: return u"AutoDetect"_s;
        case ProxyAccessType::NoProxyServer: return u"NoProxyServer"_s;
        }
    }
    if (name == u"ProxyAuthentication") {
        switch (o.proxyAuthentication) {
        case ProxyAuthentication::Basic: return u"Basic"_s;
        case ProxyAuthentication::Digest: return u"Digest"_s;
        case ProxyAuthentication::Negotiate: return u"Negotiate"_s;
        }
    }
    if (name == u"ProxyCredential")
        return o.proxyCredentialUserName;
    if (name == u"SkipCACheck")
        return boolText(o.skipCACheck);
    if (name == u"SkipCNCheck")
        return boolText(o.skipCNCheck);
    if (name == u"SkipRevocationCheck")
        return boolText(o.skipRevocationCheck);
    if (name == u"OperationTimeout")
        return QString::number(o.operationTimeoutMs);
    if (name == u"OpenTimeout")
        return QString::number(o.openTimeoutMs);
    if (name == u"CancelTimeout")
        return QString::number(o.cancelTimeoutMs);
    if (name == u"IdleTimeout")
        return QString::number(o.idleTimeoutMs);
    if (name == u"NoEncryption")
        return boolText(o.noEncryption);
    if (name == u"UseUTF16")
        return boolText(o.useUtf16);
    if (name == u"IncludePortInSPN")
        return boolText(o.includePortInSpn);
    if (name == u"OutputBufferingMode") {
        switch (o.outputBufferingMode) {
        case OutputBufferingMode::None: return u"None"_s;
        case OutputBufferingMode::Block: return u"Block"_s;
        case OutputBufferingMode::Drop: return u"Drop"_s;
        }
    }
    if (name == u"MaxConnectionRetryCount")
        return QString::number(o.maxConnectionRetryCount);
    if (name == u"MaximumReceivedDataSizePerCommand")
        return sizeText(o.maximumReceivedDataSizePerCommand);
    if (name == u"MaximumReceivedObjectSize")
        return sizeText(o.maximumReceivedObjectSize);
    if (name == u"Culture")
        return o.culture;
    if (name == u"UICulture")
        return o.uiCulture;
    return {};
}

} // namespace Gui
