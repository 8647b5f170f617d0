// psremote-cli as a user runs it: a real process, its stdout, stderr and exit code.
#include <QProcess>
#include <QRegularExpression>

#include <gtest/gtest.h>

namespace {

struct CliRun {
    int exitCode = -1;
    QString out;
    QString err;
};

CliRun runCli(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(PSREMOTE_CLI_PATH), args);
    p.closeWriteChannel();
    CliRun r;
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("psremote-cli did not finish");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace

TEST(Cli, VersionPrintsNameAndSemanticVersion)
{
    const CliRun r = runCli({QStringLiteral("--version")});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out, QStringLiteral("psremote-cli " PSREMOTE_VERSION "\n"));
    EXPECT_TRUE(QRegularExpression(QStringLiteral("^psremote-cli \\d+\\.\\d+\\.\\d+\\n$")).match(r.out).hasMatch());
    EXPECT_TRUE(r.err.isEmpty());
}

TEST(Cli, HelpListsCommandsAndExitCodes)
{
    const CliRun r = runCli({QStringLiteral("--help")});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_TRUE(r.out.contains(QStringLiteral("Usage: psremote-cli")));
    EXPECT_TRUE(r.out.contains(QStringLiteral("trace")));
    EXPECT_TRUE(r.out.contains(QStringLiteral("130 interrupted")));
}

TEST(Cli, NoArgumentsIsAUsageError)
{
    const CliRun r = runCli({});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_TRUE(r.out.isEmpty());
    EXPECT_TRUE(r.err.contains(QStringLiteral("--help")));
}

TEST(Cli, UnknownCommandIsAUsageErrorThatSaysWhatToTry)
{
    const CliRun r = runCli({QStringLiteral("frobnicate")});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_TRUE(r.err.contains(QStringLiteral("frobnicate")));
    EXPECT_TRUE(r.err.contains(QStringLiteral("--help")));
}

TEST(Cli, EveryCommandHasHelp)
{
    const CliRun r = runCli({QStringLiteral("trace"), QStringLiteral("--help")});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_TRUE(r.out.contains(QStringLiteral("--json")));
    EXPECT_TRUE(r.out.contains(QStringLiteral("--roundtrip")));
}
