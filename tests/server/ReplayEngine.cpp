#include "ReplayEngine.h"

#include "Transcript.h"

using namespace Qt::Literals::StringLiterals;

namespace TestServer {

QString ReplayEngine::key(const WsmanRequest &request)
{
    QString target = request.commandId;
    if (target.isEmpty() && request.streams.size() == 1)
        target = request.streams.first().commandId;
    return request.action + u'|' + request.shellId.toUpper() + u'|' + target.toUpper();
}

bool ReplayEngine::load(const QString &path, QString *error)
{
    QString why;
    const auto transcript = TestSupport::loadTranscript(path, &why);
    if (!transcript) {
        if (error)
            *error = path + u": "_s + why;
        return false;
    }
    for (const auto &exchange : transcript->exchanges) {
        QString parseError;
        auto request = parseRequest(exchange.request, &parseError);
        if (!request) {
            if (error)
                *error = u"%1 line %2: %3"_s.arg(path).arg(exchange.line).arg(parseError);
            return false;
        }
        if (request->action == Actions::Create && m_shellId.isEmpty())
            m_shellId = request->shellId.toUpper();
        if (request->action == Actions::Command && !request->commandId.isEmpty())
            m_commandIds.append(request->commandId.toUpper());
        m_byKey[key(*request)].append(m_exchanges.size());
        m_exchanges.append(Exchange{std::move(*request), exchange.response, false});
    }
    if (m_exchanges.isEmpty()) {
        if (error)
            *error = path + u": no exchanges"_s;
        return false;
    }
    return true;
}

ReplayEngine::Reply ReplayEngine::answer(const WsmanRequest &request)
{
    auto it = m_byKey.find(key(request));
    if (it == m_byKey.end() || it->isEmpty()) {
        QStringList expected;
        for (const auto &e : std::as_const(m_exchanges))
            if (!e.used) {
                expected.append(key(e.request));
                if (expected.size() == 3)
                    break;
            }
        return Reply{500,
                     faultResponse(request.messageId, FaultCodes::SchemaValidation, u"w:SchemaValidationError"_s,
                                   u"replay: no recorded response for "_s + key(request) + u"; next recorded: "_s
                                       + (expected.isEmpty() ? u"(none)"_s : expected.join(u", "_s))),
                     false};
    }
    const qsizetype index = it->takeFirst();
    Exchange &exchange = m_exchanges[index];
    exchange.used = true;
    ++m_answered;
    if (exchange.response.isEmpty())
        return Reply{500, {}, true};
    QString xml = exchange.response;
    if (!exchange.request.messageId.isEmpty() && !request.messageId.isEmpty())
        xml.replace(exchange.request.messageId, request.messageId, Qt::CaseInsensitive);
    const int status = xml.contains(u":Fault>"_s) ? 500 : 200;
    return Reply{status, xml, false};
}

} // namespace TestServer
