// psremote-cli with a client certificate, end to end: the real binary imports a PEM bundle
// (certificate + encrypted key) into a temporary store with `certificate import`, then
// `invoke --certificate-thumbprint` authenticates to the loopback endpoint's `certificate`
// scheme over TLS (the server's certificate trusted by --pin-certificate). Every child gets its
// own XDG_CONFIG_HOME / XDG_DATA_HOME.
#include "cli/CliApp.h"

#include "wsman/CertificateStore.h"

#include "CliTestSupport.h"
#include "HttpTestServer.h"
#include "LoopbackServer.h"

#include <QCryptographicHash>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include <unistd.h>

using namespace Qt::Literals::StringLiterals;
using CliTestSupport::CliRun;
using CliTestSupport::cliEnvironment;
using Cli::ExitCode;

namespace {

constexpr auto KeyPassphrase = "client-cert-test-passphrase";

// psremote-cli as a child without a controlling terminal while this thread serves the endpoint.
CliRun runCli(const QStringList &args, const QTemporaryDir &home, const QStringList &env = {})
{
    return CliTestSupport::runCli(args, cliEnvironment(home.path(), env));
}

class ClientCertificateCli : public ::testing::Test {
protected:
    void SetUp() override
    {
        QString diagnostics;
        m_pki = TestSupport::TestPki::generate(&diagnostics);
        if (!m_pki)
            GTEST_SKIP() << "openssl unavailable (Debian package openssl): " << diagnostics.toStdString();
        ASSERT_TRUE(m_home.isValid());
        ASSERT_TRUE(issueBundle()) << "openssl could not issue the client certificate";
    }

    // bundle.pem in the PKI directory: a client certificate (CN alice, UPN alice@example.test,
    // EKU clientAuth) issued by the test CA, and its key encrypted with KeyPassphrase.
    bool issueBundle()
    {
        const QString d = m_pki->dir->path();
        auto run = [&](const QStringList &args) {
            QProcess p;
            p.setWorkingDirectory(d);
            p.start(u"openssl"_s, args);
            return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        };
        QFile ext(d + u"/alice.ext"_s);
        if (!ext.open(QIODevice::WriteOnly))
            return false;
        ext.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n"
                  "subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.test\n");
        ext.close();
        const QString passout = u"pass:"_s + QLatin1StringView(KeyPassphrase);
        if (!run({u"req"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s, u"-passout"_s,
                  passout, u"-keyout"_s, u"alice.key"_s, u"-out"_s, u"alice.csr"_s, u"-subj"_s, u"/CN=alice"_s})
            || !run({u"x509"_s, u"-req"_s, u"-in"_s, u"alice.csr"_s, u"-CA"_s, u"ca.pem"_s, u"-CAkey"_s, u"ca.key"_s,
                     u"-CAcreateserial"_s, u"-out"_s, u"alice.pem"_s, u"-days"_s, u"2"_s, u"-extfile"_s,
                     u"alice.ext"_s}))
            return false;
        QFile bundle(d + u"/bundle.pem"_s);
        if (!bundle.open(QIODevice::WriteOnly))
            return false;
        for (const QString &part : {u"alice.pem"_s, u"alice.key"_s}) {
            QFile f(d + u'/' + part);
            if (!f.open(QIODevice::ReadOnly))
                return false;
            bundle.write(f.readAll());
        }
        const auto certificates = QSslCertificate::fromPath(d + u"/alice.pem"_s);
        if (certificates.isEmpty())
            return false;
        m_thumbprint = Wsman::CertificateStore::thumbprintOf(certificates.first());
        return true;
    }

    std::unique_ptr<TestServer::LoopbackServer> startEndpoint(const QString &certificateUser)
    {
        TestServer::ServerConfig config;
        config.https = true;
        config.certificate = m_pki->server;
        config.privateKey = m_pki->serverKey;
        config.authSchemes = {TestServer::AuthScheme::Certificate};
        config.clientCaCertificates = {m_pki->ca};
        config.certificateUser = certificateUser;
        auto server = std::make_unique<TestServer::LoopbackServer>(std::move(config));
        QString error;
        if (!server->listen(&error)) {
            ADD_FAILURE() << error.toStdString();
            return nullptr;
        }
        return server;
    }

    CliRun import()
    {
        return runCli({u"certificate"_s, u"import"_s, m_pki->dir->filePath(u"bundle.pem"_s)}, m_home,
                      {u"PSREMOTE_CERTIFICATE_PASSPHRASE="_s + QLatin1StringView(KeyPassphrase)});
    }

    QStringList invokeArgs(quint16 port, bool pin = true) const
    {
        QStringList args{u"invoke"_s, u"127.0.0.1"_s, u"--port"_s, QString::number(port), u"--use-ssl"_s,
                         u"--certificate-thumbprint"_s, m_thumbprint, u"--command"_s, u"Write-Output 'by certificate'"_s};
        if (pin)
            args << u"--pin-certificate"_s << QString::fromLatin1(m_pki->server.digest(QCryptographicHash::Sha256).toHex());
        return args;
    }

    QTemporaryDir m_home;
    std::optional<TestSupport::TestPki> m_pki;
    QString m_thumbprint;
};

} // namespace

TEST_F(ClientCertificateCli, ImportedCertificateRunsACommand)
{
    auto server = startEndpoint(u"alice"_s);
    ASSERT_TRUE(server);
    const CliRun imported = import();
    ASSERT_EQ(imported.exitCode, 0) << imported.err.toStdString();
    EXPECT_TRUE(imported.out.contains(m_thumbprint)) << imported.out.toStdString();

    const CliRun r = runCli(invokeArgs(server->port()), m_home,
                            {u"PSREMOTE_CERTIFICATE_PASSPHRASE="_s + QLatin1StringView(KeyPassphrase)});
    EXPECT_EQ(r.exitCode, int(ExitCode::Success)) << r.err.toStdString();
    EXPECT_TRUE(r.out.contains(u"by certificate"_s)) << r.out.toStdString();
    EXPECT_FALSE(r.err.contains(QLatin1StringView(KeyPassphrase)));
    EXPECT_GT(server->requestCount(), 0);
    EXPECT_EQ(server->certificateRequestCount(), server->requestCount());
}

TEST_F(ClientCertificateCli, WrongPassphraseExitsWithAuthenticationBeforeConnecting)
{
    auto server = startEndpoint(u"alice"_s);
    ASSERT_TRUE(server);
    ASSERT_EQ(import().exitCode, 0);
    const CliRun r = runCli(invokeArgs(server->port()), m_home, {u"PSREMOTE_CERTIFICATE_PASSPHRASE=not-the-passphrase"_s});
    EXPECT_EQ(r.exitCode, int(ExitCode::Authentication)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"passphrase does not open the key"_s)) << r.err.toStdString();
    EXPECT_FALSE(r.err.contains(u"not-the-passphrase"_s));
    EXPECT_EQ(server->requestCount(), 0);
}

TEST_F(ClientCertificateCli, RefusedCertificateIsReportedAsSuch)
{
    auto server = startEndpoint(u"bob"_s); // the certificate maps to alice only
    ASSERT_TRUE(server);
    ASSERT_EQ(import().exitCode, 0);
    const CliRun r = runCli(invokeArgs(server->port()), m_home,
                            {u"PSREMOTE_CERTIFICATE_PASSPHRASE="_s + QLatin1StringView(KeyPassphrase)});
    EXPECT_EQ(r.exitCode, int(ExitCode::Authentication)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"did not accept the client certificate"_s)) << r.err.toStdString();
    EXPECT_FALSE(r.err.contains(u"--credential"_s)) << r.err.toStdString();
    EXPECT_EQ(server->certificateRequestCount(), 0);
    EXPECT_EQ(server->shellCount(), 0);
}

TEST_F(ClientCertificateCli, UntrustedServerCertificateStillNeedsAPin)
{
    auto server = startEndpoint(u"alice"_s);
    ASSERT_TRUE(server);
    ASSERT_EQ(import().exitCode, 0);
    const CliRun r = runCli(invokeArgs(server->port(), false), m_home,
                            {u"PSREMOTE_CERTIFICATE_PASSPHRASE="_s + QLatin1StringView(KeyPassphrase)});
    EXPECT_EQ(r.exitCode, int(ExitCode::Tls)) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains(u"--pin-certificate"_s)) << r.err.toStdString();
    EXPECT_EQ(server->requestCount(), 0);
}
