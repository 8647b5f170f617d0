#include "cli/ConnectionSetup.h"

#include "cli/Consent.h"
#include "cli/Password.h"

#include "wsman/AuthenticatorFactories.h"
#include "wsman/CertificateAuthenticator.h"
#include "wsman/CertificateStore.h"
#include "wsman/TrustedHosts.h"

#include <QCryptographicHash>
#include <QIODevice>

#include <memory>
#include <utility>
#include <variant>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

Failure describeClientError(const Wsman::ClientError &error, const FailureContext &context)
{
    using Wsman::ClientErrorKind;
    // The server refused the --certificate-thumbprint certificate: ErrorView's sentence speaks
    // of --credential and passwords, which do not apply.
    if (context.clientCertificate && error.transport &&
        error.transport->kind == Wsman::TransportErrorKind::AuthenticationFailed &&
        error.transport->authError == Wsman::AuthErrorCode::Rejected)
        return {ExitCode::Authentication, u"authentication failed: "_s + error.transport->detail +
                                              u" (--certificate-thumbprint)"_s};
    switch (error.kind) {
    case ClientErrorKind::Configuration:
        return {ExitCode::Usage,
                error.configError ? configErrorSentence(*error.configError, {}) : error.detail};
    case ClientErrorKind::Transport:
    case ClientErrorKind::RedirectNotAllowed:
    case ClientErrorKind::TooManyRedirects:
        // A redirect the user allowed but that was still refused (a hop needing consent, a
        // downgrade to plain HTTP, a 302 after Create): the client's own sentence says why.
        if (error.kind == ClientErrorKind::RedirectNotAllowed &&
            (error.detail.contains(u" was refused: "_s) ||
             error.detail.contains(u"only Create may be redirected"_s)))
            return {ExitCode::Protocol, error.detail};
        if (error.transport) {
            Failure f = describeTransportError(*error.transport, context);
            if (error.kind == ClientErrorKind::TooManyRedirects)
                f.sentence =
                    u"too many redirects; raise --session-option MaximumConnectionRedirectionCount"_s;
            return f;
        }
        return {ExitCode::CannotConnect, u"cannot connect: "_s + error.detail};
    case ClientErrorKind::Fault:
        if (error.fault)
            return describeFault(*error.fault);
        return {ExitCode::Protocol, u"WS-Management fault: "_s + error.detail};
    case ClientErrorKind::ShellNotFound:
        return {ExitCode::Protocol,
                u"the server no longer knows this session (0x8033805B); run the command again"_s};
    case ClientErrorKind::Protocol:
        return {ExitCode::Protocol,
                u"protocol error: "_s + error.detail + u"; run with --trace FILE and report it"_s};
    case ClientErrorKind::PoolBroken:
        return {ExitCode::Protocol,
                u"the server broke the session: "_s +
                    (error.errorRecord ? error.errorRecord->message : error.detail)};
    case ClientErrorKind::OpenTimeout:
        return {ExitCode::CannotConnect,
                u"cannot connect: the session did not open within OpenTimeout; raise "
                "--session-option OpenTimeout=MS"_s};
    case ClientErrorKind::CancelTimeout:
        return {ExitCode::Interrupted,
                u"the pipeline did not stop within CancelTimeout; it was terminated"_s};
    case ClientErrorKind::DataSizeExceeded:
        return {
            ExitCode::Protocol,
            u"the command's output exceeded MaximumReceivedDataSizePerCommand; it was stopped"_s};
    case ClientErrorKind::ObjectSizeExceeded:
        return {ExitCode::Protocol,
                u"an object exceeded MaximumReceivedObjectSize; raise --session-option "
                "MaximumReceivedObjectSize if it is expected"_s};
    case ClientErrorKind::Trace:
        return {ExitCode::Usage, u"--trace: cannot create the trace file: "_s + error.detail};
    case ClientErrorKind::InvalidState:
        break;
    }
    return {ExitCode::Protocol, u"internal error: "_s + error.detail};
}

bool isCertificateTrustFailure(const Wsman::ClientError &error)
{
    return error.kind == Wsman::ClientErrorKind::Transport && error.transport &&
           error.transport->kind == Wsman::TransportErrorKind::Tls &&
           !error.transport->peerCertificate.isNull();
}

namespace {

// --certificate-thumbprint (dossier 3.7): the certificate and its key from the store, for the
// TLS handshake; the exit code when it cannot be had. The passphrase of an encrypted key comes
// from PSREMOTE_CERTIFICATE_PASSPHRASE or the terminal.
std::variant<Wsman::ClientCertificate, ExitCode>
loadClientCertificate(const QString &thumbprint, const QString &prefix, QTextStream &err)
{
    const Wsman::CertificateStore store;
    const std::optional<Wsman::StoredCertificate> stored = store.find(thumbprint);
    if (!stored) {
        err << prefix << "--certificate-thumbprint: no certificate " << thumbprint
            << " in the store; import it with `psremote-cli certificate import FILE`\n";
        return ExitCode::Usage;
    }
    Wsman::Secret passphrase;
    if (stored->encryptedKey) {
        PasswordResult obtained =
            obtainCertificatePassphrase(u"Passphrase for the key of %1: "_s.arg(stored->name));
        if (auto *e = std::get_if<PasswordError>(&obtained)) {
            err << prefix << "--certificate-thumbprint: " << e->message << '\n';
            return e->code == PasswordErrorCode::Interrupted ? ExitCode::Interrupted
                                                             : ExitCode::Usage;
        }
        passphrase = std::move(std::get<Wsman::Secret>(obtained));
    }
    auto loaded = store.load(thumbprint, passphrase);
    passphrase.clear();
    if (!loaded) {
        if (loaded.error().code == Wsman::CertificateStoreErrorCode::WrongPassphrase) {
            err << prefix
                << "--certificate-thumbprint: the passphrase does not open the key of the "
                   "certificate '"
                << stored->name << "' (" << stored->thumbprint
                << "); check PSREMOTE_CERTIFICATE_PASSPHRASE\n";
            return ExitCode::Authentication;
        }
        err << prefix << "--certificate-thumbprint: " << loaded.error().detail << '\n';
        return ExitCode::Usage;
    }
    return std::move(loaded).value();
}

} // namespace

ConnectionSetup::ConnectionSetup(QString command, ConnectionOptions options, QTextStream &err)
    : m_command(std::move(command)), m_options(std::move(options)), m_err(err)
{
    if (auto t = m_options.connection.resolve())
        m_target = t.value();
}

FailureContext ConnectionSetup::failureContext() const
{
    FailureContext context;
    context.clientCertificate = !m_options.connection.certificateThumbprint.isEmpty();
    context.proxyAuthentication = m_options.sessionOption.proxyAuthentication;
    return context;
}

QString ConnectionSetup::prefix() const
{
    return u"psremote-cli "_s + m_command + u": "_s;
}

std::optional<int> ConnectionSetup::prepare(QIODevice *stdinDevice)
{
    const Wsman::ConnectionInfo &connection = m_options.connection;
    const Wsman::SessionOption &sessionOption = m_options.sessionOption;
    const Wsman::ConnectionTarget &target = m_target;
    const QString p = prefix();

    // validate() already refused it over HTTP and together with --credential/--authentication.
    std::optional<Wsman::ClientCertificate> clientCertificate;
    if (!connection.certificateThumbprint.isEmpty()) {
        auto loaded = loadClientCertificate(connection.certificateThumbprint, p, m_err);
        if (auto *code = std::get_if<ExitCode>(&loaded))
            return int(*code);
        clientCertificate = std::move(std::get<Wsman::ClientCertificate>(loaded));
    }

    // TrustedHosts: before any credential is asked for or sent.
    Wsman::TrustedHosts trusted = Wsman::TrustedHosts::load();
    for (const QString &pattern : m_options.trustedHosts)
        trusted.add(pattern);
    if (m_options.saveTrustedHosts && !trusted.save()) {
        m_err << p << "--save-trusted-host: cannot write " << Wsman::sharedSettingsFilePath()
              << '\n';
        return int(ExitCode::Usage);
    }
    if (Wsman::needsTrustedHostConsent(connection.authentication, target, trusted)) {
        const QString why = trustedHostExplanation(connection.authentication, target);
        switch (askYesNo(QByteArrayLiteral("/dev/tty"),
                         why + u"\nSend the credentials to %1 anyway? [y/N] "_s.arg(target.host))) {
        case ConsentAnswer::Yes:
            break;
        case ConsentAnswer::No:
            m_err << p << "not connecting to " << target.host << ": no consent (use --trusted-host "
                  << target.host << " to give it)\n";
            return int(ExitCode::Authentication);
        case ConsentAnswer::NoTerminal:
            m_err << p << "refusing to send credentials: " << why << '\n'
                  << "No terminal to ask on: pass --trusted-host " << target.host
                  << " to consent.\n";
            return int(ExitCode::Authentication);
        }
    }
    // CredSSP hands the password itself to the server (PowerShell's documentation warns: a
    // compromised server can use it anywhere); the user says yes first, every time.
    if (connection.authentication == Wsman::AuthenticationMechanism::CredSsp &&
        !m_options.allowDelegation) {
        const QString why =
            u"CredSSP delegates your password to %1: the server receives it and can use it to "
            u"reach "
            "other computers as you. Do this only for a server you trust completely."_s.arg(
                target.host);
        switch (askYesNo(QByteArrayLiteral("/dev/tty"),
                         why + u"\nDelegate your credentials to %1? [y/N] "_s.arg(target.host))) {
        case ConsentAnswer::Yes:
            break;
        case ConsentAnswer::No:
            m_err << p << "not connecting to " << target.host
                  << ": no consent to delegate (use --allow-delegation to give it)\n";
            return int(ExitCode::Authentication);
        case ConsentAnswer::NoTerminal:
            m_err << p << "refusing to delegate credentials: " << why << '\n'
                  << "No terminal to ask on: pass --allow-delegation to consent.\n";
            return int(ExitCode::Authentication);
        }
    }
    if (!target.useSsl && sessionOption.noEncryption &&
        !Wsman::TrustedHosts::isLoopback(target.host))
        m_err
            << "WARNING: NoEncryption=true: the session's messages travel unencrypted over HTTP to "
            << target.host << "; anyone on the network path can read and change them.\n";

    Wsman::Secret password;
    if (Wsman::authenticationNeedsPassword(connection)) {
        const Wsman::UserName &user = *connection.userName;
        PasswordResult obtained = obtainPassword(PasswordSources::fromProcess(
            stdinDevice, m_options.passwordStdin, u"Password for %1: "_s.arg(user.toString())));
        if (auto *e = std::get_if<PasswordError>(&obtained)) {
            m_err << p << e->message << '\n';
            return int(e->code == PasswordErrorCode::Interrupted ? ExitCode::Interrupted
                                                                 : ExitCode::Usage);
        }
        password = std::move(std::get<Wsman::Secret>(obtained));
    }

    // --session-option ProxyCredential=USER: its password from PSREMOTE_PROXY_PASSWORD or the
    // terminal, never an argument or stdin.
    ProxyPasswordResult proxy = obtainProxyPassword(sessionOption);
    if (proxy.error) {
        m_err << p << proxy.error->message << '\n';
        return int(proxy.error->code == PasswordErrorCode::Interrupted ? ExitCode::Interrupted
                                                                       : ExitCode::Usage);
    }

    Wsman::ClientOptions &options = m_clientOptions;
    // Not a PowerShell option (PowerShell's robust connection always retries for 4 minutes): a
    // knob for tests and diagnosis, documented as such in the help's Environment section.
    if (const QByteArray retry = qgetenv("PSREMOTE_MAX_RETRY_TIME_MS"); !retry.isEmpty()) {
        bool ok = false;
        const qint64 ms = retry.trimmed().toLongLong(&ok);
        if (!ok || ms < 0) {
            m_err << p << "PSREMOTE_MAX_RETRY_TIME_MS: '" << QString::fromLocal8Bit(retry)
                  << "' is not a number of milliseconds\n";
            return int(ExitCode::Usage);
        }
        options.maxRetryTimeMs = ms;
    }
    options.proxyPassword = std::move(proxy.password);
    options.connection = connection;
    options.sessionOption = sessionOption;
    options.tracePath = m_options.traceFile;
    if (clientCertificate) {
        options.clientCertificate = std::move(clientCertificate);
        options.authenticatorFactory = Wsman::certificateAuthenticatorFactory();
    } else {
        // Each redirect hop gets an authenticator of its own, and a hop is refused where
        // connecting there directly would have needed consent the user has not given.
        options.authenticatorFactory = Wsman::authenticatorFactoryFor(connection, target, sessionOption,
                                                                      Wsman::Secret::fromUtf8(password.utf8()));
        options.redirectAuthenticator = Wsman::redirectAuthenticatorFor(connection, sessionOption, trusted,
                                                                        std::move(password));
    }
    if (target.useSsl) {
        const Wsman::CertificateStore store;
        options.pinnedSha256 =
            store.pins(Wsman::CertificateStore::endpointKey(target.host, target.port));
        if (m_options.pinCertificate && !options.pinnedSha256.contains(*m_options.pinCertificate))
            options.pinnedSha256.append(*m_options.pinCertificate);
    }
    return std::nullopt;
}

int ConnectionSetup::run(const std::function<AttemptOutcome(const Wsman::ClientOptions &)> &attempt)
{
    const QString p = prefix();
    Wsman::CertificateStore store;
    const QString endpoint = Wsman::CertificateStore::endpointKey(m_target.host, m_target.port);
    const std::optional<QByteArray> &pinArgument = m_options.pinCertificate;
    for (int round = 0;; ++round) {
        const AttemptOutcome outcome = attempt(m_clientOptions);
        if (outcome.opened && pinArgument && !store.pins(endpoint).contains(*pinArgument)) {
            if (!store.addPin(endpoint, *pinArgument))
                m_err << p << "cannot store the certificate pin in "
                      << Wsman::sharedSettingsFilePath() << '\n';
        }
        if (!outcome.tlsFailure)
            return outcome.exitCode;
        const Wsman::TransportError &tls = *outcome.tlsFailure;
        const QString presented = Wsman::CertificateStore::formatSha256(
            tls.peerCertificate.digest(QCryptographicHash::Sha256));
        if (tls.pinMismatch) {
            if (pinArgument)
                m_err
                    << p
                    << "the server's certificate does not match --pin-certificate: it has SHA-256 "
                    << presented << ", not " << Wsman::CertificateStore::formatSha256(*pinArgument)
                    << ". Nothing was sent.\n"
                    << certificateDetails(tls.peerCertificate) << '\n';
            else
                m_err << p << "@@@ WARNING: THE CERTIFICATE OF " << endpoint << " HAS CHANGED @@@\n"
                      << "It is not the certificate you pinned. Someone may be intercepting the "
                         "connection, or the\n"
                         "server got a new certificate. Nothing was sent. The certificate "
                         "presented now:\n"
                      << certificateDetails(tls.peerCertificate) << '\n'
                      << "If the change is expected, check the fingerprint with the server's "
                         "administrator and run\n"
                         "again with --pin-certificate "
                      << presented
                      << ", or remove the old pin with `psremote-cli certificate remove --pin "
                      << endpoint << "`.\n";
            return int(ExitCode::Tls);
        }
        QStringList problems;
        for (const QSslError &e : tls.sslErrors)
            problems.append(e.errorString());
        m_err << p << "TLS failure: the server's certificate is not trusted ("
              << (problems.isEmpty() ? tls.detail : problems.join(u"; "_s)) << "):\n"
              << certificateDetails(tls.peerCertificate) << '\n';
        if (round == 0) {
            m_err.flush();
            const ConsentAnswer answer = askYesNo(
                QByteArrayLiteral("/dev/tty"),
                u"Compare the SHA-256 fingerprint with the one the server's administrator gives "
                u"you.\n"
                "Trust this certificate for %1 from now on (pin it) and connect? [y/N] "_s.arg(
                    endpoint));
            if (answer == ConsentAnswer::Yes) {
                const QByteArray digest = tls.peerCertificate.digest(QCryptographicHash::Sha256);
                if (!store.addPin(endpoint, digest))
                    m_err << p << "cannot store the pin in " << Wsman::sharedSettingsFilePath()
                          << "; trusting it for this run only\n";
                m_clientOptions.pinnedSha256.append(digest);
                continue;
            }
            if (answer == ConsentAnswer::No)
                return int(ExitCode::Tls);
        }
        m_err << "To trust this certificate, check its fingerprint with the server's administrator "
                 "and run again with\n"
                 "--pin-certificate "
              << presented
              << " (or trust the server's CA on this computer; for testing only: --session-option "
                 "SkipCACheck=true / SkipCNCheck=true).\n";
        return int(ExitCode::Tls);
    }
}

} // namespace Cli
