#pragma once

#include "cli/ConnectionOptions.h"

#include "session/SessionManager.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QTextStream>

#include <variant>

namespace Cli {

// `psremote-cli sessions` arguments: the connection options (a bare HOST is --computer-name) and
// the output format.
struct SessionsArguments {
    enum class Format { Table, Json };
    ConnectionOptions connection;
    Format format = Format::Table;
    bool help = false;
};

std::variant<SessionsArguments, UsageError> parseSessionsArguments(const QStringList &arguments);

QString sessionsHelp();

// The sessions as Get-PSSession -ComputerName shows them: one row per session under a header,
// columns as wide as their widest cell. Durations as TimeSpan text ("02:00:00", "1.04:00:00").
QString formatSessionsTable(const QList<Session::ServerSessionInfo> &sessions);
// A JSON array, one object per session (durations in milliseconds, absent when unknown).
QString formatSessionsJson(const QList<Session::ServerSessionInfo> &sessions);
// "hh:mm:ss", with "d." in front from one day on.
QString formatTimeSpan(qint64 milliseconds);

// `psremote-cli sessions ...`: lists the PowerShell sessions the server keeps for this user
// (WS-Management Enumerate over the shell resource). Returns the ExitCode as int, invoke's codes
// when the listing fails.
int runSessionsCommand(const QStringList &arguments, QTextStream &out, QTextStream &err);

} // namespace Cli
