#include "cli/SessionsCommand.h"

#include "cli/CliApp.h"
#include "cli/CommandLine.h"
#include "cli/ConnectionSetup.h"
#include "cli/SignalPipe.h"

#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSocketNotifier>

#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

QString optionalSpan(const std::optional<qint64> &ms)
{
    return ms ? formatTimeSpan(*ms) : QString();
}

// Get-PSSession -ConfigurationName: only an explicit --configuration-name narrows the list.
QList<Session::ServerSessionInfo> matching(const QList<Session::ServerSessionInfo> &sessions,
                                           const QString &configurationName)
{
    if (configurationName.isEmpty())
        return sessions;
    QList<Session::ServerSessionInfo> kept;
    for (const Session::ServerSessionInfo &s : sessions) {
        if (s.configurationName.compare(configurationName, Qt::CaseInsensitive) == 0)
            kept.append(s);
    }
    return kept;
}

} // namespace

QString formatTimeSpan(qint64 milliseconds)
{
    const qint64 seconds = qMax<qint64>(0, milliseconds) / 1000;
    const qint64 days = seconds / 86400;
    QString text = u"%1:%2:%3"_s.arg((seconds / 3600) % 24, 2, 10, QLatin1Char('0'))
                       .arg((seconds / 60) % 60, 2, 10, QLatin1Char('0'))
                       .arg(seconds % 60, 2, 10, QLatin1Char('0'));
    if (days > 0)
        text.prepend(QString::number(days) + u'.');
    return text;
}

QString formatSessionsTable(const QList<Session::ServerSessionInfo> &sessions)
{
    const QStringList header{u"InstanceId"_s, u"Name"_s,        u"ConfigurationName"_s,
                             u"State"_s,      u"Owner"_s,       u"ClientIP"_s,
                             u"IdleTimeout"_s, u"ShellRunTime"_s};
    QList<QStringList> rows;
    for (const Session::ServerSessionInfo &s : sessions)
        rows.append(QStringList{s.instanceId.toString(QUuid::WithoutBraces), s.name,
                                s.configurationName, s.state, s.owner, s.clientIp,
                                optionalSpan(s.idleTimeoutMs), optionalSpan(s.shellRunTimeMs)});
    QList<qsizetype> widths;
    for (const QString &h : header)
        widths.append(h.size());
    for (const QStringList &row : rows) {
        for (qsizetype c = 0; c < row.size(); ++c)
            widths[c] = qMax(widths[c], row.at(c).size());
    }
    const auto line = [&widths](const QStringList &cells) -> QString {
        QString text;
        for (qsizetype c = 0; c < cells.size(); ++c)
            text += c + 1 < cells.size() ? cells.at(c).leftJustified(widths[c] + 1) : cells.at(c);
        while (text.endsWith(u' '))
            text.chop(1);
        return text + u'\n';
    };
    QStringList rule;
    for (const QString &h : header)
        rule.append(QString(h.size(), u'-'));
    QString text = line(header) + line(rule);
    for (const QStringList &row : rows)
        text += line(row);
    return text;
}

QString formatSessionsJson(const QList<Session::ServerSessionInfo> &sessions)
{
    QJsonArray array;
    for (const Session::ServerSessionInfo &s : sessions) {
        QJsonObject o;
        o.insert(u"instanceId"_s, s.instanceId.toString(QUuid::WithoutBraces));
        o.insert(u"name"_s, s.name);
        o.insert(u"configurationName"_s, s.configurationName);
        o.insert(u"resourceUri"_s, s.resourceUri);
        o.insert(u"state"_s, s.state);
        o.insert(u"owner"_s, s.owner);
        o.insert(u"clientIp"_s, s.clientIp);
        if (s.idleTimeoutMs)
            o.insert(u"idleTimeoutMs"_s, double(*s.idleTimeoutMs));
        if (s.shellRunTimeMs)
            o.insert(u"shellRunTimeMs"_s, double(*s.shellRunTimeMs));
        if (s.shellInactivityMs)
            o.insert(u"shellInactivityMs"_s, double(*s.shellInactivityMs));
        array.append(o);
    }
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Indented));
}

QString sessionsHelp()
{
    return u"Usage: psremote-cli sessions [connection options] HOST\n"
           "\n"
           "Lists the PowerShell sessions the server keeps for this user (Get-PSSession\n"
           "-ComputerName; WS-Management Enumerate over the shell resource): InstanceId, Name,\n"
           "ConfigurationName, State, Owner, ClientIP, IdleTimeout, ShellRunTime. A Disconnected\n"
           "one can be entered with `psremote-cli enter HOST --instance-id GUID` and the same\n"
           "connection options.\n"
           "\n"
           "  HOST                        The computer (same as --computer-name).\n"
           "  --configuration-name NAME   Only the sessions of this configuration (default:\n"
           "                              all of them).\n"
           "  --format table|json         Output format (default table; json: an array of\n"
           "                              objects, durations in milliseconds).\n"
           "  --help, -h                  Print this help and exit.\n"
           "\n"_s +
           ConnectionOptions::helpText() +
           u"\n"
           "Exit codes: 0 listed (also when there are none), 2 usage error, 3 cannot connect,\n"
           "4 TLS failure, 5 authentication failed or insecure choice refused, 6 WS-Management\n"
           "fault or protocol error, 130 interrupted (Ctrl+C).\n"_s;
}

std::variant<SessionsArguments, UsageError> parseSessionsArguments(const QStringList &arguments)
{
    SessionsArguments result;
    auto own = [&result](const QStringList &list, qsizetype &i, UsageError &error) {
        const QString name = optionName(list.at(i));
        if (name != u"--format")
            return ConnectionOptions::Consumed::No;
        const std::optional<QString> value = takeOptionValue(list, i);
        if (!value) {
            error = UsageError{name, u"--format needs a value: table or json"_s};
            return ConnectionOptions::Consumed::Error;
        }
        if (value->compare(u"table"_s, Qt::CaseInsensitive) == 0) {
            result.format = SessionsArguments::Format::Table;
        } else if (value->compare(u"json"_s, Qt::CaseInsensitive) == 0) {
            result.format = SessionsArguments::Format::Json;
        } else {
            error = UsageError{name, u"--format: '%1' is neither table nor json"_s.arg(*value)};
            return ConnectionOptions::Consumed::Error;
        }
        return ConnectionOptions::Consumed::Yes;
    };
    if (auto e = parseCommandArguments(u"sessions"_s, arguments, result.connection, result.help, own))
        return *e;
    return result;
}

int runSessionsCommand(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    auto started = startCommand(u"sessions"_s, parseSessionsArguments(arguments), &sessionsHelp, out, err);
    if (const int *code = std::get_if<int>(&started))
        return *code;
    SessionsArguments args = std::get<SessionsArguments>(std::move(started));

    QFile stdinFile;
    if (args.connection.passwordStdin && !stdinFile.open(stdin, QIODevice::ReadOnly)) {
        err << "psremote-cli sessions: cannot read stdin\n";
        return int(ExitCode::Usage);
    }
    ConnectionSetup setup(u"sessions"_s, args.connection, err);
    if (const std::optional<int> refused = setup.prepare(&stdinFile)) {
        err.flush();
        return *refused;
    }
    stdinFile.close();

    const QString host = setup.target().host;
    QList<Session::ServerSessionInfo> listed;
    const int code = setup.run([&](const Wsman::ClientOptions &options) {
        // Shared with the callback, which may come after an interrupted run returned.
        struct Listing {
            std::optional<Session::ServerSessionList> result;
            QPointer<QEventLoop> loop;
        };
        auto listing = std::make_shared<Listing>();
        QEventLoop loop;
        listing->loop = &loop;
        SignalPipe signalPipe;
        if (signalPipe.notifier())
            QObject::connect(signalPipe.notifier(), &QSocketNotifier::activated, &loop, [&] {
                if (SignalPipe::take().isEmpty())
                    return;
                loop.quit();
            });
        Session::SessionManager::listServerSessions(
            options, [listing](const Session::ServerSessionList &r) {
                listing->result = r;
                if (listing->loop)
                    listing->loop->quit();
            });
        if (!listing->result)
            loop.exec();
        AttemptOutcome outcome;
        if (!listing->result) {
            err << setup.prefix() << "interrupted\n";
            outcome.exitCode = int(ExitCode::Interrupted);
            return outcome;
        }
        const std::optional<Session::ServerSessionList> &result = listing->result;
        if (!result->error) {
            outcome.opened = true;
            listed = result->sessions;
            return outcome;
        }
        const Wsman::ClientError &error = *result->error;
        if (isCertificateTrustFailure(error)) {
            outcome.tlsFailure = error.transport; // explained by ConnectionSetup
            outcome.exitCode = int(ExitCode::Tls);
            return outcome;
        }
        const Failure f = describeClientError(error, setup.failureContext());
        err << setup.prefix() << f.sentence << '\n';
        outcome.exitCode = int(f.code);
        return outcome;
    });
    err.flush();
    if (code != int(ExitCode::Success))
        return code;

    const QList<Session::ServerSessionInfo> shown =
        matching(listed, args.connection.connection.configurationName);
    if (args.format == SessionsArguments::Format::Json) {
        out << formatSessionsJson(shown);
        out.flush();
        return int(ExitCode::Success);
    }
    if (shown.isEmpty()) {
        out << "No PowerShell sessions on " << host << " for this user";
        if (!args.connection.connection.configurationName.isEmpty())
            out << " with configuration " << args.connection.connection.configurationName;
        out << ".\n";
        out.flush();
        return int(ExitCode::Success);
    }
    out << formatSessionsTable(shown);
    const Session::ServerSessionInfo *disconnected = nullptr;
    for (const Session::ServerSessionInfo &s : shown) {
        if (s.state.compare(u"Disconnected"_s, Qt::CaseInsensitive) == 0) {
            disconnected = &s;
            break;
        }
    }
    if (disconnected)
        out << "\nEnter a disconnected session with the same connection options:\n"
            << "  psremote-cli enter " << host << " --instance-id "
            << disconnected->instanceId.toString(QUuid::WithoutBraces) << '\n';
    out.flush();
    return int(ExitCode::Success);
}

} // namespace Cli
