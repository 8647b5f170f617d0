// The "Loopback demo" saved host of installer/run.sh (psremote --loopback-demo PORT): added
// when absent, never a second time, and no other saved host is touched.
#include "gui/CommandLine.h"
#include "gui/LoopbackDemo.h"
#include "gui/SavedHostStore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using Gui::SavedHost;

namespace {

SavedHost host(const QString &name, const QString &folder, const QString &computer)
{
    SavedHost h;
    h.name = name;
    h.folder = folder;
    h.connection.computerName = computer;
    h.connection.userName = Wsman::UserName::parse(u"CONTOSO\\alice").value();
    return h;
}

// Every saved host as its JSON object, by id.
QHash<QString, QJsonObject> hostsById(const Gui::SavedHostStore &store)
{
    QHash<QString, QJsonObject> byId;
    for (const SavedHost &h : store.hosts())
        byId.insert(h.id, h.toJson());
    return byId;
}

} // namespace

TEST(LoopbackDemo, AddedOnceAndOtherSavedHostsAreNeverTouched)
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"hosts.json"_s);
    QHash<QString, QJsonObject> before;
    {
        Gui::SavedHostStore store(file);
        SavedHost web = host(u"Web"_s, u"Prod"_s, u"web.contoso.com"_s);
        web.rememberPassword = true;
        web.sessionOption.operationTimeoutMs = 60000;
        SavedHost nested = host(u"Loopback demo"_s, u"Lab"_s, u"lab.contoso.com"_s); // same name, other folder
        SavedHost top = host(u"Top"_s, QString(), u"top.contoso.com"_s);
        for (SavedHost *h : {&web, &nested, &top})
            ASSERT_FALSE(store.add(*h).has_value());
        before = hostsById(store);
    }

    Gui::SavedHostStore store(file);
    ASSERT_TRUE(store.load());
    const Gui::LoopbackDemoSeed seed = Gui::ensureLoopbackDemoHost(store, 55985);
    EXPECT_TRUE(seed.added);
    EXPECT_FALSE(seed.error.has_value());
    ASSERT_EQ(store.hosts().size(), 4);
    const std::optional<SavedHost> demo = store.find(seed.id);
    ASSERT_TRUE(demo.has_value());
    EXPECT_EQ(demo->path(), u"Loopback demo"_s);
    EXPECT_EQ(demo->connection.computerName, std::optional<QString>(u"127.0.0.1"_s));
    EXPECT_EQ(demo->connection.port, std::optional<int>(55985));
    EXPECT_EQ(demo->connection.authentication, Wsman::AuthenticationMechanism::Basic);
    EXPECT_EQ(demo->connection.userName->toString(), u"demo"_s);
    EXPECT_TRUE(demo->sessionOption.noEncryption);
    EXPECT_FALSE(demo->rememberPassword);
    EXPECT_TRUE(demo->connection.resolve().ok());

    // The file, read back: the three others exactly as they were.
    Gui::SavedHostStore reread(file);
    ASSERT_TRUE(reread.load());
    QHash<QString, QJsonObject> after = hostsById(reread);
    ASSERT_TRUE(after.contains(seed.id));
    after.remove(seed.id);
    EXPECT_EQ(after, before);

    // Again (the next run, even on another port): nothing added, nothing changed; a demo host
    // the user edited stays as edited.
    SavedHost edited = *reread.find(seed.id);
    edited.connection.port = 6000;
    ASSERT_FALSE(reread.update(edited).has_value());
    const QHash<QString, QJsonObject> beforeSecond = hostsById(reread);
    const Gui::LoopbackDemoSeed second = Gui::ensureLoopbackDemoHost(reread, 55986);
    EXPECT_FALSE(second.added);
    EXPECT_EQ(second.id, seed.id);
    EXPECT_EQ(hostsById(reread), beforeSecond);
    Gui::SavedHostStore third(file);
    ASSERT_TRUE(third.load());
    EXPECT_EQ(hostsById(third), beforeSecond);
}

TEST(LoopbackDemo, CommandLineTakesThePortAndNothingElse)
{
    const Gui::CommandLine ok = Gui::CommandLine::parse({u"--loopback-demo"_s, u"55985"_s});
    EXPECT_EQ(ok.action, Gui::CommandLine::Action::Open);
    EXPECT_EQ(ok.loopbackDemoPort, 55985);
    for (const QStringList &bad : {QStringList{u"--loopback-demo"_s}, QStringList{u"--loopback-demo"_s, u"0"_s},
                                   QStringList{u"--loopback-demo"_s, u"70000"_s},
                                   QStringList{u"--loopback-demo"_s, u"1"_s, u"--saved-host"_s, u"x"_s},
                                   QStringList{u"--loopback-demo"_s, u"1"_s, u"server01"_s}})
        EXPECT_EQ(Gui::CommandLine::parse(bad).action, Gui::CommandLine::Action::Error) << bad.join(u' ').toStdString();
    EXPECT_TRUE(Gui::CommandLine::helpText().contains(u"--loopback-demo"_s));
}
