#include "cli/CommandLine.h"

using namespace Qt::Literals::StringLiterals;

namespace Cli {

QString optionName(const QString &argument)
{
    const qsizetype eq = argument.indexOf(u'=');
    return argument.startsWith(u"--") && eq > 0 ? argument.left(eq) : argument;
}

std::optional<QString> takeOptionValue(const QStringList &arguments, qsizetype &index)
{
    const QString &argument = arguments.at(index);
    const qsizetype eq = argument.indexOf(u'=');
    if (argument.startsWith(u"--") && eq > 0) {
        ++index;
        return argument.mid(eq + 1);
    }
    if (index + 1 >= arguments.size())
        return std::nullopt;
    index += 2;
    return arguments.at(index - 1);
}

std::optional<UsageError> parseCommandArguments(const QString &command, const QStringList &arguments,
                                                ConnectionOptions &connection, bool &help, const OwnOptionParser &own,
                                                const std::function<std::optional<UsageError>()> &check)
{
    for (qsizetype i = 0; i < arguments.size();) {
        const QString &argument = arguments.at(i);
        if (argument == u"--help" || argument == u"-h") {
            help = true;
            return std::nullopt;
        }
        UsageError error;
        switch (own(arguments, i, error)) {
        case ConnectionOptions::Consumed::Yes:
            continue;
        case ConnectionOptions::Consumed::Error:
            return error;
        case ConnectionOptions::Consumed::No:
            break;
        }
        switch (connection.consume(arguments, i, error)) {
        case ConnectionOptions::Consumed::Yes:
            continue;
        case ConnectionOptions::Consumed::Error:
            return error;
        case ConnectionOptions::Consumed::No:
            return UsageError{argument, u"unknown option '%1'; see `psremote-cli %2 --help`"_s.arg(
                                            optionName(argument), command)};
        }
    }
    if (help)
        return std::nullopt;
    if (check)
        if (auto e = check())
            return e;
    return connection.validate();
}

} // namespace Cli
