#include "cli/TraceCommand.h"

#include "psrp/Clixml.h"
#include "wsman/TraceDecoder.h"

#include <QFile>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

namespace {

constexpr int UsageExit = 2;
constexpr int MalformedExit = 1;

struct Options {
    bool json = false;
    bool roundtrip = false;
    QString file;
};

// Appends `text` as a JSON string literal (RFC 8259 escaping; non-ASCII stays as is).
void appendJsonString(QString &out, QStringView text)
{
    out += u'"';
    qsizetype plainStart = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        if (c >= 0x20 && c != u'"' && c != u'\\')
            continue;
        out += text.sliced(plainStart, i - plainStart);
        plainStart = i + 1;
        switch (c) {
        case u'"': out += u"\\\""; break;
        case u'\\': out += u"\\\\"; break;
        case u'\n': out += u"\\n"; break;
        case u'\r': out += u"\\r"; break;
        case u'\t': out += u"\\t"; break;
        case u'\b': out += u"\\b"; break;
        case u'\f': out += u"\\f"; break;
        default: out += u"\\u%1"_s.arg(int(c), 4, 16, QChar(u'0')); break;
        }
    }
    out += text.sliced(plainStart);
    out += u'"';
}

void appendJsonStringOrNull(QString &out, const QString &text)
{
    if (text.isEmpty())
        out += u"null";
    else
        appendJsonString(out, text);
}

QString guidText(const QUuid &id)
{
    return id.toString(QUuid::WithoutBraces);
}

// One compact JSON object per message, keys in the documented order.
QString jsonLine(const Wsman::TraceMessage &m, const QString *roundtrip)
{
    QString line;
    line.reserve(160 + m.message.data.size() * (roundtrip ? 2 : 1));
    line += u"{\"direction\":";
    appendJsonString(line, Wsman::legDirectionName(m.direction));
    line += u",\"action\":";
    appendJsonString(line, m.action);
    line += u",\"shellId\":";
    appendJsonStringOrNull(line, m.shellId);
    line += u",\"commandId\":";
    appendJsonStringOrNull(line, m.commandId);
    line += u",\"stream\":";
    appendJsonStringOrNull(line, m.stream);
    line += u",\"objectId\":" + QString::number(m.objectId);
    line += u",\"destination\":";
    line += m.message.destination == Psrp::Destination::Client ? u"\"Client\"" : u"\"Server\"";
    line += u",\"messageType\":";
    appendJsonString(line, Psrp::messageTypeName(m.message.type));
    line += u",\"rpid\":\"" + guidText(m.message.runspacePoolId) + u'"';
    line += u",\"pid\":\"" + guidText(m.message.pipelineId) + u'"';
    line += u",\"clixml\":";
    appendJsonString(line, QString::fromUtf8(m.message.data));
    if (roundtrip) {
        line += u",\"roundtrip\":";
        appendJsonString(line, *roundtrip);
    }
    line += u"}\n";
    return line;
}

QString dashIfEmpty(const QString &text)
{
    return text.isEmpty() ? u"-"_s : text;
}

QString summaryLine(const Wsman::TraceMessage &m)
{
    return u"%1: %2 %3 shell=%4 command=%5 stream=%6 #%7 -> %8 %9 (%10 bytes)\n"_s
        .arg(QString::number(m.line), Wsman::legDirectionName(m.direction), m.action,
             dashIfEmpty(m.shellId), dashIfEmpty(m.commandId), dashIfEmpty(m.stream),
             QString::number(m.objectId),
             m.message.destination == Psrp::Destination::Client ? u"Client"_s : u"Server"_s,
             Psrp::messageTypeName(m.message.type))
        .arg(m.message.data.size());
}

int usageError(QTextStream &err, const QString &what)
{
    err << "psremote-cli trace: " << what << ". Try `psremote-cli trace --help`.\n";
    return UsageExit;
}

int decode(const Options &options, QTextStream &out, QTextStream &err)
{
    QFile file(options.file);
    if (!file.open(QIODevice::ReadOnly))
        return usageError(err, u"cannot open '%1': %2"_s.arg(options.file, file.errorString()));

    int malformed = 0;
    auto report = [&](qint64 line, const QString &what) {
        err << options.file << ':' << line << ": " << what << '\n';
        ++malformed;
    };
    qint64 lineNumber = 0;
    auto onMessage = [&](const Wsman::TraceMessage &m) {
        if (!options.json) {
            out << summaryLine(m);
            return;
        }
        if (!options.roundtrip) {
            out << jsonLine(m, nullptr);
            return;
        }
        QString roundtrip;
        if (!m.message.data.isEmpty()) {
            Psrp::Result<Psrp::Value> value = Psrp::Clixml::deserialize(m.message.data);
            if (!value) {
                report(m.line, u"ObjectId %1: roundtrip: %2"_s.arg(m.objectId).arg(value.error().detail));
            } else {
                roundtrip = QString::fromUtf8(Psrp::Clixml::serialize(*value));
            }
        }
        out << jsonLine(m, &roundtrip);
    };
    auto onSkip = [&](const Wsman::SkippedExchange &skip) {
        if (!options.json)
            out << skip.line << ": skipped " << skip.action << " on " << skip.resourceUri << " (not PowerShell)\n";
    };
    Wsman::TraceDecoder decoder(onMessage, onSkip);
    while (!file.atEnd()) {
        QByteArray line = file.readLine();
        ++lineNumber;
        if (file.error() != QFileDevice::NoError) {
            report(lineNumber, u"read error: %1"_s.arg(file.errorString()));
            break;
        }
        while (line.endsWith('\n') || line.endsWith('\r'))
            line.chop(1);
        if (line.trimmed().isEmpty())
            continue;
        if (auto error = decoder.feedLine(line, lineNumber))
            report(lineNumber, *error);
        out.flush();
    }
    if (auto error = decoder.finish())
        report(lineNumber, *error);
    if (!options.json) {
        out << decoder.messageCount() << " PSRP messages in " << decoder.exchangeCount() << " exchanges; "
            << decoder.skippedCount() << " exchanges skipped (not PowerShell); " << malformed
            << " malformed legs\n";
    }
    out.flush();
    err.flush();
    return malformed > 0 ? MalformedExit : 0;
}

} // namespace

QString traceUsage()
{
    return u"Usage: psremote-cli trace decode [--json] [--roundtrip] FILE\n"
           "\n"
           "Decodes the PSRP messages in a WS-Management trace. FILE is JSON Lines, one leg per line:\n"
           "{\"direction\":\"request\"|\"response\",\"body\":\"<SOAP envelope>\"}; a response answers\n"
           "the request before it. Only exchanges on http://schemas.microsoft.com/powershell/...\n"
           "resources are decoded; the others are listed as skipped.\n"
           "\n"
           "Options:\n"
           "  --json       Print one JSON object per PSRP message (JSON Lines) and nothing else on\n"
           "               stdout: direction, action, shellId, commandId, stream, objectId,\n"
           "               destination, messageType, rpid, pid, clixml.\n"
           "  --roundtrip  With --json: add \"roundtrip\", the CLIXML deserialized and serialized\n"
           "               again by PSRemote.\n"
           "  --help, -h   Print this help and exit.\n"
           "\n"
           "Without --json a readable summary is printed. Problems go to stderr as FILE:LINE: what.\n"
           "Exit codes: 0 ok, 1 malformed trace leg(s), 2 usage error.\n"_s;
}

int runTraceCommand(const QStringList &args, QTextStream &out, QTextStream &err)
{
    if (args.contains(u"--help"_s) || args.contains(u"-h"_s)) {
        out << traceUsage();
        out.flush();
        return 0;
    }
    if (args.isEmpty())
        return usageError(err, u"missing subcommand (decode)"_s);
    if (args.first() != u"decode")
        return usageError(err, u"unknown subcommand '%1'"_s.arg(args.first()));
    Options options;
    bool onlyFiles = false;
    for (const QString &arg : args.mid(1)) {
        if (!onlyFiles && arg == u"--json") {
            options.json = true;
        } else if (!onlyFiles && arg == u"--roundtrip") {
            options.roundtrip = true;
        } else if (!onlyFiles && arg == u"--") {
            onlyFiles = true;
        } else if (!onlyFiles && arg.startsWith(u'-') && arg.size() > 1) {
            return usageError(err, u"unknown option '%1'"_s.arg(arg));
        } else if (options.file.isEmpty()) {
            options.file = arg;
        } else {
            return usageError(err, u"only one FILE may be given"_s);
        }
    }
    if (options.file.isEmpty())
        return usageError(err, u"missing FILE"_s);
    if (options.roundtrip && !options.json)
        return usageError(err, u"--roundtrip needs --json"_s);
    return decode(options, out, err);
}

} // namespace Cli
