// psremote-test-server: the loopback WinRM endpoint as a program (see --help).
#include "LoopbackServer.h"
#include "CredSspAcceptor.h"
#include "PwshProcess.h"
#include "SimulatorEngine.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QSocketNotifier>
#include <QTextStream>

#include <csignal>
#include <cstdio>

using namespace Qt::Literals::StringLiterals;
using namespace TestServer;

namespace {

void onTerminate(int)
{
    QCoreApplication::quit();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"psremote-test-server"_s);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"The PSRemote loopback WinRM endpoint (WS-Management over HTTP/HTTPS on 127.0.0.1) for tests, "
        "benchmarks and demos. Engines: 'simulator' (PSRemote loopback simulator, not PowerShell), "
        "'replay' (answers from a real Windows recording; ShellId, CommandIds and PSRP RPID/PID are mapped to the client's), "
        "'pwsh' (real PowerShell through tests/server/pwsh-host, needs PSREMOTE_PWSH_HOST).\n"
        "Authentication: basic; negotiate and kerberos through the system GSSAPI; credssp - "_s
        + QLatin1StringView(CredSspLabel)
        + u"; certificate (HTTPS: the WinRM mutual header plus a TLS client certificate issued by --client-ca, "
          "mapped to --certificate-user by subject CN or UPN); none (no authentication at all).\n"
        "Prints one line 'listening <url>' on stdout when ready; serves until SIGTERM/SIGINT or stdin closes.\n\n"_s
        + SimulatorEngine::grammarHelp());
    parser.addHelpOption();
    parser.addOptions({
        {u"engine"_s, u"simulator (default), replay or pwsh."_s, u"name"_s, u"simulator"_s},
        {u"replay"_s, u"Recording (*.yml) for --engine replay."_s, u"file"_s},
        {u"port"_s, u"TCP port on 127.0.0.1 (default 0: any free port)."_s, u"n"_s, u"0"_s},
        {u"path"_s, u"URL path (default /wsman)."_s, u"path"_s, u"/wsman"_s},
        {u"https"_s, u"Serve HTTPS (needs --cert and --key)."_s},
        {u"cert"_s, u"PEM certificate (first) and chain for --https."_s, u"pem"_s},
        {u"key"_s, u"PEM private key for --https."_s, u"pem"_s},
        {u"user"_s, u"Basic: require this user. Negotiate/Kerberos: accept only this account."_s, u"name"_s},
        {u"auth"_s, u"Offered schemes, comma-separated, in WWW-Authenticate order: basic, negotiate, kerberos, credssp, "
                    "certificate (default basic); or 'none' alone: every request accepted without any Authorization, for tests "
                    "where a reverse proxy in front (e.g. Apache with Digest) authenticates."_s,
         u"list"_s, u"basic"_s},
        {u"client-ca"_s, u"--auth certificate: PEM CA certificate(s) client certificates must chain to."_s, u"pem"_s},
        {u"certificate-user"_s, u"--auth certificate: the account certificates map to; \"alice\" matches a subject CN alice "
                                "or a UPN SAN alice@..., \"alice@realm\" the full UPN."_s,
         u"name"_s},
        {u"ntlm-user-file"_s, u"NTLM accounts for Negotiate through gss-ntlmssp (DOMAIN:user:password lines; sets NTLM_USER_FILE)."_s,
         u"file"_s},
        {u"credssp-cert"_s, u"PEM certificate of CredSSP's inner TLS (default: a generated self-signed RSA one)."_s, u"pem"_s},
        {u"credssp-key"_s, u"PEM private key for --credssp-cert."_s, u"pem"_s},
        {u"credssp-min-version"_s, u"Lowest client TSRequest version CredSSP accepts (default 2; 5 insists on the CVE-2018-0886 fix)."_s,
         u"n"_s, u"2"_s},
        {u"keytab"_s, u"Keytab for Kerberos/Negotiate acceptance (sets KRB5_KTNAME)."_s, u"file"_s},
        {u"allow-unencrypted"_s, u"Accept plaintext SOAP on HTTP after Negotiate/Kerberos (WinRM AllowUnencrypted=true)."_s},
        {u"password-env"_s, u"Environment variable holding the Basic password."_s, u"var"_s},
        {u"max-envelope-size"_s, u"Largest request in bytes (413 above; default 512000)."_s, u"bytes"_s, u"512000"_s},
        {u"max-timeout-ms"_s, u"Cap on the client's OperationTimeout (default 60000)."_s, u"ms"_s, u"60000"_s},
        {u"drop-receives"_s, u"Fault: close the connection instead of answering the next N Receives."_s, u"n"_s},
        {u"delay-ms"_s, u"Fault: delay responses by this many ms (with --delay-count, default all)."_s, u"ms"_s},
        {u"delay-count"_s, u"Fault: how many responses --delay-ms delays."_s, u"n"_s},
        {u"fault-code"_s, u"Fault: answer 500 with this WSManFault code (decimal or 0x hex)."_s, u"code"_s},
        {u"fault-count"_s, u"Fault: how many requests get --fault-code (default 1)."_s, u"n"_s, u"1"_s},
        {u"redirect"_s, u"Fault: answer 302 with this Location (with --redirect-count, default 1)."_s, u"url"_s},
        {u"redirect-count"_s, u"Fault: how many requests get the redirect."_s, u"n"_s, u"1"_s},
        {u"outage-after"_s, u"Fault: a network outage at the Nth request: every connection closed, the port not "
                            "listening for --outage-ms, then served again with the same shells."_s, u"n"_s},
        {u"outage-ms"_s, u"Fault: length of the --outage-after outage (default 2000; -1: permanent)."_s, u"ms"_s, u"2000"_s},
    });
    parser.process(app);

    QTextStream err(stderr);
    ServerConfig config;
    const QString engine = parser.value(u"engine"_s).toLower();
    if (engine == u"replay") {
        config.engine = EngineKind::Replay;
        config.replayFile = parser.value(u"replay"_s);
    } else if (engine == u"pwsh") {
        config.engine = EngineKind::Pwsh;
        if (!PwshProcess::isAvailable()) {
            err << "psremote-test-server: real PowerShell unavailable (set PSREMOTE_PWSH_HOST to the host built by tests/server/pwsh-host/build.sh)\n";
            return 2;
        }
    } else if (engine != u"simulator") {
        err << "psremote-test-server: unknown engine " << engine << "\n";
        return 2;
    }
    config.port = static_cast<quint16>(parser.value(u"port"_s).toUInt());
    config.path = parser.value(u"path"_s);
    config.maxEnvelopeSize = parser.value(u"max-envelope-size"_s).toLongLong();
    config.maxOperationTimeoutMs = parser.value(u"max-timeout-ms"_s).toLongLong();
    if (parser.isSet(u"https"_s)) {
        config.https = true;
        QFile certFile(parser.value(u"cert"_s));
        QFile keyFile(parser.value(u"key"_s));
        if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly)) {
            err << "psremote-test-server: cannot read --cert/--key\n";
            return 2;
        }
        const auto certs = QSslCertificate::fromData(certFile.readAll(), QSsl::Pem);
        if (certs.isEmpty()) {
            err << "psremote-test-server: no certificate in --cert\n";
            return 2;
        }
        config.certificate = certs.first();
        config.chain = certs.mid(1);
        const QByteArray keyPem = keyFile.readAll();
        config.privateKey = QSslKey(keyPem, QSsl::Rsa, QSsl::Pem);
        if (config.privateKey.isNull())
            config.privateKey = QSslKey(keyPem, QSsl::Ec, QSsl::Pem);
    }
    if (parser.isSet(u"user"_s)) {
        config.user = parser.value(u"user"_s);
        if (parser.isSet(u"password-env"_s))
            config.password = qEnvironmentVariable(parser.value(u"password-env"_s).toLocal8Bit().constData());
    }

    config.authSchemes.clear();
    for (const QString &name : parser.value(u"auth"_s).split(u',', Qt::SkipEmptyParts)) {
        const QString scheme = name.trimmed().toLower();
        if (scheme == u"basic") {
            config.authSchemes.append(AuthScheme::Basic);
        } else if (scheme == u"negotiate") {
            config.authSchemes.append(AuthScheme::Negotiate);
        } else if (scheme == u"kerberos") {
            config.authSchemes.append(AuthScheme::Kerberos);
        } else if (scheme == u"credssp") {
            config.authSchemes.append(AuthScheme::CredSsp);
        } else if (scheme == u"certificate") {
            config.authSchemes.append(AuthScheme::Certificate);
        } else if (scheme == u"none") {
            config.authSchemes.append(AuthScheme::None);
        } else {
            err << "psremote-test-server: unknown --auth scheme " << scheme << "\n";
            return 2;
        }
    }
    if (config.authSchemes.contains(AuthScheme::None) && config.authSchemes.size() > 1) {
        err << "psremote-test-server: --auth none cannot be combined with other schemes\n";
        return 2;
    }
    if (parser.isSet(u"client-ca"_s)) {
        config.clientCaCertificates = QSslCertificate::fromPath(parser.value(u"client-ca"_s), QSsl::Pem);
        if (config.clientCaCertificates.isEmpty()) {
            err << "psremote-test-server: no certificate in --client-ca\n";
            return 2;
        }
    }
    config.certificateUser = parser.value(u"certificate-user"_s);
    config.ntlmUserFile = parser.value(u"ntlm-user-file"_s);
    config.keytab = parser.value(u"keytab"_s);
    config.credSspMinimumVersion = parser.value(u"credssp-min-version"_s).toInt();
    if (parser.isSet(u"credssp-cert"_s)) {
        QFile certFile(parser.value(u"credssp-cert"_s));
        QFile keyFile(parser.value(u"credssp-key"_s));
        if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly)) {
            err << "psremote-test-server: cannot read --credssp-cert/--credssp-key\n";
            return 2;
        }
        config.credSspCertificatePem = certFile.readAll();
        config.credSspKeyPem = keyFile.readAll();
    }
    if (config.authSchemes.contains(AuthScheme::CredSsp)) {
        err << "psremote-test-server: " << QLatin1StringView(CredSspLabel) << "\n";
        err.flush();
    }
    config.allowUnencrypted = parser.isSet(u"allow-unencrypted"_s);

    LoopbackServer server(config);
    FaultInjection &faults = server.faults();
    faults.dropReceives = parser.value(u"drop-receives"_s).toInt();
    if (parser.isSet(u"delay-ms"_s)) {
        faults.delayMs = parser.value(u"delay-ms"_s).toInt();
        faults.delayCount = parser.isSet(u"delay-count"_s) ? parser.value(u"delay-count"_s).toInt() : INT_MAX;
    }
    if (parser.isSet(u"fault-code"_s)) {
        bool ok = false;
        faults.faultCode = parser.value(u"fault-code"_s).toUInt(&ok, 0);
        faults.faultCount = parser.value(u"fault-count"_s).toInt();
        if (!ok) {
            err << "psremote-test-server: bad --fault-code\n";
            return 2;
        }
    }
    if (parser.isSet(u"redirect"_s)) {
        faults.redirectLocation = parser.value(u"redirect"_s);
        faults.redirectCount = parser.value(u"redirect-count"_s).toInt();
    }

    if (parser.isSet(u"outage-after"_s)) {
        faults.outageAfter = parser.value(u"outage-after"_s).toInt();
        faults.outageMs = parser.value(u"outage-ms"_s).toInt();
    }

    QString error;
    if (!server.listen(&error)) {
        err << "psremote-test-server: " << error << "\n";
        return 1;
    }
    std::signal(SIGTERM, onTerminate);
    std::signal(SIGINT, onTerminate);
    QSocketNotifier stdinWatch(0, QSocketNotifier::Read);
    QObject::connect(&stdinWatch, &QSocketNotifier::activated, &app, [&stdinWatch] {
        char buffer[256];
        const auto n = ::read(0, buffer, sizeof buffer);
        if (n <= 0) {
            stdinWatch.setEnabled(false);
            QCoreApplication::quit();
        }
    });
    std::printf("listening %s\n", server.url().toString().toUtf8().constData());
    std::fflush(stdout);
    return app.exec();
}
