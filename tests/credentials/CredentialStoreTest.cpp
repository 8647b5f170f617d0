// The key scheme and MemoryCredentialStore (the in-memory store for tests of upper layers).
#include "credentials/CredentialStore.h"
#include "credentials/MemoryCredentialStore.h"

#include "CredentialTestSupport.h"

#include <gtest/gtest.h>

#include <memory>

using namespace Qt::Literals::StringLiterals;
using Credentials::CredentialStore;
using Credentials::ErrorKind;

TEST(CredentialKeys, HostPasswordKeyEscapesSlashAndPercent)
{
    EXPECT_EQ(CredentialStore::hostPasswordKey(u"3f2a", u"CONTOSO\\alice"), u"host/3f2a/CONTOSO\\alice"_s);
    EXPECT_EQ(CredentialStore::hostPasswordKey(u"a/b", u"50%/x"), u"host/a%2Fb/50%25%2Fx"_s);
    // Distinct inputs that a naive join would confuse stay distinct.
    EXPECT_NE(CredentialStore::hostPasswordKey(u"a/b", u"c"), CredentialStore::hostPasswordKey(u"a", u"b/c"));
}

TEST(CredentialKeys, CertificateKeyUsesNormalizedThumbprint)
{
    const auto key = CredentialStore::certificatePassphraseKey(u"ab:cd ef0123456789abcdef0123456789abcdef01");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(*key, u"certificate/ABCDEF0123456789ABCDEF0123456789ABCDEF01"_s);
    EXPECT_FALSE(CredentialStore::certificatePassphraseKey(u"not-a-thumbprint").has_value());
    EXPECT_FALSE(CredentialStore::certificatePassphraseKey(u"ABCDEF").has_value());
}

TEST(CredentialKeys, ProxyKeyIsLowerCaseHostPortAndUser)
{
    EXPECT_EQ(CredentialStore::proxyPasswordKey(QUrl(u"http://Squid.Corp:3128"_s), u"bob"), u"proxy/squid.corp:3128/bob"_s);
    EXPECT_EQ(CredentialStore::proxyPasswordKey(QUrl(u"http://squid.corp"_s), u"bob"), u"proxy/squid.corp:80/bob"_s);
    EXPECT_EQ(CredentialStore::proxyPasswordKey(QUrl(u"http://[::1]:8080"_s), u"a/b"), u"proxy/[::1]:8080/a%2Fb"_s);
}

TEST(MemoryCredentialStore, RoundTripOverwriteAndRemove)
{
    Credentials::MemoryCredentialStore store;
    const QString key = CredentialStore::hostPasswordKey(u"h1", u"alice");

    auto missing = CredentialTest::readSecret(store, key);
    ASSERT_TRUE(missing.has_value());
    ASSERT_FALSE(missing->ok());
    EXPECT_EQ(missing->error().kind, ErrorKind::NotFound);

    auto written = CredentialTest::writeSecret(store, key, u"first");
    ASSERT_TRUE(written.has_value());
    EXPECT_FALSE(written->has_value());
    auto first = CredentialTest::readSecret(store, key);
    ASSERT_TRUE(first.has_value() && first->ok());
    EXPECT_EQ(CredentialTest::secretText(*first), u"first"_s);

    ASSERT_EQ(CredentialTest::failureOf(CredentialTest::writeSecret(store, key, u"sécond")), "");
    auto second = CredentialTest::readSecret(store, key);
    ASSERT_TRUE(second.has_value() && second->ok());
    EXPECT_EQ(CredentialTest::secretText(*second), u"sécond"_s);
    EXPECT_EQ(store.size(), 1);

    auto removed = CredentialTest::removeSecret(store, key);
    ASSERT_TRUE(removed.has_value());
    EXPECT_FALSE(removed->has_value());
    EXPECT_FALSE(store.contains(key));
    auto removedAgain = CredentialTest::removeSecret(store, key);
    ASSERT_TRUE(removedAgain.has_value());
    EXPECT_FALSE(removedAgain->has_value()) << "removing a missing key succeeds";
}

TEST(MemoryCredentialStore, DeliversLaterNeverInsideTheCall)
{
    Credentials::MemoryCredentialStore store;
    QObject context;
    bool called = false;
    store.read(u"host/x/y"_s, &context, [&called](Credentials::ReadResult) { called = true; });
    EXPECT_FALSE(called);
    EXPECT_TRUE(CredentialTest::spinUntil([&called] { return called; }));
}

TEST(MemoryCredentialStore, DestroyedContextDropsTheHandler)
{
    Credentials::MemoryCredentialStore store;
    bool dropped = true;
    {
        auto context = std::make_unique<QObject>();
        store.write(u"host/x/y"_s, Wsman::Secret(u"s"), context.get(), [&dropped](Credentials::DoneResult) { dropped = false; });
    }
    // A later operation on a live context completes; the first handler must not have run.
    ASSERT_TRUE(CredentialTest::readSecret(store, u"host/x/y"_s).has_value());
    EXPECT_TRUE(dropped);
}

TEST(MemoryCredentialStore, InjectedFailureReachesEveryOperation)
{
    Credentials::MemoryCredentialStore store;
    store.setFailure(Credentials::Error{ErrorKind::NoBackend, u"no keychain here"_s});
    auto read = CredentialTest::readSecret(store, u"host/x/y"_s);
    ASSERT_TRUE(read.has_value());
    ASSERT_FALSE(read->ok());
    EXPECT_EQ(read->error().kind, ErrorKind::NoBackend);
    EXPECT_EQ(read->error().message, u"no keychain here"_s);
    auto written = CredentialTest::writeSecret(store, u"host/x/y"_s, u"s");
    ASSERT_TRUE(written.has_value() && written->has_value());
    EXPECT_EQ((*written)->kind, ErrorKind::NoBackend);
    EXPECT_FALSE(store.contains(u"host/x/y"_s));
}
