#include "ShellTestSupport.h"

#include "gui/SavedHostStore.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using Gui::SavedHost;
using Gui::SavedHostStore;

namespace {

const ::testing::Environment *const isolated = ::testing::AddGlobalTestEnvironment(new ShellTest::IsolatedSettings);

SavedHost sampleHost()
{
    SavedHost h;
    h.name = u"Web 1"_s;
    h.folder = u" Servers / Lab "_s;
    h.connection.computerName = u"web1.contoso.com"_s;
    h.connection.port = 5986;
    h.connection.useSsl = true;
    h.connection.authentication = Wsman::AuthenticationMechanism::Kerberos;
    h.connection.userName = Wsman::UserName::parse(u"CONTOSO\\admin").value();
    h.connection.configurationName = u"JEA"_s;
    h.sessionOption.operationTimeoutMs = 60000;
    h.sessionOption.skipCNCheck = true;
    h.sessionOption.maximumReceivedObjectSize = std::nullopt;
    h.sessionOption.applicationArguments.append({u"Team"_s, u"Ops"_s});
    h.culture = u"de-DE"_s;
    h.rememberPassword = true;
    h.enableNetworkAccess = true;
    return h;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

TEST(SavedHostStore, RoundTripsEveryFieldAndNormalisesTheFolder)
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"sub/hosts.json"_s);
    SavedHost h = sampleHost();
    {
        SavedHostStore store(file);
        ASSERT_TRUE(store.load());
        EXPECT_FALSE(store.add(h).has_value());
        EXPECT_FALSE(h.id.isEmpty());
        EXPECT_EQ(h.folder, u"Servers/Lab"_s);
    }
    SavedHostStore reread(file);
    ASSERT_TRUE(reread.load()) << reread.loadProblem().toStdString();
    ASSERT_EQ(reread.hosts().size(), 1);
    const SavedHost &r = reread.hosts().first();
    EXPECT_EQ(r.id, h.id);
    EXPECT_EQ(r.path(), u"Servers/Lab/Web 1"_s);
    EXPECT_EQ(r.connection.computerName, h.connection.computerName);
    EXPECT_EQ(r.connection.port, 5986);
    EXPECT_EQ(r.connection.useSsl, true);
    EXPECT_EQ(r.connection.authentication, Wsman::AuthenticationMechanism::Kerberos);
    EXPECT_EQ(r.connection.userName, h.connection.userName);
    EXPECT_EQ(r.connection.configurationName, u"JEA"_s);
    EXPECT_EQ(r.sessionOption, h.sessionOption);
    EXPECT_EQ(r.culture, std::optional<QString>(u"de-DE"_s));
    EXPECT_FALSE(r.uiCulture.has_value());
    EXPECT_TRUE(r.rememberPassword);
    EXPECT_TRUE(r.enableNetworkAccess);
    EXPECT_EQ(reread.findByPath(u"servers/lab/web 1")->id, h.id);
    EXPECT_EQ(reread.findByPath(u"Web 1")->id, h.id);
    EXPECT_FALSE(reread.findByPath(u"Other/Web 1").has_value());
    EXPECT_EQ(reread.folders(), (QStringList{u"Servers"_s, u"Servers/Lab"_s}));
}

TEST(SavedHostStore, FileNeverContainsThePassword)
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"hosts.json"_s);
    SavedHostStore store(file);
    SavedHost h = sampleHost();
    ASSERT_FALSE(store.add(h).has_value());
    const QByteArray text = readAll(file);
    ASSERT_FALSE(text.isEmpty());
    EXPECT_FALSE(text.contains("password\"")) << text.constData();
    EXPECT_FALSE(text.contains("secret"));
    EXPECT_TRUE(text.contains("\"rememberPassword\": true"));
    EXPECT_TRUE(text.contains("CONTOSO\\\\admin"));
}

TEST(SavedHostStore, DuplicateMoveAndDelete)
{
    QTemporaryDir dir;
    SavedHostStore store(dir.filePath(u"hosts.json"_s));
    SavedHost h = sampleHost();
    ASSERT_FALSE(store.add(h).has_value());
    std::optional<SavedHost> copy = store.duplicate(h.id);
    ASSERT_TRUE(copy.has_value());
    EXPECT_NE(copy->id, h.id);
    EXPECT_EQ(copy->name, u"Web 1 (2)"_s);
    EXPECT_FALSE(copy->rememberPassword); // the keychain item belongs to the original
    EXPECT_EQ(store.duplicate(h.id)->name, u"Web 1 (3)"_s);
    EXPECT_FALSE(store.move(copy->id, u"Archive"_s).has_value());
    EXPECT_EQ(store.find(copy->id)->folder, u"Archive"_s);
    EXPECT_TRUE(store.nameTaken(u"Servers/Lab"_s, u"web 1"_s));
    EXPECT_FALSE(store.nameTaken(u"Servers/Lab"_s, u"web 1"_s, h.id));
    EXPECT_FALSE(store.remove(h.id).has_value());
    EXPECT_FALSE(store.find(h.id).has_value());
    EXPECT_TRUE(store.remove(h.id).has_value());
    SavedHostStore reread(store.filePath());
    ASSERT_TRUE(reread.load());
    EXPECT_EQ(reread.hosts().size(), 2);
}

TEST(SavedHostStore, BrokenFileIsBackedUpAndReported)
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"hosts.json"_s);
    const QByteArray broken = "{\"version\":1,\"hosts\":[{\"id\":\"a\",\"name\":\"kept\"}, oops";
    {
        QFile f(file);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(broken);
    }
    SavedHostStore store(file);
    EXPECT_FALSE(store.load());
    EXPECT_TRUE(store.loadProblem().contains(u"JSON"_s)) << store.loadProblem().toStdString();
    const QStringList backups = QDir(dir.path()).entryList({u"hosts.json.broken-*"_s}, QDir::Files);
    ASSERT_EQ(backups.size(), 1);
    EXPECT_EQ(readAll(dir.filePath(backups.first())), broken);
    // A new host may be saved; the user's text survives in the backup.
    SavedHost h = sampleHost();
    EXPECT_FALSE(store.add(h).has_value());
    EXPECT_EQ(readAll(dir.filePath(backups.first())), broken);
}

TEST(SavedHostStore, InvalidHostIsSkippedAndReported)
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"hosts.json"_s);
    {
        QFile f(file);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(R"({"version":1,"hosts":[{"id":"1","name":"good","computerName":"a"},
                   {"id":"2","name":"bad","authentication":"telepathy"}]})");
    }
    SavedHostStore store(file);
    EXPECT_FALSE(store.load());
    ASSERT_EQ(store.hosts().size(), 1);
    EXPECT_EQ(store.hosts().first().name, u"good"_s);
    EXPECT_TRUE(store.loadProblem().contains(u"telepathy"_s));
}

TEST(SavedHostStore, DefaultFileLivesInTheApplicationConfigFolder)
{
    EXPECT_TRUE(SavedHostStore::defaultFilePath().endsWith(u"/PSRemote/io.github.psremote.PSRemote/hosts.json"_s))
        << SavedHostStore::defaultFilePath().toStdString();
    EXPECT_TRUE(SavedHostStore::defaultFilePath().startsWith(qEnvironmentVariable("XDG_CONFIG_HOME")));
}
