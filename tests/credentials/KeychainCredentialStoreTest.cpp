// KeychainCredentialStore against a real gnome-keyring over a private session bus, and without
// any keychain backend. Run through run-with-keyring.sh (registered with CTest), which sets
// PSREMOTE_KEYRING_MODE and PSREMOTE_KEYRING_DIR (the throwaway XDG_* root).
#include "credentials/KeychainCredentialStore.h"

#include "CredentialTestSupport.h"

#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QUuid>

#include <gtest/gtest.h>

#include <memory>

using namespace Qt::Literals::StringLiterals;
using Credentials::CredentialStore;
using Credentials::ErrorKind;
using Credentials::KeychainCredentialStore;

namespace {

QString mode()
{
    return qEnvironmentVariable("PSREMOTE_KEYRING_MODE");
}

QString keyringRoot()
{
    return qEnvironmentVariable("PSREMOTE_KEYRING_DIR");
}

// A fresh key per test: the keyring is per CTest run, the tests share it.
QString freshKey()
{
    return CredentialStore::hostPasswordKey(QUuid::createUuid().toString(QUuid::WithoutBraces), u"CONTOSO\\alice");
}

// Files under `root` whose bytes contain `needle`.
QStringList filesContaining(const QString &root, const QByteArray &needle, int *fileCount)
{
    QStringList hits;
    QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        ++*fileCount;
        if (file.readAll().contains(needle))
            hits << path;
    }
    return hits;
}

class KeychainCredentialStoreTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (mode() != u"keyring"_s)
            GTEST_SKIP() << "needs the private keyring of tests/credentials/run-with-keyring.sh (run through ctest)";
    }
    KeychainCredentialStore store;
};

class KeychainNoBackendTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (mode() != u"nobus"_s && mode() != u"nokeyring"_s)
            GTEST_SKIP() << "needs run-with-keyring.sh nobus|nokeyring (run through ctest)";
    }
    KeychainCredentialStore store;
};

} // namespace

TEST_F(KeychainCredentialStoreTest, UsesTheApplicationIdAsServiceName)
{
    EXPECT_EQ(store.service(), u"io.github.psremote.PSRemote"_s);
}

TEST_F(KeychainCredentialStoreTest, WriteReadRemoveRoundTrip)
{
    const QString key = freshKey();
    auto written = CredentialTest::writeSecret(store, key, u"Test-Passw0rd");
    ASSERT_TRUE(written.has_value());
    ASSERT_FALSE(written->has_value()) << (*written)->message.toStdString();

    auto read = CredentialTest::readSecret(store, key);
    ASSERT_TRUE(read.has_value());
    ASSERT_TRUE(read->ok()) << read->error().message.toStdString();
    EXPECT_EQ(CredentialTest::secretText(*read), u"Test-Passw0rd"_s);

    auto removed = CredentialTest::removeSecret(store, key);
    ASSERT_TRUE(removed.has_value());
    ASSERT_FALSE(removed->has_value()) << (*removed)->message.toStdString();

    auto gone = CredentialTest::readSecret(store, key);
    ASSERT_TRUE(gone.has_value());
    ASSERT_FALSE(gone->ok());
    EXPECT_EQ(gone->error().kind, ErrorKind::NotFound);
}

TEST_F(KeychainCredentialStoreTest, MissingKeyIsNotFoundAndRemovingItSucceeds)
{
    const QString key = freshKey();
    auto read = CredentialTest::readSecret(store, key);
    ASSERT_TRUE(read.has_value());
    ASSERT_FALSE(read->ok());
    EXPECT_EQ(read->error().kind, ErrorKind::NotFound) << read->error().message.toStdString();
    EXPECT_FALSE(read->error().message.isEmpty());

    auto removed = CredentialTest::removeSecret(store, key);
    ASSERT_TRUE(removed.has_value());
    EXPECT_FALSE(removed->has_value());
}

TEST_F(KeychainCredentialStoreTest, OverwriteReplacesTheSecret)
{
    const QString key = freshKey();
    ASSERT_EQ(CredentialTest::failureOf(CredentialTest::writeSecret(store, key, u"old-secret")), "");
    ASSERT_EQ(CredentialTest::failureOf(CredentialTest::writeSecret(store, key, u"new-secret")), "");
    auto read = CredentialTest::readSecret(store, key);
    ASSERT_TRUE(read.has_value() && read->ok());
    EXPECT_EQ(CredentialTest::secretText(*read), u"new-secret"_s);
}

TEST_F(KeychainCredentialStoreTest, NonAsciiSecretSurvivesAndOtherToolsReadItAsText)
{
    const QString secret = u"pässwörd-€-日本-\U0001D11E"_s;
    const auto key = CredentialStore::certificatePassphraseKey(u"0123456789ABCDEF0123456789ABCDEF01234567");
    ASSERT_TRUE(key.has_value());
    ASSERT_EQ(CredentialTest::failureOf(CredentialTest::writeSecret(store, *key, secret)), "");
    auto read = CredentialTest::readSecret(store, *key);
    ASSERT_TRUE(read.has_value() && read->ok());
    EXPECT_EQ(CredentialTest::secretText(*read), secret);
    EXPECT_EQ(read->secret().utf8(), secret.toUtf8());

    const QString tool = QStandardPaths::findExecutable(u"secret-tool"_s);
    if (tool.isEmpty())
        GTEST_SKIP() << "secret-tool not found (Debian package libsecret-tools)";
    QProcess lookup;
    lookup.start(tool, {u"lookup"_s, u"server"_s, store.service(), u"user"_s, *key});
    ASSERT_TRUE(lookup.waitForFinished(20000));
    EXPECT_EQ(lookup.exitCode(), 0);
    EXPECT_TRUE(lookup.readAllStandardOutput() == secret.toUtf8()) << "secret-tool read different bytes";
}

TEST_F(KeychainCredentialStoreTest, SecretToolFindsTheItemAndNoFileHoldsThePlainSecret)
{
    const QString tool = QStandardPaths::findExecutable(u"secret-tool"_s);
    if (tool.isEmpty())
        GTEST_SKIP() << "secret-tool not found (Debian package libsecret-tools)";
    const QString key = freshKey();
    const QString secret = u"plain-text-canary-"_s + QUuid::createUuid().toString(QUuid::Id128);
    ASSERT_EQ(CredentialTest::failureOf(CredentialTest::writeSecret(store, key, secret)), "");

    QProcess search;
    search.start(tool, {u"search"_s, u"--all"_s, u"server"_s, store.service()});
    ASSERT_TRUE(search.waitForFinished(20000));
    EXPECT_EQ(search.exitCode(), 0);
    // secret-tool prints the attributes on stderr, the item (label, secret) on stdout.
    const QString listing = QString::fromUtf8(search.readAllStandardOutput() + search.readAllStandardError());
    EXPECT_TRUE(listing.contains(u"attribute.user = "_s + key)) << "item not listed under its key";
    EXPECT_TRUE(listing.contains(u"attribute.server = io.github.psremote.PSRemote"_s));
    EXPECT_TRUE(listing.contains(u"schema = org.qt.keychain"_s));

    int files = 0;
    const QStringList keyrings = filesContaining(keyringRoot() + u"/data/keyrings"_s, QByteArray(), &files);
    ASSERT_GT(files, 0) << "gnome-keyring wrote no keyring file under the temp XDG_DATA_HOME";
    int scanned = 0;
    const QStringList hits = filesContaining(keyringRoot(), secret.toUtf8(), &scanned);
    EXPECT_GT(scanned, 0);
    EXPECT_TRUE(hits.isEmpty()) << "the secret is in plain text in " << hits.join(u", "_s).toStdString();
}

TEST_F(KeychainCredentialStoreTest, DeliversLaterAndDropsHandlersOfDestroyedContexts)
{
    const QString key = freshKey();
    bool dropped = true;
    {
        auto context = std::make_unique<QObject>();
        store.write(key, Wsman::Secret(u"late"), context.get(), [&dropped](Credentials::DoneResult) { dropped = false; });
        EXPECT_TRUE(dropped) << "delivered inside write()";
    }
    // QtKeychain runs jobs one after another: when this read answers, the write has finished.
    auto read = CredentialTest::readSecret(store, key);
    ASSERT_TRUE(read.has_value() && read->ok());
    EXPECT_EQ(CredentialTest::secretText(*read), u"late"_s);
    EXPECT_TRUE(dropped);
}

TEST_F(KeychainNoBackendTest, ReportsQtKeychainsOwnReason)
{
    const QString key = freshKey();
    auto read = CredentialTest::readSecret(store, key);
    ASSERT_TRUE(read.has_value()) << "no answer without a backend";
    ASSERT_FALSE(read->ok());
    const Credentials::Error &error = read->error();
    RecordProperty("read_error", error.message.toStdString());
    EXPECT_NE(error.kind, ErrorKind::NotFound);
    EXPECT_FALSE(error.message.isEmpty());
    EXPECT_FALSE(error.message.startsWith(u"QtKeychain error"_s)) << "generic text instead of QtKeychain's: " << error.message.toStdString();
    // The D-Bus layer's reason: no session bus to autolaunch, or no Secret Service on the bus.
    const QString expected = mode() == u"nobus"_s ? u"D-Bus"_s : u"org.freedesktop.secrets"_s;
    EXPECT_TRUE(error.message.contains(expected)) << error.message.toStdString();

    auto written = CredentialTest::writeSecret(store, key, u"never-stored");
    ASSERT_TRUE(written.has_value());
    ASSERT_TRUE(written->has_value()) << "a write without a backend must fail";
    EXPECT_FALSE((*written)->message.isEmpty());
    EXPECT_TRUE((*written)->message.contains(expected)) << (*written)->message.toStdString();

    int scanned = 0;
    EXPECT_TRUE(filesContaining(keyringRoot(), QByteArrayLiteral("never-stored"), &scanned).isEmpty()) << "insecure fallback wrote the secret";
}
