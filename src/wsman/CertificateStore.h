#pragma once

#include "wsman/Secret.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QMap>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <QStringView>

#include <optional>
#include <utility>
#include <variant>

namespace Wsman {

enum class CertificateStoreErrorCode {
    InvalidFile,        // neither PEM with a certificate nor PKCS#12, or unreadable
    PassphraseRequired, // the key (or the PKCS#12 file) is encrypted and no passphrase was given
    WrongPassphrase,    // the passphrase does not open the key / PKCS#12 file
    NoPrivateKey,       // a certificate without its private key cannot authenticate
    NotFound,           // no stored certificate with that thumbprint
    InvalidThumbprint,  // not 40 hexadecimal digits (SHA-1)
    Io,                 // the store folder or a file in it cannot be written
};

struct CertificateStoreError {
    CertificateStoreErrorCode code;
    QString detail; // technical; never a passphrase
};

// Either a value or a CertificateStoreError.
template <typename T>
class [[nodiscard]] StoreResult {
public:
    StoreResult(T value) : m_data(std::in_place_index<0>, std::move(value)) {} // NOLINT: implicit by design
    StoreResult(CertificateStoreError error) : m_data(std::in_place_index<1>, std::move(error)) {} // NOLINT

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const CertificateStoreError &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, CertificateStoreError> m_data;
};

// One client certificate in the store (its public part; the key stays in its file).
struct StoredCertificate {
    QString thumbprint; // SHA-1 of the DER certificate, upper-case hex, as Windows shows it
    QString name;       // the user's label; the subject's CN when none was given
    QSslCertificate certificate;
    bool encryptedKey = false; // loading the key needs a passphrase
};

// A client certificate ready for TLS: certificate, private key and any chain certificates.
struct ClientCertificate {
    QSslCertificate certificate;
    QSslKey privateKey;
    QList<QSslCertificate> chain;
};

// The per-user certificate store shared by the CLI and the GUI:
//  - client certificates (Enter-PSSession -CertificateThumbprint): a folder holding, per
//    certificate, <THUMBPRINT>.crt (the public certificate, PEM) and the imported file as it was
//    (<THUMBPRINT>.pem or .p12, mode 0600; an encrypted key stays encrypted) plus index.ini for
//    labels. A passphrase is never written anywhere: the CLI asks for it (terminal /
//    PSREMOTE_CERTIFICATE_PASSPHRASE), the GUI takes it from its keychain, and either hands it to
//    importFile() / load().
//  - certificate pins (trust on first use): per endpoint "host:port", the SHA-256 digests of the
//    server certificates the user accepted, in the shared settings file (group CertificatePins).
// A value type over the file system; every call reads or writes the files anew.
class CertificateStore {
public:
    // Empty arguments: the shared locations (sharedSettingsFilePath() from TrustedHosts.h, and
    // defaultCertificateDirectory()).
    explicit CertificateStore(QString settingsFile = {}, QString certificateDirectory = {});

    // $XDG_DATA_HOME/PSRemote/io.github.psremote.PSRemote/certificates: the GUI's
    // AppDataLocation, whatever the running program is called.
    static QString defaultCertificateDirectory();
    const QString &certificateDirectory() const { return m_directory; }

    // ---- client certificates
    // PEM (certificate + private key, the key possibly encrypted) or PKCS#12 (.pfx/.p12). An
    // existing entry with the same thumbprint is replaced. `name` empty: the subject's CN.
    StoreResult<StoredCertificate> importFile(const QString &path, const QString &name, const Secret &passphrase);
    StoreResult<StoredCertificate> importData(const QByteArray &data, const QString &name, const Secret &passphrase);
    QList<StoredCertificate> list() const;
    std::optional<StoredCertificate> find(QStringView thumbprint) const;
    StoreResult<ClientCertificate> load(QStringView thumbprint, const Secret &passphrase) const;
    StoreResult<bool> remove(QStringView thumbprint);

    // Thumbprint as Windows shows it: SHA-1 of the DER certificate, upper-case hex.
    static QString thumbprintOf(const QSslCertificate &certificate);
    // Upper-case 40 hex digits from user input (blanks and colons ignored); nullopt if not SHA-1.
    static std::optional<QString> normalizeThumbprint(QStringView text);

    // ---- certificate pins
    // "host:port", the host lower-case, an IPv6 address in brackets.
    static QString endpointKey(QStringView host, int port);
    // 32 bytes from 64 hex digits (blanks and colons ignored, any case); nullopt otherwise.
    static std::optional<QByteArray> parseSha256(QStringView text);
    static QString formatSha256(QByteArrayView digest); // upper-case hex pairs joined by ':'

    QList<QByteArray> pins(QStringView endpoint) const;
    QMap<QString, QList<QByteArray>> allPins() const;
    bool addPin(QStringView endpoint, const QByteArray &sha256);
    // True when the endpoint had pins.
    bool removePins(QStringView endpoint);

private:
    QString m_settingsFile;
    QString m_directory;
};

} // namespace Wsman
