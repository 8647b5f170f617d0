#include "wsman/CertificateStore.h"

#include "wsman/TrustedHosts.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

constexpr qint64 MaxImportSize = 1024 * 1024; // certificate files are a few KiB
constexpr auto PinGroup = "CertificatePins"_L1;
constexpr auto IndexFile = "index.ini"_L1;

CertificateStoreError storeError(CertificateStoreErrorCode code, const QString &detail)
{
    return CertificateStoreError{code, detail};
}

// What a PEM or PKCS#12 file holds once opened.
struct Parsed {
    ClientCertificate certificate;
    bool pkcs12 = false;
    bool encryptedKey = false;
};

// A copy of the passphrase for Qt's APIs, zeroed by the destructor.
class PassphraseBytes {
public:
    explicit PassphraseBytes(const Secret &secret) : m_bytes(secret.utf8().data(), secret.utf8().size()) {}
    ~PassphraseBytes() { m_bytes.fill('\0'); }
    PassphraseBytes(const PassphraseBytes &) = delete;
    PassphraseBytes &operator=(const PassphraseBytes &) = delete;
    const QByteArray &bytes() const { return m_bytes; }

private:
    QByteArray m_bytes;
};

StoreResult<Parsed> parsePem(const QByteArray &data, const Secret &passphrase)
{
    const QList<QSslCertificate> certificates = QSslCertificate::fromData(data, QSsl::Pem);
    if (certificates.isEmpty() || certificates.first().isNull())
        return storeError(CertificateStoreErrorCode::InvalidFile, u"no PEM certificate in the file"_s);
    static const QRegularExpression keyBlock(
        u"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \\1PRIVATE KEY-----"_s,
        QRegularExpression::DotMatchesEverythingOption);
    const QRegularExpressionMatch match = keyBlock.match(QString::fromLatin1(data));
    if (!match.hasMatch())
        return storeError(CertificateStoreErrorCode::NoPrivateKey,
                          u"the file holds a certificate but no private key (append the key's PEM block, or "
                          "import a PKCS#12 file)"_s);
    const QString kind = match.captured(1).trimmed();
    const QByteArray block = match.captured(0).toLatin1();
    Parsed parsed;
    parsed.encryptedKey = kind == u"ENCRYPTED" || block.contains("Proc-Type: 4,ENCRYPTED");
    if (parsed.encryptedKey && passphrase.isEmpty())
        return storeError(CertificateStoreErrorCode::PassphraseRequired, u"the private key is encrypted"_s);
    QList<QSsl::KeyAlgorithm> algorithms{QSsl::Rsa, QSsl::Ec, QSsl::Dsa};
    if (kind == u"RSA")
        algorithms = {QSsl::Rsa};
    else if (kind == u"EC")
        algorithms = {QSsl::Ec};
    else if (kind == u"DSA")
        algorithms = {QSsl::Dsa};
    const PassphraseBytes pass(passphrase);
    for (QSsl::KeyAlgorithm algorithm : algorithms) {
        QSslKey key(block, algorithm, QSsl::Pem, QSsl::PrivateKey, pass.bytes());
        if (!key.isNull()) {
            parsed.certificate.privateKey = key;
            break;
        }
    }
    if (parsed.certificate.privateKey.isNull())
        return parsed.encryptedKey
                   ? storeError(CertificateStoreErrorCode::WrongPassphrase, u"the passphrase does not open the private key"_s)
                   : storeError(CertificateStoreErrorCode::InvalidFile, u"the private key cannot be read"_s);
    parsed.certificate.certificate = certificates.first();
    parsed.certificate.chain = certificates.mid(1);
    return parsed;
}

StoreResult<Parsed> parsePkcs12(const QByteArray &data, const Secret &passphrase)
{
    QByteArray copy = data;
    QBuffer buffer(&copy);
    if (!buffer.open(QIODevice::ReadOnly))
        return storeError(CertificateStoreErrorCode::InvalidFile, u"cannot read the data"_s);
    Parsed parsed;
    parsed.pkcs12 = true;
    parsed.encryptedKey = !passphrase.isEmpty();
    const PassphraseBytes pass(passphrase);
    ClientCertificate &c = parsed.certificate;
    if (!QSslCertificate::importPkcs12(&buffer, &c.privateKey, &c.certificate, &c.chain, pass.bytes())) {
        if (passphrase.isEmpty())
            return storeError(CertificateStoreErrorCode::PassphraseRequired,
                              u"not PEM, and not a PKCS#12 file that opens without a passphrase"_s);
        return storeError(CertificateStoreErrorCode::WrongPassphrase,
                          u"not a PKCS#12 file, or the passphrase does not open it"_s);
    }
    if (c.certificate.isNull())
        return storeError(CertificateStoreErrorCode::InvalidFile, u"the PKCS#12 file holds no certificate"_s);
    if (c.privateKey.isNull())
        return storeError(CertificateStoreErrorCode::NoPrivateKey, u"the PKCS#12 file holds no private key"_s);
    return parsed;
}

StoreResult<Parsed> parseAny(const QByteArray &data, const Secret &passphrase)
{
    if (data.contains("-----BEGIN "))
        return parsePem(data, passphrase);
    return parsePkcs12(data, passphrase);
}

bool writePrivateFile(const QString &path, const QByteArray &data)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return file.write(data) == data.size() && file.commit();
}

QString commonName(const QSslCertificate &certificate)
{
    const QStringList cn = certificate.subjectInfo(QSslCertificate::CommonName);
    return cn.isEmpty() ? certificate.subjectDisplayName() : cn.first();
}

} // namespace

CertificateStore::CertificateStore(QString settingsFile, QString certificateDirectory)
    : m_settingsFile(settingsFile.isEmpty() ? sharedSettingsFilePath() : std::move(settingsFile))
    , m_directory(certificateDirectory.isEmpty() ? defaultCertificateDirectory() : std::move(certificateDirectory))
{
}

QString CertificateStore::defaultCertificateDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + u'/' + SettingsOrganization
           + u'/' + SettingsApplication + u"/certificates"_s;
}

StoreResult<StoredCertificate> CertificateStore::importFile(const QString &path, const QString &name,
                                                            const Secret &passphrase)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return storeError(CertificateStoreErrorCode::InvalidFile, u"cannot read '%1': %2"_s.arg(path, file.errorString()));
    if (file.size() > MaxImportSize)
        return storeError(CertificateStoreErrorCode::InvalidFile, u"'%1' is larger than 1 MiB"_s.arg(path));
    return importData(file.read(MaxImportSize), name, passphrase);
}

StoreResult<StoredCertificate> CertificateStore::importData(const QByteArray &data, const QString &name,
                                                            const Secret &passphrase)
{
    if (data.size() > MaxImportSize)
        return storeError(CertificateStoreErrorCode::InvalidFile, u"larger than 1 MiB"_s);
    StoreResult<Parsed> parsed = parseAny(data, passphrase);
    if (!parsed)
        return parsed.error();
    const Parsed &p = parsed.value();
    StoredCertificate stored;
    stored.certificate = p.certificate.certificate;
    stored.thumbprint = thumbprintOf(stored.certificate);
    stored.name = name.trimmed().isEmpty() ? commonName(stored.certificate) : name.trimmed();
    stored.encryptedKey = p.encryptedKey;

    QDir dir(m_directory);
    if (!dir.mkpath(u"."_s))
        return storeError(CertificateStoreErrorCode::Io, u"cannot create the folder '%1'"_s.arg(m_directory));
    QFile::setPermissions(m_directory, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    (void)remove(stored.thumbprint);
    const QString keyFile = dir.filePath(stored.thumbprint + (p.pkcs12 ? u".p12"_s : u".pem"_s));
    if (!writePrivateFile(keyFile, data)
        || !writePrivateFile(dir.filePath(stored.thumbprint + u".crt"_s), stored.certificate.toPem()))
        return storeError(CertificateStoreErrorCode::Io, u"cannot write into '%1'"_s.arg(m_directory));
    QSettings index(dir.filePath(IndexFile), QSettings::IniFormat);
    index.beginGroup(stored.thumbprint);
    index.setValue(u"Name"_s, stored.name);
    index.setValue(u"EncryptedKey"_s, stored.encryptedKey);
    index.endGroup();
    index.sync();
    if (index.status() != QSettings::NoError)
        return storeError(CertificateStoreErrorCode::Io, u"cannot write '%1'"_s.arg(index.fileName()));
    return stored;
}

QList<StoredCertificate> CertificateStore::list() const
{
    QList<StoredCertificate> result;
    const QDir dir(m_directory);
    if (!dir.exists())
        return result;
    const QSettings index(dir.filePath(IndexFile), QSettings::IniFormat);
    for (const QString &entry : dir.entryList({u"*.crt"_s}, QDir::Files, QDir::Name)) {
        const std::optional<QString> thumbprint = normalizeThumbprint(QStringView(entry).chopped(4));
        QFile file(dir.filePath(entry));
        if (!thumbprint || file.size() > MaxImportSize || !file.open(QIODevice::ReadOnly))
            continue;
        const QList<QSslCertificate> certificates = QSslCertificate::fromData(file.readAll(), QSsl::Pem);
        if (certificates.isEmpty() || thumbprintOf(certificates.first()) != *thumbprint)
            continue;
        StoredCertificate stored;
        stored.thumbprint = *thumbprint;
        stored.certificate = certificates.first();
        stored.name = index.value(*thumbprint + u"/Name"_s, commonName(stored.certificate)).toString();
        stored.encryptedKey = index.value(*thumbprint + u"/EncryptedKey"_s, false).toBool();
        result.append(stored);
    }
    return result;
}

std::optional<StoredCertificate> CertificateStore::find(QStringView thumbprint) const
{
    const std::optional<QString> t = normalizeThumbprint(thumbprint);
    if (!t)
        return std::nullopt;
    for (const StoredCertificate &c : list())
        if (c.thumbprint == *t)
            return c;
    return std::nullopt;
}

StoreResult<ClientCertificate> CertificateStore::load(QStringView thumbprint, const Secret &passphrase) const
{
    const std::optional<QString> t = normalizeThumbprint(thumbprint);
    if (!t)
        return storeError(CertificateStoreErrorCode::InvalidThumbprint,
                          u"'%1' is not a SHA-1 thumbprint (40 hexadecimal digits)"_s.arg(thumbprint));
    const QDir dir(m_directory);
    for (const QString &suffix : {u".p12"_s, u".pem"_s}) {
        QFile file(dir.filePath(*t + suffix));
        if (!file.exists())
            continue;
        if (file.size() > MaxImportSize || !file.open(QIODevice::ReadOnly))
            return storeError(CertificateStoreErrorCode::Io, u"cannot read '%1'"_s.arg(file.fileName()));
        StoreResult<Parsed> parsed = parseAny(file.readAll(), passphrase);
        if (!parsed)
            return parsed.error();
        if (thumbprintOf(parsed.value().certificate.certificate) != *t)
            return storeError(CertificateStoreErrorCode::InvalidFile,
                              u"'%1' does not hold the certificate its name says"_s.arg(file.fileName()));
        return std::move(parsed).value().certificate;
    }
    return storeError(CertificateStoreErrorCode::NotFound, u"no certificate with thumbprint %1 in the store"_s.arg(*t));
}

StoreResult<bool> CertificateStore::remove(QStringView thumbprint)
{
    const std::optional<QString> t = normalizeThumbprint(thumbprint);
    if (!t)
        return storeError(CertificateStoreErrorCode::InvalidThumbprint,
                          u"'%1' is not a SHA-1 thumbprint (40 hexadecimal digits)"_s.arg(thumbprint));
    QDir dir(m_directory);
    bool found = false;
    for (const QString &suffix : {u".crt"_s, u".p12"_s, u".pem"_s}) {
        const QString path = dir.filePath(*t + suffix);
        if (!QFile::exists(path))
            continue;
        found = true;
        if (!QFile::remove(path))
            return storeError(CertificateStoreErrorCode::Io, u"cannot remove '%1'"_s.arg(path));
    }
    if (!found)
        return storeError(CertificateStoreErrorCode::NotFound, u"no certificate with thumbprint %1 in the store"_s.arg(*t));
    QSettings index(dir.filePath(IndexFile), QSettings::IniFormat);
    index.remove(*t);
    return true;
}

QString CertificateStore::thumbprintOf(const QSslCertificate &certificate)
{
    return QString::fromLatin1(certificate.digest(QCryptographicHash::Sha1).toHex().toUpper());
}

std::optional<QString> CertificateStore::normalizeThumbprint(QStringView text)
{
    QString hex;
    for (QChar c : text) {
        if (c == u':' || c == u' ' || c == u'\u200e') // certmgr copies carry an LRM mark
            continue;
        if (!c.isDigit() && !(c.toLower() >= u'a' && c.toLower() <= u'f'))
            return std::nullopt;
        hex.append(c.toUpper());
    }
    if (hex.size() != 40)
        return std::nullopt;
    return hex;
}

QString CertificateStore::endpointKey(QStringView host, int port)
{
    QString h = host.trimmed().toString().toLower();
    if (h.startsWith(u'[') && h.endsWith(u']'))
        h = h.mid(1, h.size() - 2);
    QHostAddress address;
    if (h.contains(u':') && address.setAddress(h))
        h = u'[' + address.toString() + u']';
    return h + u':' + QString::number(port);
}

std::optional<QByteArray> CertificateStore::parseSha256(QStringView text)
{
    QByteArray hex;
    for (QChar c : text) {
        if (c == u':' || c == u' ')
            continue;
        if (!c.isDigit() && !(c.toLower() >= u'a' && c.toLower() <= u'f'))
            return std::nullopt;
        hex.append(char(c.toLatin1()));
    }
    if (hex.size() != 64)
        return std::nullopt;
    return QByteArray::fromHex(hex);
}

QString CertificateStore::formatSha256(QByteArrayView digest)
{
    return QString::fromLatin1(digest.toByteArray().toHex(':').toUpper());
}

QList<QByteArray> CertificateStore::pins(QStringView endpoint) const
{
    return allPins().value(endpoint.toString().toLower());
}

QMap<QString, QList<QByteArray>> CertificateStore::allPins() const
{
    QMap<QString, QList<QByteArray>> result;
    QSettings settings(m_settingsFile, QSettings::IniFormat);
    const int count = settings.beginReadArray(PinGroup);
    for (int i = 0; i < count; ++i) {
        settings.setArrayIndex(i);
        const QString endpoint = settings.value(u"Endpoint"_s).toString().toLower();
        const std::optional<QByteArray> digest = parseSha256(settings.value(u"Sha256"_s).toString());
        if (!endpoint.isEmpty() && digest && !result[endpoint].contains(*digest))
            result[endpoint].append(*digest);
    }
    settings.endArray();
    return result;
}

namespace {

bool writePins(const QString &settingsFile, const QMap<QString, QList<QByteArray>> &pins)
{
    QSettings settings(settingsFile, QSettings::IniFormat);
    settings.remove(PinGroup);
    settings.beginWriteArray(PinGroup);
    int i = 0;
    for (auto it = pins.cbegin(); it != pins.cend(); ++it) {
        for (const QByteArray &digest : it.value()) {
            settings.setArrayIndex(i++);
            settings.setValue(u"Endpoint"_s, it.key());
            settings.setValue(u"Sha256"_s, CertificateStore::formatSha256(digest));
        }
    }
    settings.endArray();
    settings.sync();
    return settings.status() == QSettings::NoError;
}

} // namespace

bool CertificateStore::addPin(QStringView endpoint, const QByteArray &sha256)
{
    if (sha256.size() != 32 || endpoint.isEmpty())
        return false;
    QMap<QString, QList<QByteArray>> all = allPins();
    QList<QByteArray> &list = all[endpoint.toString().toLower()];
    if (list.contains(sha256))
        return true;
    list.append(sha256);
    return writePins(m_settingsFile, all);
}

bool CertificateStore::removePins(QStringView endpoint)
{
    QMap<QString, QList<QByteArray>> all = allPins();
    if (all.remove(endpoint.toString().toLower()) == 0)
        return false;
    return writePins(m_settingsFile, all);
}

} // namespace Wsman
