#include "cli/Consent.h"

#include "wsman/CertificateStore.h"
#include "wsman/TrustedHosts.h"

#include <QCryptographicHash>

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

ConsentAnswer askYesNo(const QByteArray &terminalPath, const QString &question)
{
    const int fd = ::open(terminalPath.constData(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return ConsentAnswer::NoTerminal;
    const QByteArray prompt = question.toUtf8();
    (void)!::write(fd, prompt.constData(), size_t(prompt.size()));
    QByteArray line;
    char c = 0;
    for (;;) {
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || c == '\n' || line.size() >= 256)
            break;
        line.append(c);
    }
    ::close(fd);
    const QByteArray answer = line.trimmed().toLower();
    return answer == "y" || answer == "yes" ? ConsentAnswer::Yes : ConsentAnswer::No;
}

QString trustedHostExplanation(Wsman::AuthenticationMechanism mechanism, const Wsman::ConnectionTarget &target)
{
    using Wsman::AuthenticationMechanism;
    const QString what = mechanism == AuthenticationMechanism::Basic
                             ? u"your password in clear text"_s
                             : u"an NTLM response that can be cracked offline to recover your password"_s;
    const QString kind = Wsman::TrustedHosts::isIpAddress(target.host) ? u"the IP address"_s : u"the computer"_s;
    return u"%1 %2 is not in your TrustedHosts list and the connection is plain HTTP.\n"
           "Over HTTP the server cannot be authenticated%3:\n"
           "whoever answers at %2 receives %4.\n"
           "Use --use-ssl, or --authentication kerberos with the computer's DNS name, or, if you trust\n"
           "the network path to %2, consent with --trusted-host %2 (add --save-trusted-host to\n"
           "remember it; the list is shared with the PSRemote application)."_s
        .arg(kind, target.host,
             kind == u"the IP address"_s ? u" (Kerberos cannot be used with an IP address)"_s : QString(), what);
}

QString certificateDetails(const QSslCertificate &certificate)
{
    auto names = [](const QStringList &list) { return list.isEmpty() ? u"(none)"_s : list.join(u", "_s); };
    QStringList san;
    const auto alternatives = certificate.subjectAlternativeNames();
    for (auto it = alternatives.cbegin(); it != alternatives.cend(); ++it)
        san.append(it.value());
    return u"  Subject:  %1\n  Issuer:   %2\n  Names:    %3\n  Valid:    %4 to %5 (UTC)\n  SHA-256:  %6"_s.arg(
        certificate.subjectDisplayName().isEmpty() ? names(certificate.subjectInfo(QSslCertificate::CommonName))
                                                   : certificate.subjectDisplayName(),
        certificate.issuerDisplayName(), names(san),
        certificate.effectiveDate().toUTC().toString(u"yyyy-MM-dd HH:mm"_s),
        certificate.expiryDate().toUTC().toString(u"yyyy-MM-dd HH:mm"_s),
        Wsman::CertificateStore::formatSha256(certificate.digest(QCryptographicHash::Sha256)));
}

} // namespace Cli
