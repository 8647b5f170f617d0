#include "ShellTestSupport.h"

#include "gui/CommandLine.h"
#include "gui/SavedHostStore.h"

#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using Gui::CommandLine;

namespace {

struct ProcessRun {
    int exitCode = -1;
    QString out;
    QString err;
};

// Runs the real `psremote` with no display at all: no DISPLAY, WAYLAND_DISPLAY or
// QT_QPA_PLATFORM, settings in `home`.
ProcessRun runPsremote(const QStringList &arguments, const QString &home)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        env.remove(QString::fromLatin1(name));
    env.insert(u"XDG_CONFIG_HOME"_s, home + u"/config"_s);
    env.insert(u"XDG_DATA_HOME"_s, home + u"/data"_s);
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(PSREMOTE_BINARY), arguments);
    ProcessRun run;
    if (!process.waitForFinished(30000)) {
        process.kill();
        process.waitForFinished();
        ADD_FAILURE() << "psremote did not finish";
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromLocal8Bit(process.readAllStandardOutput());
    run.err = QString::fromLocal8Bit(process.readAllStandardError());
    return run;
}

} // namespace

TEST(PsremoteExecutable, VersionWithoutADisplay)
{
    QTemporaryDir home;
    const ProcessRun run = runPsremote({u"--version"_s}, home.path());
    EXPECT_EQ(run.exitCode, 0) << run.err.toStdString();
    EXPECT_EQ(run.out, u"psremote "_s + QStringLiteral(PSREMOTE_VERSION) + u'\n');
}

TEST(PsremoteExecutable, HelpListsTheConnectionOptions)
{
    QTemporaryDir home;
    const ProcessRun run = runPsremote({u"--help"_s}, home.path());
    EXPECT_EQ(run.exitCode, 0);
    EXPECT_TRUE(run.out.contains(u"--saved-host"_s));
    EXPECT_TRUE(run.out.contains(u"--authentication"_s));
}

TEST(PsremoteExecutable, UnknownSavedHostIsExitCode2)
{
    QTemporaryDir home;
    // A saved host exists, but not the one asked for.
    Gui::SavedHostStore store(home.path() + u"/config/PSRemote/io.github.psremote.PSRemote/hosts.json"_s);
    Gui::SavedHost h;
    h.name = u"Known"_s;
    h.connection.computerName = u"known.contoso.com"_s;
    ASSERT_FALSE(store.add(h).has_value());
    const ProcessRun run = runPsremote({u"--saved-host"_s, u"Lab/Nope"_s}, home.path());
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_TRUE(run.err.contains(u"no saved host 'Lab/Nope'"_s)) << run.err.toStdString();
    EXPECT_TRUE(run.err.contains(u"Known"_s));
    EXPECT_TRUE(run.out.isEmpty());
}

TEST(PsremoteExecutable, BadOptionIsExitCode2)
{
    QTemporaryDir home;
    const ProcessRun run = runPsremote({u"--port"_s, u"99999"_s, u"server"_s}, home.path());
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_TRUE(run.err.contains(u"--port"_s)) << run.err.toStdString();
}

TEST(CommandLine, ParsesConnectionOptionsSavedHostsAndQtOptions)
{
    CommandLine c = CommandLine::parse({u"-platform"_s, u"offscreen"_s, u"--credential"_s, u"alice"_s,
                                        u"--authentication"_s, u"basic"_s, u"--use-ssl"_s, u"web1"_s});
    ASSERT_EQ(c.action, CommandLine::Action::Open) << c.error.toStdString();
    ASSERT_TRUE(c.connection.has_value());
    EXPECT_EQ(c.connection->connection.computerName, std::optional<QString>(u"web1"_s));
    EXPECT_EQ(c.connection->connection.authentication, Wsman::AuthenticationMechanism::Basic);

    c = CommandLine::parse({u"--saved-host=Lab/Web"_s});
    EXPECT_EQ(c.action, CommandLine::Action::Open);
    EXPECT_EQ(c.savedHost, u"Lab/Web"_s);
    EXPECT_FALSE(c.connection.has_value());

    EXPECT_EQ(CommandLine::parse({u"--saved-host"_s}).action, CommandLine::Action::Error);
    EXPECT_EQ(CommandLine::parse({u"--saved-host"_s, u"a"_s, u"web1"_s}).action, CommandLine::Action::Error);
    EXPECT_EQ(CommandLine::parse({u"--frobnicate"_s}).action, CommandLine::Action::Error);
    EXPECT_EQ(CommandLine::parse({u"--password-stdin"_s, u"web1"_s}).action, CommandLine::Action::Error);
    EXPECT_EQ(CommandLine::parse({}).action, CommandLine::Action::Open);
    EXPECT_EQ(CommandLine::parse({u"web1"_s, u"--version"_s}).action, CommandLine::Action::Version);

    c = CommandLine::parse({u"--new-connection"_s});
    EXPECT_EQ(c.action, CommandLine::Action::Open);
    EXPECT_TRUE(c.newConnection);
    EXPECT_FALSE(CommandLine::parse({}).newConnection);
    EXPECT_EQ(CommandLine::parse({u"--new-connection"_s, u"web1"_s}).action, CommandLine::Action::Error);
}
