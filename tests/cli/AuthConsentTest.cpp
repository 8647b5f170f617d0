// psremote-cli's authentication choices, the TrustedHosts consent, certificate pins (trust on
// first use) and `psremote-cli certificate`, end to end against the loopback endpoint: Basic,
// NTLM and Negotiate through the system GSSAPI (gss-ntlmssp), HTTPS with a test CA. Every child
// gets its own XDG_CONFIG_HOME / XDG_DATA_HOME, so the shared settings and store are temporary.
#include "cli/CliApp.h"
#include "cli/Consent.h"
#include "cli/ErrorView.h"
#include "cli/InvokeCommand.h"

#include "wsman/CertificateStore.h"

#include "CliTestSupport.h"
#include "HttpTestServer.h"
#include "LoopbackServer.h"

#include <QCryptographicHash>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QSocketNotifier>
#include <QTemporaryDir>
#include <QTimer>

#include <gtest/gtest.h>

#include <cerrno>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using Cli::ExitCode;

namespace {

struct CliResult {
    int exitCode = -1;
    QString out;
    QString err;
};

// A temporary home for the shared settings (XDG_CONFIG_HOME) and the store (XDG_DATA_HOME).
struct Home {
    QTemporaryDir dir;
    QStringList env() const
    {
        return {u"XDG_CONFIG_HOME="_s + dir.filePath(u"config"_s), u"XDG_DATA_HOME="_s + dir.filePath(u"data"_s)};
    }
    QString settingsFile() const { return dir.filePath(u"config/PSRemote/io.github.psremote.PSRemote.ini"_s); }
    Wsman::CertificateStore store() const
    {
        return Wsman::CertificateStore(settingsFile(),
                                       dir.filePath(u"data/PSRemote/io.github.psremote.PSRemote/certificates"_s));
    }
};

// psremote-cli as a child without a controlling terminal (setsid) while this thread serves
// the endpoint; a 60 s guard kills a hung child.
CliResult runCli(const QStringList &args, const Home &home, const QByteArray &input = {}, const QStringList &env = {})
{
    const CliTestSupport::CliRun r =
        CliTestSupport::runCli(args, CliTestSupport::cliEnvironment(home.dir.path(), env), input);
    return CliResult{r.exitCode, r.out, r.err};
}

// psremote-cli with a fresh pseudo terminal as controlling terminal and stdin, the password in
// PSREMOTE_PASSWORD; types `answer` once the terminal shows `prompt`. A 30 s guard stops a hang.
CliResult runOnTerminal(const QStringList &args, const Home &home, const QByteArray &password,
                        const QByteArray &prompt, const QByteArray &answer, QByteArray *shown)
{
    bool answered = false;
    const CliTestSupport::TerminalRun r = CliTestSupport::runOnTerminal(
        args,
        CliTestSupport::cliEnvironment(home.dir.path(), {u"PSREMOTE_PASSWORD="_s + QString::fromUtf8(password)}),
        [&](QProcess &, int master, const QByteArray &, const QByteArray &terminal) {
            if (!answered && terminal.contains(prompt)) {
                answered = true;
                (void)!::write(master, answer.constData(), size_t(answer.size()));
            }
        });
    shown->append(r.terminal);
    return CliResult{r.exitCode, QString::fromUtf8(r.out), QString::fromUtf8(r.err)};
}

Cli::UsageError parseError(const QStringList &args)
{
    auto r = Cli::parseInvokeArguments(args);
    if (auto *e = std::get_if<Cli::UsageError>(&r))
        return *e;
    ADD_FAILURE() << "expected a usage error for " << args.join(u' ').toStdString();
    return {};
}

Cli::InvokeArguments parseOk(const QStringList &args)
{
    auto r = Cli::parseInvokeArguments(args);
    if (auto *e = std::get_if<Cli::UsageError>(&r)) {
        ADD_FAILURE() << "unexpected usage error: " << e->message.toStdString();
        return {};
    }
    return std::get<Cli::InvokeArguments>(std::move(r));
}

const QString Sha256Hex = u"00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"_s;

} // namespace

// ---- options -------------------------------------------------------------------------------

TEST(AuthOptions, MechanismsAndWhoNeedsACredential)
{
    const QStringList base{u"srv.example"_s, u"--command"_s, u"x"_s};
    using M = Wsman::AuthenticationMechanism;
    EXPECT_EQ(parseOk(base + QStringList{u"--authentication"_s, u"ntlm"_s, u"--credential"_s, u"D\\u"_s})
                  .connection.connection.authentication,
              M::Ntlm);
    EXPECT_EQ(parseOk(base + QStringList{u"--authentication"_s, u"Negotiate"_s, u"--credential"_s, u"u@R"_s})
                  .connection.connection.authentication,
              M::Negotiate);
    // Kerberos may use the ticket cache; negotiate-implicit always does.
    EXPECT_EQ(parseOk(base + QStringList{u"--authentication"_s, u"kerberos"_s}).connection.connection.authentication,
              M::Kerberos);
    EXPECT_EQ(parseOk(base + QStringList{u"--authentication"_s, u"negotiate-implicit"_s})
                  .connection.connection.authentication,
              M::NegotiateWithImplicitCredential);
    for (const QString &m : {u"default"_s, u"negotiate"_s, u"ntlm"_s, u"basic"_s}) {
        const Cli::UsageError e = parseError(base + QStringList{u"--authentication"_s, m});
        EXPECT_EQ(e.option, u"--credential"_s) << m.toStdString();
    }
    EXPECT_EQ(parseOk(base + QStringList{u"--authentication"_s, u"credssp"_s, u"--credential"_s, u"u"_s})
                  .connection.connection.authentication,
              M::CredSsp);
    EXPECT_EQ(parseError(base + QStringList{u"--authentication"_s, u"credssp"_s}).option, u"--credential"_s);
    // Digest: WinRM never offers it, but a reverse proxy in front of an endpoint may
    // (DigestEndpoint.* runs it through Apache); it needs a credential like Basic.
    EXPECT_EQ(parseOk(base + QStringList{u"--authentication"_s, u"digest"_s, u"--credential"_s, u"u"_s})
                  .connection.connection.authentication,
              M::Digest);
    EXPECT_EQ(parseError(base + QStringList{u"--authentication"_s, u"digest"_s}).option, u"--credential"_s);
}

TEST(AuthOptions, ConsentAndPinOptions)
{
    const Cli::InvokeArguments a = parseOk({u"h"_s, u"--credential"_s, u"u"_s, u"--use-ssl"_s, u"--trusted-host"_s,
                                            u"*.corp.example"_s, u"--trusted-host=10.0.0.5"_s, u"--save-trusted-host"_s,
                                            u"--pin-certificate"_s, Sha256Hex, u"--command"_s, u"x"_s});
    EXPECT_EQ(a.connection.trustedHosts, (QStringList{u"*.corp.example"_s, u"10.0.0.5"_s}));
    EXPECT_TRUE(a.connection.saveTrustedHosts);
    ASSERT_TRUE(a.connection.pinCertificate.has_value());
    EXPECT_EQ(a.connection.pinCertificate->toHex(), Sha256Hex.toLower().toLatin1());

    const QStringList base{u"h"_s, u"--credential"_s, u"u"_s, u"--command"_s, u"x"_s};
    struct Case {
        QStringList extra;
        QString option;
        QString says;
    };
    const Case cases[] = {
        {{u"--trusted-host"_s, u"a*b"_s}, u"--trusted-host"_s, u"wildcard"_s},
        {{u"--pin-certificate"_s, u"abcd"_s}, u"--pin-certificate"_s, u"SHA-256"_s},
        {{u"--pin-certificate"_s, Sha256Hex}, u"--pin-certificate"_s, u"--use-ssl"_s},
        {{u"--save-trusted-host"_s}, u"--save-trusted-host"_s, u"--trusted-host"_s},
        {{u"--certificate-thumbprint"_s, u"12"_s}, u"--certificate-thumbprint"_s, u"SHA-1"_s},
    };
    for (const Case &c : cases) {
        const Cli::UsageError e = parseError(base + c.extra);
        EXPECT_EQ(e.option, c.option) << c.extra.join(u' ').toStdString();
        EXPECT_TRUE(e.message.contains(c.says)) << e.message.toStdString();
    }
    const QString thumbprint = u"0123456789ABCDEF0123456789ABCDEF01234567"_s;
    EXPECT_TRUE(parseError({u"h"_s, u"--certificate-thumbprint"_s, thumbprint, u"--command"_s, u"x"_s})
                    .message.contains(u"HTTPS only"_s));
    EXPECT_EQ(parseError({u"h"_s, u"--use-ssl"_s, u"--certificate-thumbprint"_s, thumbprint, u"--credential"_s, u"u"_s,
                          u"--command"_s, u"x"_s})
                  .option,
              u"--certificate-thumbprint"_s);
    EXPECT_EQ(parseOk({u"h"_s, u"--use-ssl"_s, u"--certificate-thumbprint"_s, thumbprint.toLower(), u"--command"_s, u"x"_s})
                  .connection.connection.certificateThumbprint,
              thumbprint);
}

TEST(AuthOptions, HelpNamesTheConsentOptions)
{
    const QString help = Cli::invokeHelp();
    for (const char *option : {"--trusted-host", "--save-trusted-host", "--pin-certificate", "--allow-delegation",
                               "IncludePortInSPN", "kerberos", "TrustedHosts"})
        EXPECT_TRUE(help.contains(QLatin1StringView(option))) << option;
    EXPECT_TRUE(Cli::usage().contains(u"certificate"_s));
}

TEST(Consent, ExplanationSaysWhyAndHow)
{
    Wsman::ConnectionTarget target;
    target.host = u"192.0.2.8"_s;
    const QString ntlm = Cli::trustedHostExplanation(Wsman::AuthenticationMechanism::Ntlm, target);
    EXPECT_TRUE(ntlm.contains(u"NTLM response"_s)) << ntlm.toStdString();
    EXPECT_TRUE(ntlm.contains(u"cannot be authenticated"_s));
    EXPECT_TRUE(ntlm.contains(u"--trusted-host 192.0.2.8"_s));
    EXPECT_TRUE(ntlm.contains(u"IP address"_s));
    const QString basic = Cli::trustedHostExplanation(Wsman::AuthenticationMechanism::Basic, target);
    EXPECT_TRUE(basic.contains(u"clear text"_s));
}

TEST(Consent, YesNoOnATerminal)
{
    EXPECT_EQ(Cli::askYesNo(QByteArrayLiteral("/nonexistent/tty"), u"?"_s), Cli::ConsentAnswer::NoTerminal);
    for (const auto &[typed, expected] : {std::pair{QByteArrayLiteral("Yes\n"), Cli::ConsentAnswer::Yes},
                                          std::pair{QByteArrayLiteral("y\n"), Cli::ConsentAnswer::Yes},
                                          std::pair{QByteArrayLiteral("\n"), Cli::ConsentAnswer::No},
                                          std::pair{QByteArrayLiteral("yep\n"), Cli::ConsentAnswer::No}}) {
        const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
        ASSERT_GE(master, 0);
        ASSERT_EQ(::grantpt(master), 0);
        ASSERT_EQ(::unlockpt(master), 0);
        const QByteArray slavePath(::ptsname(master));
        std::thread typist([master, typed = typed] {
            QByteArray shown;
            char buffer[256];
            while (!shown.contains("[y/N] ")) {
                const ssize_t n = ::read(master, buffer, sizeof buffer);
                if (n <= 0)
                    return;
                shown.append(buffer, n);
            }
            (void)!::write(master, typed.constData(), size_t(typed.size()));
        });
        EXPECT_EQ(Cli::askYesNo(slavePath, u"Trust it? [y/N] "_s), expected) << typed.constData();
        typist.join();
        ::close(master);
    }
}

TEST(AuthFailures, ReasonsNameTheRemedy)
{
    using C = Wsman::AuthErrorCode;
    const std::pair<C, QString> cases[] = {
        {C::NoCredentials, u"kinit"_s},           {C::UnknownUser, u"--credential"_s},
        {C::UnknownServer, u"IncludePortInSPN"_s}, {C::KdcUnreachable, u"krb5.conf"_s},
        {C::ClockSkew, u"clock"_s},               {C::SchemeNotOffered, u"--authentication"_s},
        {C::Rejected, u"the password"_s},
    };
    for (const auto &[code, hint] : cases) {
        Wsman::TransportError e;
        e.kind = Wsman::TransportErrorKind::AuthenticationFailed;
        e.authError = code;
        const Cli::Failure f = Cli::describeTransportError(e);
        EXPECT_EQ(f.code, ExitCode::Authentication);
        EXPECT_TRUE(f.sentence.contains(hint)) << f.sentence.toStdString();
        EXPECT_FALSE(f.sentence.contains(u'\n'));
    }
}

// ---- TrustedHosts end to end (NTLM / Negotiate through gss-ntlmssp) ------------------------

namespace {

bool gssNtlmAvailable()
{
    return !QDir(u"/etc/gss/mech.d"_s).entryList({u"*ntlm*"_s}, QDir::Files).isEmpty();
}

class NtlmEndToEnd : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!gssNtlmAvailable())
            GTEST_SKIP() << "gss-ntlmssp is not installed (no /etc/gss/mech.d/*ntlm*): the endpoint cannot accept NTLM";
        ASSERT_TRUE(m_home.dir.isValid());
        QFile users(m_home.dir.filePath(u"ntlm-users"_s));
        ASSERT_TRUE(users.open(QIODevice::WriteOnly));
        users.write("EXAMPLE:alice:s3cret\n");
        users.close();
        TestServer::ServerConfig config;
        config.authSchemes = {TestServer::AuthScheme::Negotiate, TestServer::AuthScheme::CredSsp,
                              TestServer::AuthScheme::Basic};
        config.ntlmUserFile = users.fileName();
        m_server = std::make_unique<TestServer::LoopbackServer>(config);
        QString error;
        ASSERT_TRUE(m_server->listen(&error)) << error.toStdString();
    }
    // "0.0.0.0" reaches the loopback listener on Linux but is neither loopback nor a name:
    // an untrusted IP address as far as the TrustedHosts rule goes.
    QStringList args(const QString &host, const QString &mechanism, const QStringList &extra = {}) const
    {
        return QStringList{u"invoke"_s, host, u"--port"_s, QString::number(m_server->port()), u"--credential"_s,
                           u"EXAMPLE\\alice"_s, u"--authentication"_s, mechanism, u"--password-stdin"_s,
                           u"--command"_s, u"Write-Output consented"_s}
               + extra;
    }
    static QByteArray password() { return QByteArrayLiteral("s3cret\n"); }

    Home m_home;
    std::unique_ptr<TestServer::LoopbackServer> m_server;
};

} // namespace

TEST_F(NtlmEndToEnd, LoopbackNeedsNoConsentAndMessagesAreEncrypted)
{
    // The endpoint refuses plaintext SOAP on a Negotiate connection (AllowUnencrypted off), so
    // success means the bodies were encrypted.
    const CliResult r = runCli(args(u"127.0.0.1"_s, u"ntlm"_s), m_home, password());
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"consented\n"_s);
    EXPECT_EQ(r.err, QString());
}

TEST_F(NtlmEndToEnd, UntrustedAddressWithoutATerminalIsRefusedBeforeAnythingIsSent)
{
    for (const QString &mechanism : {u"ntlm"_s, u"negotiate"_s, u"default"_s}) {
        const CliResult r = runCli(args(u"0.0.0.0"_s, mechanism), m_home, password());
        EXPECT_EQ(r.exitCode, int(ExitCode::Authentication)) << r.err.toStdString();
        EXPECT_TRUE(r.err.contains(u"--trusted-host 0.0.0.0"_s)) << r.err.toStdString();
        EXPECT_TRUE(r.err.contains(u"TrustedHosts"_s)) << r.err.toStdString();
        EXPECT_TRUE(r.err.contains(u"No terminal"_s)) << r.err.toStdString();
    }
    EXPECT_EQ(m_server->requestCount(), 0);
}

TEST_F(NtlmEndToEnd, TrustedHostOptionConsentsForOneRunOrForGood)
{
    const CliResult once = runCli(args(u"0.0.0.0"_s, u"ntlm"_s, {u"--trusted-host"_s, u"0.0.0.*"_s}), m_home, password());
    EXPECT_EQ(once.exitCode, 0) << once.err.toStdString();
    EXPECT_EQ(once.out, u"consented\n"_s);
    EXPECT_FALSE(QFile::exists(m_home.settingsFile()));

    const CliResult saved = runCli(args(u"0.0.0.0"_s, u"ntlm"_s, {u"--trusted-host"_s, u"0.0.0.0"_s, u"--save-trusted-host"_s}),
                             m_home, password());
    EXPECT_EQ(saved.exitCode, 0) << saved.err.toStdString();
    QFile file(m_home.settingsFile());
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    EXPECT_TRUE(file.readAll().contains("TrustedHosts=0.0.0.0"));

    const CliResult later = runCli(args(u"0.0.0.0"_s, u"ntlm"_s), m_home, password());
    EXPECT_EQ(later.exitCode, 0) << later.err.toStdString();
    EXPECT_EQ(later.out, u"consented\n"_s);
}

TEST_F(NtlmEndToEnd, ConsentOnTheTerminal)
{
    QStringList a = args(u"0.0.0.0"_s, u"ntlm"_s);
    a.removeAll(u"--password-stdin"_s);
    QByteArray shown;
    const CliResult yes = runOnTerminal(a, m_home, "s3cret", "anyway? [y/N] ", "y\n", &shown);
    EXPECT_EQ(yes.exitCode, 0) << yes.err.toStdString();
    EXPECT_EQ(yes.out, u"consented\n"_s);
    EXPECT_TRUE(shown.contains("cracked offline")) << shown.constData();
    EXPECT_FALSE(QFile::exists(m_home.settingsFile())); // consent for this run only

    const int before = m_server->requestCount();
    shown.clear();
    const CliResult no = runOnTerminal(a, m_home, "s3cret", "anyway? [y/N] ", "n\n", &shown);
    EXPECT_EQ(no.exitCode, int(ExitCode::Authentication)) << no.err.toStdString();
    EXPECT_TRUE(no.err.contains(u"no consent"_s)) << no.err.toStdString();
    EXPECT_EQ(m_server->requestCount(), before);
}

TEST_F(NtlmEndToEnd, TrustedHostsCommandManagesTheSharedList)
{
    EXPECT_TRUE(runCli({u"trusted-hosts"_s, u"list"_s}, m_home).out.contains(u"(none"_s));
    const CliResult bad = runCli({u"trusted-hosts"_s, u"add"_s, u"a*b"_s}, m_home);
    EXPECT_EQ(bad.exitCode, int(ExitCode::Usage));
    const CliResult added = runCli({u"trusted-hosts"_s, u"add"_s, u"0.0.0.*"_s, u"*.corp.example"_s}, m_home);
    EXPECT_EQ(added.exitCode, 0) << added.err.toStdString();
    EXPECT_TRUE(runCli({u"trusted-hosts"_s, u"list"_s}, m_home).out.contains(u"  *.corp.example\n"_s));

    const CliResult trustedRun = runCli(args(u"0.0.0.0"_s, u"ntlm"_s), m_home, password());
    EXPECT_EQ(trustedRun.exitCode, 0) << trustedRun.err.toStdString();

    EXPECT_EQ(runCli({u"trusted-hosts"_s, u"remove"_s, u"0.0.0.*"_s}, m_home).exitCode, 0);
    EXPECT_EQ(runCli({u"trusted-hosts"_s, u"remove"_s, u"0.0.0.*"_s}, m_home).exitCode, int(ExitCode::Failed));
    const CliResult refused = runCli(args(u"0.0.0.0"_s, u"ntlm"_s), m_home, password());
    EXPECT_EQ(refused.exitCode, int(ExitCode::Authentication)) << refused.err.toStdString();
}

TEST_F(NtlmEndToEnd, NegotiateFallsBackToNtlmAndDefaultIsNegotiate)
{
    for (const QString &mechanism : {u"negotiate"_s, u"default"_s}) {
        const CliResult r = runCli(args(u"127.0.0.1"_s, mechanism), m_home, password(), {u"KRB5_CONFIG=/nonexistent"_s});
        EXPECT_EQ(r.exitCode, 0) << mechanism.toStdString() << ": " << r.err.toStdString();
        EXPECT_EQ(r.out, u"consented\n"_s);
    }
}

TEST_F(NtlmEndToEnd, CredSspDelegatesOnlyWithConsent)
{
    // No consent and no terminal: refused before anything is sent, naming the option.
    const qsizetype before = m_server->requestCount();
    const CliResult refused = runCli(args(u"127.0.0.1"_s, u"credssp"_s), m_home, password());
    EXPECT_EQ(refused.exitCode, int(ExitCode::Authentication)) << refused.err.toStdString();
    EXPECT_TRUE(refused.err.contains(u"--allow-delegation"_s)) << refused.err.toStdString();
    EXPECT_TRUE(refused.err.contains(u"delegates your password"_s)) << refused.err.toStdString();
    EXPECT_EQ(m_server->requestCount(), before);

    // With consent: the endpoint's CredSSP acceptor receives the delegated credentials, and every
    // message travels TLS-encrypted inside the HTTP bodies.
    const CliResult delegated = runCli(args(u"127.0.0.1"_s, u"credssp"_s, {u"--allow-delegation"_s}), m_home, password());
    EXPECT_EQ(delegated.exitCode, 0) << delegated.err.toStdString();
    EXPECT_EQ(delegated.out, u"consented\n"_s);

    const CliResult wrong =
        runCli(args(u"127.0.0.1"_s, u"credssp"_s, {u"--allow-delegation"_s}), m_home, QByteArrayLiteral("wrong\n"));
    EXPECT_EQ(wrong.exitCode, int(ExitCode::Authentication)) << wrong.err.toStdString();
}

TEST_F(NtlmEndToEnd, WrongPasswordExitsFive)
{
    const CliResult r = runCli(args(u"127.0.0.1"_s, u"ntlm"_s), m_home, QByteArrayLiteral("wrong\n"));
    EXPECT_EQ(r.exitCode, int(ExitCode::Authentication)) << r.err.toStdString();
}

TEST_F(NtlmEndToEnd, NoEncryptionIsAVisibleOptOut)
{
    // The endpoint refuses plaintext SOAP on a Negotiate connection (AllowUnencrypted off).
    const CliResult r = runCli(args(u"0.0.0.0"_s, u"ntlm"_s, {u"--trusted-host"_s, u"0.0.0.0"_s, u"--session-option"_s,
                                                      u"NoEncryption=true"_s}),
                         m_home, password());
    EXPECT_TRUE(r.err.contains(u"WARNING: NoEncryption=true"_s)) << r.err.toStdString();
    EXPECT_NE(r.exitCode, 0);
}

// ---- certificate pins end to end (HTTPS with a CA this computer does not trust) -------------

namespace {

class PinEndToEnd : public ::testing::Test {
protected:
    void SetUp() override
    {
        QString diagnostics;
        m_pki = TestSupport::TestPki::generate(&diagnostics);
        if (!m_pki)
            GTEST_SKIP() << "openssl unavailable: " << diagnostics.toStdString();
        ASSERT_TRUE(m_home.dir.isValid());
        m_server = start(m_pki->server, m_pki->serverKey);
        ASSERT_TRUE(m_server);
    }
    std::unique_ptr<TestServer::LoopbackServer> start(const QSslCertificate &certificate, const QSslKey &key)
    {
        TestServer::ServerConfig config;
        config.https = true;
        config.certificate = certificate;
        config.privateKey = key;
        config.user = u"alice"_s;
        config.password = u"wonderland"_s;
        auto server = std::make_unique<TestServer::LoopbackServer>(config);
        QString error;
        if (!server->listen(&error)) {
            ADD_FAILURE() << error.toStdString();
            return nullptr;
        }
        return server;
    }
    static QStringList args(quint16 port, const QStringList &extra = {})
    {
        return QStringList{u"invoke"_s, u"127.0.0.1"_s, u"--port"_s, QString::number(port), u"--use-ssl"_s,
                           u"--authentication"_s, u"basic"_s, u"--credential"_s, u"alice"_s, u"--password-stdin"_s,
                           u"--command"_s, u"Write-Output pinned"_s}
               + extra;
    }
    static QString sha256(const QSslCertificate &c)
    {
        return QString::fromLatin1(c.digest(QCryptographicHash::Sha256).toHex());
    }
    static QByteArray password() { return QByteArrayLiteral("wonderland\n"); }

    Home m_home;
    std::optional<TestSupport::TestPki> m_pki;
    std::unique_ptr<TestServer::LoopbackServer> m_server;
};

} // namespace

TEST_F(PinEndToEnd, UnknownCertificateIsShownAndRefusedWithoutATerminal)
{
    const CliResult r = runCli(args(m_server->port()), m_home, password());
    EXPECT_EQ(r.exitCode, int(ExitCode::Tls)) << r.err.toStdString();
    const QString fingerprint = Wsman::CertificateStore::formatSha256(m_pki->server.digest(QCryptographicHash::Sha256));
    EXPECT_TRUE(r.err.contains(u"SHA-256:  "_s + fingerprint)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"Subject:  "_s)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"PSRemote Test ca"_s)) << r.err.toStdString(); // the issuer
    EXPECT_TRUE(r.err.contains(u"--pin-certificate "_s + fingerprint)) << r.err.toStdString();
    EXPECT_TRUE(m_home.store().allPins().isEmpty());
}

TEST_F(PinEndToEnd, PinCertificateConnectsStoresThePinAndLaterRunsUseIt)
{
    const CliResult first = runCli(args(m_server->port(), {u"--pin-certificate"_s, sha256(m_pki->server)}), m_home, password());
    EXPECT_EQ(first.exitCode, 0) << first.err.toStdString();
    EXPECT_EQ(first.out, u"pinned\n"_s);
    const QString endpoint = u"127.0.0.1:"_s + QString::number(m_server->port());
    EXPECT_EQ(m_home.store().pins(endpoint), QList<QByteArray>{m_pki->server.digest(QCryptographicHash::Sha256)});

    const CliResult second = runCli(args(m_server->port()), m_home, password());
    EXPECT_EQ(second.exitCode, 0) << second.err.toStdString();
    EXPECT_EQ(second.out, u"pinned\n"_s);

    const CliResult list = runCli({u"certificate"_s, u"list"_s}, m_home);
    EXPECT_EQ(list.exitCode, 0) << list.err.toStdString();
    EXPECT_TRUE(list.out.contains(endpoint + u"  SHA-256 "_s
                                  + Wsman::CertificateStore::formatSha256(m_pki->server.digest(QCryptographicHash::Sha256))))
        << list.out.toStdString();
    const CliResult removed = runCli({u"certificate"_s, u"remove"_s, u"--pin"_s, endpoint}, m_home);
    EXPECT_EQ(removed.exitCode, 0) << removed.err.toStdString();
    EXPECT_TRUE(m_home.store().allPins().isEmpty());
    EXPECT_EQ(runCli({u"certificate"_s, u"remove"_s, u"--pin"_s, endpoint}, m_home).exitCode, int(ExitCode::Failed));
}

TEST_F(PinEndToEnd, AnsweringYesOnTheTerminalPinsAndConnects)
{
    QStringList a = args(m_server->port());
    a.removeAll(u"--password-stdin"_s);
    QByteArray shown;
    const CliResult r = runOnTerminal(a, m_home, "wonderland", "and connect? [y/N] ", "yes\n", &shown);
    EXPECT_EQ(r.exitCode, 0) << r.err.toStdString();
    EXPECT_EQ(r.out, u"pinned\n"_s);
    EXPECT_TRUE(r.err.contains(u"SHA-256:"_s)) << r.err.toStdString(); // the details came first
    const QString endpoint = u"127.0.0.1:"_s + QString::number(m_server->port());
    EXPECT_EQ(m_home.store().pins(endpoint), QList<QByteArray>{m_pki->server.digest(QCryptographicHash::Sha256)});

    shown.clear();
    const CliResult declined = runOnTerminal(a, m_home, "wonderland", "[y/N] ", "n\n", &shown);
    EXPECT_EQ(declined.exitCode, 0) << declined.err.toStdString(); // pinned now: no question asked
    EXPECT_FALSE(shown.contains("[y/N]"));
}

TEST_F(PinEndToEnd, WrongPinCertificateExitsFourSayingSo)
{
    const CliResult r = runCli(args(m_server->port(), {u"--pin-certificate"_s, Sha256Hex}), m_home, password());
    EXPECT_EQ(r.exitCode, int(ExitCode::Tls)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"does not match --pin-certificate"_s)) << r.err.toStdString();
    EXPECT_EQ(m_server->requestCount(), 0);
    EXPECT_TRUE(m_home.store().allPins().isEmpty());
}

TEST_F(PinEndToEnd, ChangedCertificateIsRefusedLoudly)
{
    // The endpoint was pinned with the CA-issued certificate; now it presents another one that
    // the same CA issued (for another name): a pin beats the CA both ways.
    auto changed = start(m_pki->wrongNameServer, m_pki->wrongNameKey);
    ASSERT_TRUE(changed);
    const QString endpoint = u"127.0.0.1:"_s + QString::number(changed->port());
    ASSERT_TRUE(m_home.store().addPin(endpoint, m_pki->server.digest(QCryptographicHash::Sha256)));
    const CliResult r = runCli(args(changed->port(), {u"--session-option"_s, u"SkipCNCheck=true"_s}), m_home, password());
    EXPECT_EQ(r.exitCode, int(ExitCode::Tls)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"HAS CHANGED"_s)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"certificate remove --pin "_s + endpoint)) << r.err.toStdString();
    EXPECT_EQ(changed->requestCount(), 0);
}

// ---- the client certificate store from the command line -----------------------------------

TEST(CertificateCommand, ImportListUseAndRemove)
{
    Home home;
    ASSERT_TRUE(home.dir.isValid());
    QProcess openssl;
    openssl.setWorkingDirectory(home.dir.path());
    openssl.start(u"openssl"_s, {u"req"_s, u"-x509"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s,
                                 u"ec_paramgen_curve:prime256v1"_s, u"-keyout"_s, u"key.pem"_s, u"-out"_s,
                                 u"cert.pem"_s, u"-days"_s, u"2"_s, u"-subj"_s, u"/CN=cli-client"_s, u"-passout"_s,
                                 u"pass:cli-pass"_s});
    if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0)
        GTEST_SKIP() << "openssl unavailable";
    QFile bundle(home.dir.filePath(u"bundle.pem"_s));
    ASSERT_TRUE(bundle.open(QIODevice::WriteOnly));
    for (const QString &part : {u"cert.pem"_s, u"key.pem"_s}) {
        QFile f(home.dir.filePath(part));
        ASSERT_TRUE(f.open(QIODevice::ReadOnly));
        bundle.write(f.readAll());
    }
    bundle.close();

    const CliResult noPass = runCli({u"certificate"_s, u"import"_s, bundle.fileName()}, home);
    EXPECT_EQ(noPass.exitCode, int(ExitCode::Usage)) << noPass.err.toStdString();
    EXPECT_TRUE(noPass.err.contains(u"PSREMOTE_CERTIFICATE_PASSPHRASE"_s)) << noPass.err.toStdString();

    const CliResult wrong = runCli({u"certificate"_s, u"import"_s, bundle.fileName()}, home, {},
                             {u"PSREMOTE_CERTIFICATE_PASSPHRASE=nope"_s});
    EXPECT_EQ(wrong.exitCode, int(ExitCode::Authentication)) << wrong.err.toStdString();

    const CliResult imported = runCli({u"certificate"_s, u"import"_s, bundle.fileName(), u"--name"_s, u"my laptop"_s}, home,
                                {}, {u"PSREMOTE_CERTIFICATE_PASSPHRASE=cli-pass"_s});
    ASSERT_EQ(imported.exitCode, 0) << imported.err.toStdString();
    const QString thumbprint = Wsman::CertificateStore::thumbprintOf(QSslCertificate::fromPath(home.dir.filePath(u"cert.pem"_s)).value(0));
    EXPECT_TRUE(imported.out.contains(u"Imported "_s + thumbprint + u"  my laptop"_s)) << imported.out.toStdString();

    const CliResult list = runCli({u"certificate"_s, u"list"_s}, home);
    EXPECT_TRUE(list.out.contains(thumbprint + u"  my laptop"_s)) << list.out.toStdString();
    EXPECT_TRUE(list.out.contains(u"(key encrypted)"_s));

    // The key opens and the client connects with it (nothing listens here: exit 3); without the
    // passphrase the key stays locked (ClientCertificateCliTest covers the full exchange).
    const QStringList invoke{u"invoke"_s, u"127.0.0.1"_s, u"--port"_s, u"1"_s, u"--use-ssl"_s,
                             u"--certificate-thumbprint"_s, thumbprint, u"--command"_s, u"x"_s};
    const CliResult use = runCli(invoke, home, {}, {u"PSREMOTE_CERTIFICATE_PASSPHRASE=cli-pass"_s});
    EXPECT_EQ(use.exitCode, int(ExitCode::CannotConnect)) << use.err.toStdString();
    EXPECT_FALSE(use.err.contains(u"passphrase"_s)) << use.err.toStdString();
    const CliResult locked = runCli(invoke, home);
    EXPECT_EQ(locked.exitCode, int(ExitCode::Usage)) << locked.err.toStdString();
    EXPECT_TRUE(locked.err.contains(u"PSREMOTE_CERTIFICATE_PASSPHRASE"_s)) << locked.err.toStdString();

    const CliResult removed = runCli({u"certificate"_s, u"remove"_s, thumbprint.toLower()}, home);
    EXPECT_EQ(removed.exitCode, 0) << removed.err.toStdString();
    EXPECT_TRUE(runCli({u"certificate"_s, u"list"_s}, home).out.contains(u"(none)"_s));
    const CliResult missing = runCli(invoke, home);
    EXPECT_EQ(missing.exitCode, int(ExitCode::Usage));
    EXPECT_TRUE(missing.err.contains(u"certificate import"_s)) << missing.err.toStdString();
    EXPECT_EQ(runCli({u"certificate"_s, u"remove"_s, thumbprint}, home).exitCode, int(ExitCode::Failed));
    EXPECT_EQ(runCli({u"certificate"_s, u"frobnicate"_s}, home).exitCode, int(ExitCode::Usage));
}
