#include "cli/CertificateCommand.h"

#include "cli/CliApp.h"
#include "cli/Password.h"

#include "wsman/CertificateStore.h"
#include "wsman/TrustedHosts.h"

#include <QFileInfo>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

int usageFailure(QTextStream &err, const QString &message)
{
    err << "psremote-cli certificate: " << message << '\n';
    return int(ExitCode::Usage);
}

int importCertificate(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    QString file;
    QString name;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &arg = arguments.at(i);
        if (arg == u"--name" || arg.startsWith(u"--name="_s)) {
            if (arg.startsWith(u"--name="_s))
                name = arg.mid(7);
            else if (i + 1 < arguments.size())
                name = arguments.at(++i);
            else
                return usageFailure(err, u"--name needs a value"_s);
        } else if (arg.startsWith(u'-')) {
            return usageFailure(err, u"unknown option '%1'; see `psremote-cli certificate --help`"_s.arg(arg));
        } else if (file.isEmpty()) {
            file = arg;
        } else {
            return usageFailure(err, u"import takes one FILE; unexpected '%1'"_s.arg(arg));
        }
    }
    if (file.isEmpty())
        return usageFailure(err, u"import needs a FILE (PEM with certificate and key, or PKCS#12 .pfx/.p12)"_s);

    Wsman::CertificateStore store;
    Wsman::Secret passphrase;
    if (qEnvironmentVariableIsSet("PSREMOTE_CERTIFICATE_PASSPHRASE"))
        passphrase = Wsman::Secret::fromUtf8(qgetenv("PSREMOTE_CERTIFICATE_PASSPHRASE"));
    auto imported = store.importFile(file, name, passphrase);
    if (!imported && imported.error().code == Wsman::CertificateStoreErrorCode::PassphraseRequired
        && passphrase.isEmpty()) {
        PasswordResult obtained =
            obtainCertificatePassphrase(u"Passphrase for %1: "_s.arg(QFileInfo(file).fileName()));
        if (auto *e = std::get_if<PasswordError>(&obtained)) {
            err << "psremote-cli certificate import: " << e->message << '\n';
            return int(e->code == PasswordErrorCode::Interrupted ? ExitCode::Interrupted : ExitCode::Usage);
        }
        imported = store.importFile(file, name, std::get<Wsman::Secret>(obtained));
    }
    if (!imported) {
        err << "psremote-cli certificate import: " << file << ": " << imported.error().detail << '\n';
        return int(imported.error().code == Wsman::CertificateStoreErrorCode::WrongPassphrase ? ExitCode::Authentication
                                                                                              : ExitCode::Usage);
    }
    const Wsman::StoredCertificate &c = imported.value();
    out << "Imported " << c.thumbprint << "  " << c.name << '\n'
        << "Use it with: psremote-cli invoke HOST --use-ssl --certificate-thumbprint " << c.thumbprint << " ...\n";
    if (c.encryptedKey)
        out << "Its key stays encrypted; the passphrase is asked for when it is used (or taken from "
               "PSREMOTE_CERTIFICATE_PASSPHRASE) and never stored.\n";
    return int(ExitCode::Success);
}

int listCertificates(QTextStream &out)
{
    const Wsman::CertificateStore store;
    const QList<Wsman::StoredCertificate> certificates = store.list();
    out << "Client certificates (" << store.certificateDirectory() << "):\n";
    if (certificates.isEmpty())
        out << "  (none)\n";
    for (const Wsman::StoredCertificate &c : certificates)
        out << "  " << c.thumbprint << "  " << c.name << "  expires "
            << c.certificate.expiryDate().toUTC().toString(u"yyyy-MM-dd"_s) << (c.encryptedKey ? "  (key encrypted)" : "")
            << '\n';
    const QMap<QString, QList<QByteArray>> pins = store.allPins();
    out << "Pinned server certificates (" << Wsman::sharedSettingsFilePath() << "):\n";
    if (pins.isEmpty())
        out << "  (none)\n";
    for (auto it = pins.cbegin(); it != pins.cend(); ++it)
        for (const QByteArray &digest : it.value())
            out << "  " << it.key() << "  SHA-256 " << Wsman::CertificateStore::formatSha256(digest) << '\n';
    return int(ExitCode::Success);
}

int removeEntry(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    Wsman::CertificateStore store;
    if (!arguments.isEmpty() && (arguments.first() == u"--pin" || arguments.first().startsWith(u"--pin="_s))) {
        QString endpoint = arguments.first().startsWith(u"--pin="_s) ? arguments.first().mid(6) : arguments.value(1);
        if (endpoint.isEmpty() || arguments.size() > (arguments.first() == u"--pin" ? 2 : 1))
            return usageFailure(err, u"remove --pin needs exactly one HOST:PORT"_s);
        const qsizetype colon = endpoint.lastIndexOf(u':');
        bool ok = false;
        const int port = colon > 0 ? endpoint.mid(colon + 1).toInt(&ok) : 0;
        if (!ok || port < 1 || port > 65535)
            return usageFailure(err, u"--pin: '%1' is not HOST:PORT (e.g. server.example:5986)"_s.arg(endpoint));
        endpoint = Wsman::CertificateStore::endpointKey(QStringView(endpoint).left(colon), port);
        if (!store.removePins(endpoint)) {
            err << "psremote-cli certificate remove: no pin for " << endpoint << '\n';
            return int(ExitCode::Failed);
        }
        out << "Removed the pins of " << endpoint << '\n';
        return int(ExitCode::Success);
    }
    if (arguments.size() != 1)
        return usageFailure(err, u"remove needs one THUMBPRINT, or --pin HOST:PORT"_s);
    auto removed = store.remove(arguments.first());
    if (!removed) {
        err << "psremote-cli certificate remove: " << removed.error().detail << '\n';
        return int(removed.error().code == Wsman::CertificateStoreErrorCode::NotFound ? ExitCode::Failed
                                                                                      : ExitCode::Usage);
    }
    out << "Removed " << *Wsman::CertificateStore::normalizeThumbprint(arguments.first()) << '\n';
    return int(ExitCode::Success);
}

} // namespace

QString certificateHelp()
{
    return u"Usage: psremote-cli certificate import FILE [--name NAME]\n"
           "       psremote-cli certificate list\n"
           "       psremote-cli certificate remove THUMBPRINT\n"
           "       psremote-cli certificate remove --pin HOST:PORT\n"
           "\n"
           "The per-user certificate store, shared with the PSRemote application:\n"
           "  import   Add a client certificate for --certificate-thumbprint: a PEM file with the\n"
           "           certificate and its private key, or a PKCS#12 file (.pfx/.p12). An\n"
           "           encrypted key's passphrase comes from PSREMOTE_CERTIFICATE_PASSPHRASE or\n"
           "           the terminal and is never stored.\n"
           "  list     Client certificates (thumbprint = SHA-1 of the certificate, as Windows\n"
           "           shows it) and pinned server certificates (SHA-256 per HOST:PORT).\n"
           "  remove   A client certificate by thumbprint, or every pin of HOST:PORT (after a\n"
           "           server's certificate legitimately changed).\n"
           "Server certificates are pinned by `invoke` (asked on the terminal, or\n"
           "--pin-certificate SHA256).\n"_s;
}

int runCertificateCommand(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    if (arguments.isEmpty())
        return usageFailure(err, u"give import, list or remove; see `psremote-cli certificate --help`"_s);
    const QString &verb = arguments.first();
    if (verb == u"--help" || verb == u"-h" || arguments.contains(u"--help"_s)) {
        out << certificateHelp();
        return int(ExitCode::Success);
    }
    if (verb == u"import")
        return importCertificate(arguments.mid(1), out, err);
    if (verb == u"list") {
        if (arguments.size() > 1)
            return usageFailure(err, u"list takes no arguments"_s);
        return listCertificates(out);
    }
    if (verb == u"remove")
        return removeEntry(arguments.mid(1), out, err);
    return usageFailure(err, u"unknown subcommand '%1'; give import, list or remove"_s.arg(verb));
}

} // namespace Cli
