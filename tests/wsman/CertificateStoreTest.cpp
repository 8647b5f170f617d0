// Wsman::CertificateStore: client certificate import (PEM, encrypted PEM, PKCS#12), thumbprints
// as Windows shows them, list/load/remove, and certificate pins per endpoint. Certificates are
// generated at test time with the openssl command (skipped without it).
#include "wsman/CertificateStore.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <optional>

using namespace Qt::Literals::StringLiterals;
using Wsman::CertificateStore;
using Wsman::CertificateStoreErrorCode;
using Wsman::Secret;

namespace {

// A client certificate made by openssl: client.pem (certificate + clear key), client-enc.pem
// (certificate + key encrypted with "pem-pass"), client.p12 (PKCS#12 with "p12-pass"), and the
// thumbprint openssl computes.
struct ClientFiles {
    std::unique_ptr<QTemporaryDir> dir;
    QString thumbprint;
    QString path(const QString &name) const { return dir->filePath(name); }
};

std::optional<ClientFiles> makeClientFiles(QString *diagnostics)
{
    ClientFiles files;
    files.dir = std::make_unique<QTemporaryDir>();
    auto run = [&](const QStringList &args, QByteArray *out = nullptr) {
        QProcess p;
        p.setWorkingDirectory(files.dir->path());
        p.start(u"openssl"_s, args);
        const bool ok = p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        if (!ok)
            *diagnostics += u"openssl "_s + args.join(u' ') + u": "_s + QString::fromLocal8Bit(p.readAllStandardError());
        if (out)
            *out = p.readAllStandardOutput();
        return ok;
    };
    QByteArray fingerprint;
    if (!run({u"req"_s, u"-x509"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s,
              u"-keyout"_s, u"key.pem"_s, u"-out"_s, u"cert.pem"_s, u"-days"_s, u"2"_s, u"-subj"_s,
              u"/CN=alice-client"_s, u"-addext"_s, u"extendedKeyUsage=clientAuth"_s})
        || !run({u"pkcs8"_s, u"-topk8"_s, u"-in"_s, u"key.pem"_s, u"-out"_s, u"key-enc.pem"_s, u"-passout"_s,
                 u"pass:pem-pass"_s})
        || !run({u"pkcs12"_s, u"-export"_s, u"-in"_s, u"cert.pem"_s, u"-inkey"_s, u"key.pem"_s, u"-out"_s,
                 u"client.p12"_s, u"-passout"_s, u"pass:p12-pass"_s})
        || !run({u"x509"_s, u"-in"_s, u"cert.pem"_s, u"-noout"_s, u"-fingerprint"_s, u"-sha1"_s}, &fingerprint))
        return std::nullopt;
    auto concat = [&](const QString &out, const QStringList &parts) {
        QFile o(files.path(out));
        if (!o.open(QIODevice::WriteOnly))
            return false;
        for (const QString &part : parts) {
            QFile in(files.path(part));
            if (!in.open(QIODevice::ReadOnly))
                return false;
            o.write(in.readAll());
        }
        return true;
    };
    if (!concat(u"client.pem"_s, {u"cert.pem"_s, u"key.pem"_s}) || !concat(u"client-enc.pem"_s, {u"cert.pem"_s, u"key-enc.pem"_s}))
        return std::nullopt;
    // "SHA1 Fingerprint=AB:CD:..." (the label's case differs between OpenSSL versions)
    files.thumbprint = QString::fromLatin1(fingerprint.mid(fingerprint.indexOf('=') + 1).trimmed()).remove(u':');
    return files;
}

class CertificateStoreTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        QString diagnostics;
        m_files = makeClientFiles(&diagnostics);
        if (!m_files)
            GTEST_SKIP() << "openssl unavailable: " << diagnostics.toStdString();
        ASSERT_TRUE(m_home.isValid());
    }
    CertificateStore store() const
    {
        return CertificateStore(m_home.filePath(u"settings.ini"_s), m_home.filePath(u"certificates"_s));
    }

    QTemporaryDir m_home;
    std::optional<ClientFiles> m_files;
};

} // namespace

TEST_F(CertificateStoreTest, PemImportGivesTheWindowsThumbprintAndCommonName)
{
    CertificateStore s = store();
    auto imported = s.importFile(m_files->path(u"client.pem"_s), {}, Secret());
    ASSERT_TRUE(imported) << imported.error().detail.toStdString();
    EXPECT_EQ(imported.value().thumbprint, m_files->thumbprint);
    EXPECT_EQ(imported.value().thumbprint.size(), 40);
    EXPECT_EQ(imported.value().thumbprint, imported.value().thumbprint.toUpper());
    EXPECT_EQ(imported.value().name, u"alice-client"_s);
    EXPECT_FALSE(imported.value().encryptedKey);

    const QList<Wsman::StoredCertificate> listed = s.list();
    ASSERT_EQ(listed.size(), 1);
    EXPECT_EQ(listed.first().thumbprint, m_files->thumbprint);
    EXPECT_EQ(listed.first().name, u"alice-client"_s);

    // Private files, private folder.
    const QFileInfo keyFile(s.certificateDirectory() + u'/' + m_files->thumbprint + u".pem"_s);
    ASSERT_TRUE(keyFile.exists());
    EXPECT_EQ(keyFile.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteOther), 0);
    EXPECT_EQ(QFileInfo(s.certificateDirectory()).permissions() & (QFileDevice::ReadOther | QFileDevice::ExeOther), 0);

    auto loaded = s.load(m_files->thumbprint.toLower(), Secret());
    ASSERT_TRUE(loaded) << loaded.error().detail.toStdString();
    EXPECT_FALSE(loaded.value().privateKey.isNull());
    EXPECT_EQ(CertificateStore::thumbprintOf(loaded.value().certificate), m_files->thumbprint);
}

TEST_F(CertificateStoreTest, EncryptedPemNeedsItsPassphraseWhichIsNeverStored)
{
    CertificateStore s = store();
    auto noPass = s.importFile(m_files->path(u"client-enc.pem"_s), u"enc"_s, Secret());
    ASSERT_FALSE(noPass);
    EXPECT_EQ(noPass.error().code, CertificateStoreErrorCode::PassphraseRequired);
    auto wrong = s.importFile(m_files->path(u"client-enc.pem"_s), u"enc"_s, Secret(u"nope"));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, CertificateStoreErrorCode::WrongPassphrase);
    EXPECT_TRUE(s.list().isEmpty());

    auto imported = s.importFile(m_files->path(u"client-enc.pem"_s), u"enc"_s, Secret(u"pem-pass"));
    ASSERT_TRUE(imported) << imported.error().detail.toStdString();
    EXPECT_TRUE(imported.value().encryptedKey);
    EXPECT_EQ(imported.value().name, u"enc"_s);

    auto locked = s.load(m_files->thumbprint, Secret());
    ASSERT_FALSE(locked);
    EXPECT_EQ(locked.error().code, CertificateStoreErrorCode::PassphraseRequired);
    EXPECT_TRUE(s.load(m_files->thumbprint, Secret(u"pem-pass")));

    // The passphrase is in no file of the store or the settings.
    QDir dir(s.certificateDirectory());
    for (const QString &name : dir.entryList(QDir::Files)) {
        QFile f(dir.filePath(name));
        ASSERT_TRUE(f.open(QIODevice::ReadOnly));
        EXPECT_FALSE(f.readAll().contains("pem-pass")) << name.toStdString();
    }
}

TEST_F(CertificateStoreTest, Pkcs12ImportLoadAndRemove)
{
    CertificateStore s = store();
    auto noPass = s.importFile(m_files->path(u"client.p12"_s), {}, Secret());
    ASSERT_FALSE(noPass);
    EXPECT_EQ(noPass.error().code, CertificateStoreErrorCode::PassphraseRequired);
    auto wrong = s.importFile(m_files->path(u"client.p12"_s), {}, Secret(u"bad"));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, CertificateStoreErrorCode::WrongPassphrase);

    auto imported = s.importFile(m_files->path(u"client.p12"_s), u"laptop"_s, Secret(u"p12-pass"));
    ASSERT_TRUE(imported) << imported.error().detail.toStdString();
    EXPECT_EQ(imported.value().thumbprint, m_files->thumbprint);
    ASSERT_TRUE(s.find(QString(u"  "_s + m_files->thumbprint.toLower() + u" "_s)));
    EXPECT_EQ(s.find(m_files->thumbprint)->name, u"laptop"_s);
    auto loaded = s.load(m_files->thumbprint, Secret(u"p12-pass"));
    ASSERT_TRUE(loaded) << loaded.error().detail.toStdString();
    EXPECT_FALSE(loaded.value().privateKey.isNull());

    EXPECT_EQ(s.remove(u"1234").error().code, CertificateStoreErrorCode::InvalidThumbprint);
    auto removed = s.remove(m_files->thumbprint);
    ASSERT_TRUE(removed) << removed.error().detail.toStdString();
    EXPECT_TRUE(s.list().isEmpty());
    EXPECT_EQ(s.remove(m_files->thumbprint).error().code, CertificateStoreErrorCode::NotFound);
    EXPECT_EQ(s.load(m_files->thumbprint, Secret()).error().code, CertificateStoreErrorCode::NotFound);
}

TEST_F(CertificateStoreTest, CertificateWithoutKeyAndGarbageAreRefused)
{
    CertificateStore s = store();
    auto certOnly = s.importFile(m_files->path(u"cert.pem"_s), {}, Secret());
    ASSERT_FALSE(certOnly);
    EXPECT_EQ(certOnly.error().code, CertificateStoreErrorCode::NoPrivateKey);
    auto garbage = s.importData(QByteArrayLiteral("\x30\x82\x01\x00 not pkcs12"), {}, Secret(u"x"));
    ASSERT_FALSE(garbage);
    auto huge = s.importData(QByteArray(2 * 1024 * 1024, 'A'), {}, Secret());
    ASSERT_FALSE(huge);
    EXPECT_EQ(huge.error().code, CertificateStoreErrorCode::InvalidFile);
    EXPECT_EQ(s.importFile(m_files->path(u"absent.pem"_s), {}, Secret()).error().code, CertificateStoreErrorCode::InvalidFile);
    EXPECT_TRUE(s.list().isEmpty());
}

TEST(CertificatePins, Sha256ParsingAndFormatting)
{
    const QByteArray digest = QCryptographicHash::hash("x", QCryptographicHash::Sha256);
    const QString formatted = CertificateStore::formatSha256(digest);
    EXPECT_EQ(formatted.size(), 95);
    EXPECT_EQ(CertificateStore::parseSha256(formatted), digest);
    EXPECT_EQ(CertificateStore::parseSha256(QString::fromLatin1(digest.toHex())), digest);
    EXPECT_FALSE(CertificateStore::parseSha256(QString::fromLatin1(digest.toHex()).chopped(2)));
    EXPECT_FALSE(CertificateStore::parseSha256(QString::fromLatin1(digest.toHex()).replace(0, 1, u"g"_s)));
    EXPECT_EQ(CertificateStore::normalizeThumbprint(u"ab cd:EF0123456789abcdef0123456789ABCDEF01"),
              u"ABCDEF0123456789ABCDEF0123456789ABCDEF01"_s);
    EXPECT_FALSE(CertificateStore::normalizeThumbprint(u"abcd"));
}

TEST(CertificatePins, EndpointKeys)
{
    EXPECT_EQ(CertificateStore::endpointKey(u"Server.Example", 5986), u"server.example:5986"_s);
    EXPECT_EQ(CertificateStore::endpointKey(u"[2001:DB8::1]", 5986), u"[2001:db8::1]:5986"_s);
    EXPECT_EQ(CertificateStore::endpointKey(u"2001:db8:0::1", 443), u"[2001:db8::1]:443"_s);
}

TEST(CertificatePins, AddListRemovePersist)
{
    QTemporaryDir home;
    ASSERT_TRUE(home.isValid());
    const QString settings = home.filePath(u"settings.ini"_s);
    const QByteArray a = QCryptographicHash::hash("a", QCryptographicHash::Sha256);
    const QByteArray b = QCryptographicHash::hash("b", QCryptographicHash::Sha256);
    {
        CertificateStore s(settings, home.filePath(u"c"_s));
        EXPECT_TRUE(s.pins(u"h:5986").isEmpty());
        EXPECT_TRUE(s.addPin(u"h:5986", a));
        EXPECT_TRUE(s.addPin(u"h:5986", a)); // once only
        EXPECT_TRUE(s.addPin(u"[::1]:5986", b));
        EXPECT_FALSE(s.addPin(u"h:5986", QByteArray("short")));
    }
    CertificateStore s(settings, home.filePath(u"c"_s));
    EXPECT_EQ(s.pins(u"H:5986"), QList<QByteArray>{a});
    EXPECT_EQ(s.pins(u"[::1]:5986"), QList<QByteArray>{b});
    EXPECT_EQ(s.allPins().size(), 2);
    EXPECT_TRUE(s.removePins(u"h:5986"));
    EXPECT_FALSE(s.removePins(u"h:5986"));
    EXPECT_TRUE(s.pins(u"h:5986").isEmpty());
    EXPECT_EQ(s.pins(u"[::1]:5986"), QList<QByteArray>{b});
}
