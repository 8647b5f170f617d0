#include "cli/ErrorView.h"

#include <array>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

constexpr QLatin1StringView ErrorColor{"\x1b[31;1m"};
constexpr QLatin1StringView AccentColor{"\x1b[36;1m"};
constexpr QLatin1StringView ResetColor{"\x1b[0m"};

const Psrp::PsObject *objectOf(const Psrp::Value *value)
{
    return value ? value->object() : nullptr;
}

QString stringOf(const Psrp::Value *value)
{
    if (!value)
        return {};
    if (auto s = value->toString())
        return *s;
    if (const Psrp::PsObject *o = value->object()) {
        if (o->baseValue)
            if (auto s = o->baseValue->toString())
                return *s;
        return o->toString.value_or(QString());
    }
    return {};
}

// An InvocationInfo member, from the nested InvocationInfo object or, when the record was
// serialized with SerializeExtendedInfo, from its flattened InvocationInfo_<name> property
// (MS-PSRP 2.2.3.12).
const Psrp::Value *invocationMember(const Psrp::ErrorRecord &record, QStringView name)
{
    if (const Psrp::PsObject *ii = record.invocationInfo.object())
        if (const Psrp::Value *v = ii->property(name))
            return v;
    if (record.original)
        return record.original->property(QString(u"InvocationInfo_"_s + name));
    return nullptr;
}

QString invocationString(const Psrp::ErrorRecord &record, QStringView name)
{
    return stringOf(invocationMember(record, name));
}

qint64 invocationInteger(const Psrp::ErrorRecord &record, QStringView name)
{
    const Psrp::Value *v = invocationMember(record, name);
    return v ? v->toInteger().value_or(0) : 0;
}

// The command the error came from, as the client rehydrates InvocationInfo.MyCommand from the
// CommandInfo_* members (MS-PSRP 2.2.3.12). A script block is no command: ConciseView then
// falls back to the category activity (it checks the name with Get-Command).
QString myCommandName(const Psrp::ErrorRecord &record)
{
    constexpr qint64 ScriptCommandType = 64;
    auto plausible = [](const QString &name) {
        const QString n = name.trimmed();
        for (QChar c : n)
            if (c.isSpace())
                return QString();
        return n;
    };
    if (record.original) {
        if (const Psrp::Value *type = record.original->property(u"CommandInfo_CommandType"))
            if (type->toInteger().value_or(0) == ScriptCommandType)
                return {};
        if (const Psrp::Value *name = record.original->property(u"CommandInfo_Name"))
            return plausible(stringOf(name));
    }
    if (const Psrp::PsObject *ii = record.invocationInfo.object()) {
        const Psrp::Value *cmd = ii->property(u"MyCommand");
        if (const Psrp::PsObject *c = objectOf(cmd))
            return plausible(stringOf(c->property(u"Name")));
        return plausible(stringOf(cmd));
    }
    return {};
}

bool wasThrown(const Psrp::ErrorRecord &record)
{
    if (!record.original)
        return false;
    const Psrp::PsObject *ex = objectOf(record.original->property(u"Exception"));
    if (!ex)
        return false;
    const Psrp::Value *thrown = ex->property(u"WasThrownFromThrowStatement");
    return thrown && thrown->toBool().value_or(false);
}

QStringList splitLines(const QString &text)
{
    QStringList lines = text.split(u'\n');
    for (QString &l : lines)
        if (l.endsWith(u'\r'))
            l.chop(1);
    return lines;
}

// PowerShell's Get-TruncatedString: at most `length` characters, cut at the last whitespace.
QString truncatedAtWhitespace(const QString &text, qsizetype length)
{
    if (text.size() <= length)
        return text;
    const QString head = text.left(length);
    qsizetype cut = -1;
    for (qsizetype i = head.size() - 1; i >= 0; --i) {
        if (head.at(i).isSpace()) {
            cut = i;
            break;
        }
    }
    return cut < 0 ? head : head.left(cut);
}

// The scheme as a 407's Proxy-Authenticate names it (and PowerShell's AuthenticationMechanism).
QString proxyAuthenticationName(Wsman::ProxyAuthentication scheme)
{
    switch (scheme) {
    case Wsman::ProxyAuthentication::Basic:
        return u"Basic"_s;
    case Wsman::ProxyAuthentication::Digest:
        return u"Digest"_s;
    case Wsman::ProxyAuthentication::Negotiate:
        break;
    }
    return u"Negotiate"_s;
}

} // namespace

QString errorCategoryName(qint32 category)
{
    static constexpr std::array<QStringView, 32> Names = {
        u"NotSpecified", u"OpenError", u"CloseError", u"DeviceError", u"DeadlockDetected",
        u"InvalidArgument", u"InvalidData", u"InvalidOperation", u"InvalidResult", u"InvalidType",
        u"MetadataError", u"NotImplemented", u"NotInstalled", u"ObjectNotFound", u"OperationStopped",
        u"OperationTimeout", u"SyntaxError", u"ParserError", u"PermissionDenied", u"ResourceBusy",
        u"ResourceExists", u"ResourceUnavailable", u"ReadError", u"WriteError", u"FromStdErr",
        u"SecurityError", u"ProtocolError", u"ConnectionError", u"AuthenticationError",
        u"LimitsExceeded", u"QuotaExceeded", u"NotEnabled"};
    if (category < 0 || category >= qint32(Names.size()))
        return u"NotSpecified"_s;
    return Names[size_t(category)].toString();
}

QString conciseErrorView(const Psrp::ErrorRecord &record, const ErrorViewOptions &options)
{
    const QString errorColor = options.color ? QString(ErrorColor) : QString();
    const QString accentColor = options.color ? QString(AccentColor) : QString();
    const QString resetColor = options.color ? QString(ResetColor) : QString();
    constexpr qint32 ParserError = 17;

    if (record.fullyQualifiedErrorId == u"NativeCommandErrorMessage" || record.fullyQualifiedErrorId == u"NativeCommandError")
        return errorColor + record.message + resetColor;

    const QString scriptName = invocationString(record, u"ScriptName");
    const qint64 lineNumber = invocationInteger(record, u"ScriptLineNumber");
    const bool isParseError = record.category == ParserError
                              && record.exceptionType.contains(u"ParentContainsErrorRecordException");
    const bool showLineDetail = (isParseError || !scriptName.isEmpty() || lineNumber > 1)
                                && !scriptName.endsWith(u".psm1", Qt::CaseInsensitive);
    const QStringList position = splitLines(invocationString(record, u"PositionMessage"));

    QString posmsg;
    QString prefix;
    QString message;
    if (showLineDetail && position.size() >= 2) {
        posmsg = scriptName.isEmpty() ? u"\n"_s : resetColor + scriptName + u':' + QString::number(lineNumber) + u'\n';
        const QString number = QString::number(lineNumber);
        const QString headerWhitespace(qMax<qsizetype>(0, number.size() - 4), u' ');
        const QString lineWhitespace(qMax<qsizetype>(0, 4 - number.size()), u' ');
        posmsg += accentColor + headerWhitespace + u"Line |\n"_s;
        QString line = position.at(1).mid(1);
        const QString highlight = position.size() > 2 ? position.last().mid(1) : QString();
        const qsizetype offsetLength = highlight.trimmed().size();
        const qsizetype offsetInLine = highlight.indexOf(u'~');
        if (!accentColor.isEmpty() && offsetInLine >= 0 && offsetLength < line.size()
            && offsetInLine + offsetLength <= line.size()) {
            line.insert(offsetInLine + offsetLength, resetColor);
            line.insert(offsetInLine, accentColor);
        }
        posmsg += accentColor + lineWhitespace + number + u" | "_s + resetColor + line + u'\n';
        prefix = accentColor + headerWhitespace + u"     | "_s + errorColor;
        if (!highlight.isEmpty())
            posmsg += prefix + highlight + u'\n';
        message = prefix;
    }

    if (record.errorDetailsMessage && !record.errorDetailsMessage->isEmpty()) {
        message += *record.errorDetailsMessage;
    } else if (record.category == ParserError && record.message.contains(u"~\n")) {
        const QString tail = record.message.section(u"~\n"_s, 1, 1);
        message += tail.section(u"\n\n"_s, 0, 0);
    } else {
        message += record.message;
    }

    if (!scriptName.isEmpty() || record.category == ParserError) {
        message.replace(u"\r\n"_s, u" "_s).replace(u'\n', u' ').replace(u'\t', u' ');
        const qsizetype prefixVisible = prefix.size() - (prefix.isEmpty() ? 0 : accentColor.size() + errorColor.size());
        const qsizetype prefixVt = prefix.size() - prefixVisible;
        const qsizetype width = options.width;
        if (width > 0 && message.size() - prefixVt > width) {
            QString wrapped;
            QString piece = truncatedAtWhitespace(message, width + prefixVt);
            wrapped += piece + u'\n';
            QString remaining = message.mid(piece.size()).trimmed();
            while (remaining.size() + prefixVisible > width) {
                piece = truncatedAtWhitespace(prefix + remaining, width + prefixVt);
                if (piece.size() - prefix.size() <= 0)
                    break;
                wrapped += piece + u'\n';
                remaining = remaining.mid(piece.size() - prefix.size()).trimmed();
            }
            wrapped += prefix + remaining.trimmed();
            message = wrapped;
        }
        message += u'\n';
    }
    posmsg += errorColor + message;

    QString reason;
    if (wasThrown(record))
        reason = u"Exception"_s;
    else if (const QString command = myCommandName(record); !command.isEmpty())
        reason = command;
    else if (!record.categoryActivity.isEmpty())
        reason = record.categoryActivity;
    else if (const QString invocationName = invocationString(record, u"InvocationName"); !invocationName.isEmpty())
        reason = invocationName;
    else if (record.category != 0)
        reason = errorCategoryName(record.category);
    else if (!record.categoryReason.isEmpty())
        reason = record.categoryReason;
    else
        reason = u"Error"_s;

    QString text = errorColor + reason + u": "_s + posmsg + resetColor;
    if (record.errorDetailsRecommendedAction && !record.errorDetailsRecommendedAction->trimmed().isEmpty())
        text += u'\n' + errorColor + u"  Recommendation: "_s + *record.errorDetailsRecommendedAction + resetColor;
    return text;
}

Failure describeFault(const Wsman::Fault &fault)
{
    using Wsman::FaultKind;
    const QString code = u"0x"_s + QString::number(fault.code, 16).toUpper().rightJustified(8, u'0');
    QString what = fault.message.trimmed();
    if (what.isEmpty())
        what = fault.reason.trimmed();
    what.replace(u'\n', u' ').replace(u'\r', u' ');
    const QString head = u"the server answered with WS-Management fault %1 (%2)"_s.arg(code, Wsman::faultMeaning(fault.code));
    const QString detail = what.isEmpty() ? QString() : u": "_s + what;
    switch (fault.kind()) {
    case FaultKind::AccessDenied:
    case FaultKind::Authentication:
        return {ExitCode::Authentication, head + detail + u"; check the user name, the password and that the user may use this endpoint"_s};
    case FaultKind::InvalidResourceUri:
        return {ExitCode::Protocol, head + detail + u"; check --configuration-name"_s};
    case FaultKind::QuotaExceeded:
        return {ExitCode::Protocol, head + detail + u"; close other sessions on that computer and try again"_s};
    case FaultKind::Redirect:
        return {ExitCode::Protocol, head + detail + u"; use --connection-uri with --allow-redirection to follow it"_s};
    case FaultKind::CannotConnect:
        return {ExitCode::CannotConnect, head + detail + u"; check that WinRM runs on the computer"_s};
    default:
        return {ExitCode::Protocol, head + detail + u"; try again, or run with --trace FILE to see the exchange"_s};
    }
}

Failure describeTransportError(const Wsman::TransportError &error, const FailureContext &context)
{
    using Wsman::TransportErrorKind;
    const QString detail = error.detail.isEmpty() ? QString() : u" ("_s + error.detail + u')';
    switch (error.kind) {
    case TransportErrorKind::NameResolution:
        return {ExitCode::CannotConnect, u"cannot connect: the computer name does not resolve"_s + detail
                                             + u"; check the spelling of HOST or use an IP address"_s};
    case TransportErrorKind::ConnectionRefused:
        return {ExitCode::CannotConnect, u"cannot connect: the connection was refused"_s + detail
                                             + u"; check --port / --use-ssl and that WinRM listens on the computer"_s};
    case TransportErrorKind::ConnectionClosed:
        return {ExitCode::CannotConnect, u"cannot connect: the server closed the connection before answering"_s + detail
                                             + u"; check --port and --use-ssl"_s};
    case TransportErrorKind::Unreachable:
        return {ExitCode::CannotConnect, u"cannot connect: the computer is unreachable"_s + detail
                                             + u"; check the network and any firewall"_s};
    case TransportErrorKind::TimedOut:
        return {ExitCode::CannotConnect, u"cannot connect: the operation timed out"_s + detail
                                             + u"; check the network, or raise --session-option OpenTimeout=MS / OperationTimeout=MS"_s};
    case TransportErrorKind::Tls: {
        QString certificate;
        for (const QSslError &e : error.sslErrors) {
            certificate += certificate.isEmpty() ? u": "_s : u"; "_s;
            certificate += e.errorString();
        }
        return {ExitCode::Tls, u"TLS failure"_s + certificate + detail
                                   + u"; trust the server's CA on this machine, or (for testing only) use "
                                     "--session-option SkipCACheck=true / SkipCNCheck=true"_s};
    }
    case TransportErrorKind::AuthenticationFailed:
        if (error.authError) {
            switch (*error.authError) {
            case Wsman::AuthErrorCode::SchemeNotOffered:
                return {ExitCode::Authentication, u"authentication failed: the server does not offer this "
                                                  "authentication"_s + detail + u"; choose another --authentication"_s};
            case Wsman::AuthErrorCode::NoCredentials:
                return {ExitCode::Authentication, u"authentication failed: no Kerberos ticket"_s + detail
                                                      + u"; run kinit, or pass --credential USER@REALM"_s};
            case Wsman::AuthErrorCode::UnknownUser:
                return {ExitCode::Authentication, u"authentication failed: the KDC does not know the account"_s + detail
                                                      + u"; check --credential (USER@REALM)"_s};
            case Wsman::AuthErrorCode::UnknownServer:
                return {ExitCode::Authentication,
                        u"authentication failed: the KDC does not know the service HTTP/host"_s + detail
                            + u"; use the computer's DNS name (not an IP address or alias), or --session-option "
                              "IncludePortInSPN=true if its SPN carries the port"_s};
            case Wsman::AuthErrorCode::KdcUnreachable:
                return {ExitCode::Authentication, u"authentication failed: no Kerberos KDC answered"_s + detail
                                                      + u"; check krb5.conf and DNS, or use --authentication negotiate"_s};
            case Wsman::AuthErrorCode::ClockSkew:
                return {ExitCode::Authentication, u"authentication failed: this computer's clock differs too much from "
                                                  "the domain's"_s + detail + u"; synchronise the time"_s};
            default:
                break;
            }
        }
        return {ExitCode::Authentication, u"authentication failed: the server refused the credentials"_s + detail
                                              + u"; check --credential, the password and --authentication"_s};
    case TransportErrorKind::InsecureRefused:
        if (error.detail.contains(u"only inside TLS"_s))
            return {ExitCode::Authentication,
                    u"client certificate authentication works over HTTPS only; use --use-ssl or an https:// --connection-uri"_s};
        if (error.detail.startsWith(u"Digest"_s))
            return {ExitCode::Authentication,
                    u"Digest authentication over HTTP leaves every message readable and changeable on the way; "
                    "use --use-ssl, or --session-option NoEncryption=true to allow it"_s};
        return {ExitCode::Authentication,
                u"Basic authentication over HTTP sends the password in clear text; use --use-ssl, "
                "or --session-option NoEncryption=true to allow it"_s};
    case TransportErrorKind::HttpStatus: {
        if (auto fault = Wsman::parseFault(error.body))
            return describeFault(*fault);
        return {ExitCode::Protocol, u"the server answered HTTP %1 without a WS-Management fault%2; check --application-name "
                                    "or --connection-uri, or run with --trace FILE"_s.arg(QString::number(error.httpStatus), detail)};
    }
    case TransportErrorKind::Redirect:
        return {ExitCode::Protocol, u"the server redirects to %1; use --connection-uri with --allow-redirection to follow it"_s.arg(
                                        error.location.toString(QUrl::RemoveUserInfo))};
    case TransportErrorKind::Cancelled:
        return {ExitCode::Interrupted, u"interrupted"_s};
    case TransportErrorKind::ResponseTooLarge:
        return {ExitCode::Protocol, u"the server's answer is larger than allowed"_s + detail
                                        + u"; raise --session-option MaximumReceivedObjectSize if it is expected"_s};
    case TransportErrorKind::MessageProtection:
        return {ExitCode::Protocol, u"message encryption failed"_s + detail + u"; try again or use --use-ssl"_s};
    case TransportErrorKind::ProxyUnreachable:
        return {ExitCode::CannotConnect, u"cannot connect: the proxy %1 is unreachable"_s.arg(error.proxy) + detail
                                             + u"; check --proxy, http_proxy/https_proxy, or use "
                                               "--session-option ProxyAccessType=NoProxyServer"_s};
    case TransportErrorKind::ProxyAuthenticationFailed: {
        // Another scheme is suggested only when the proxy does not offer the chosen one; when it
        // does, the credentials were refused.
        QString offered;
        if (!error.proxyOffered.isEmpty()) {
            offered = u"; it offers "_s + error.proxyOffered.join(u", "_s);
            if (context.proxyAuthentication) {
                const QString chosen = proxyAuthenticationName(*context.proxyAuthentication);
                if (!error.proxyOffered.contains(chosen, Qt::CaseInsensitive))
                    offered += u", not %1: set --session-option ProxyAuthentication to one of them"_s.arg(chosen);
            }
        }
        return {ExitCode::Authentication, u"proxy authentication failed (HTTP 407) at %1"_s.arg(error.proxy) + detail + offered
                                              + u"; check --session-option ProxyCredential=USER and "
                                                "PSREMOTE_PROXY_PASSWORD (Negotiate: kinit)"_s};
    }
    }
    return {ExitCode::Protocol, u"WS-Management transport error"_s + detail};
}

} // namespace Cli
