#include "ReplayEngine.h"

#include "Transcript.h"

#include <QRegularExpression>

using namespace Qt::Literals::StringLiterals;

namespace TestServer {

namespace {

// MS-PSRP 2.2.4: fragment header = ObjectId 8, FragmentId 8, flags 1, BlobLength 4 (big endian).
constexpr qsizetype FragmentHeader = 21;
// MS-PSRP 2.2.1: message = Destination 4, MessageType 4, RPID 16, PID 16, data.
constexpr qsizetype RpidOffset = 8;
constexpr qsizetype PidOffset = 24;
constexpr qsizetype GuidBytes = 16;

quint32 blobLength(const QByteArray &bytes, qsizetype at)
{
    const auto *p = reinterpret_cast<const uchar *>(bytes.constData() + at);
    return (quint32(p[0]) << 24) | (quint32(p[1]) << 16) | (quint32(p[2]) << 8) | quint32(p[3]);
}

// The identifier bytes at `offset` of the first message in `fragments` (empty if too short).
QByteArray firstMessageGuid(const QByteArray &fragments, qsizetype offset)
{
    if (fragments.size() < FragmentHeader + offset + GuidBytes || !(fragments.at(16) & 0x1))
        return {};
    return fragments.mid(FragmentHeader + offset, GuidBytes);
}

} // namespace

QString ReplayEngine::key(const Wsman::ServerRequest &request)
{
    QString target = request.commandId;
    if (target.isEmpty() && request.streams.size() == 1)
        target = request.streams.first().commandId;
    return Wsman::actionName(request.action) + u'|' + request.shellId.toUpper() + u'|' + target.toUpper();
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
        auto request = Wsman::parseServerRequest(exchange.request.toUtf8());
        if (!request) {
            if (error)
                *error = u"%1 line %2: %3"_s.arg(path).arg(exchange.line).arg(request.error().detail);
            return false;
        }
        if (request->action == Wsman::Action::Create && m_shellId.isEmpty()) {
            m_shellId = request->shellId.toUpper();
            m_recordedRpid = firstMessageGuid(request->creationXml, RpidOffset);
        }
        if (request->action == Wsman::Action::Command && !request->commandId.isEmpty()) {
            m_commandIds.append(request->commandId.toUpper());
            m_commandPids.append(firstMessageGuid(request->arguments, PidOffset));
        }
        m_byKey[key(*request)].append(m_exchanges.size());
        m_exchanges.append(Exchange{std::move(request.value()), exchange.response.toUtf8(), false});
    }
    if (m_exchanges.isEmpty()) {
        if (error)
            *error = path + u": no exchanges"_s;
        return false;
    }
    return true;
}

Wsman::ServerRequest ReplayEngine::toRecorded(const Wsman::ServerRequest &request)
{
    Wsman::ServerRequest out = request;
    if (request.action == Wsman::Action::Create && m_clientShellId.isEmpty()) {
        m_clientShellId = request.shellId.toUpper();
        m_clientRpid = firstMessageGuid(request.creationXml, RpidOffset);
    }
    if (!m_clientShellId.isEmpty() && request.shellId.toUpper() == m_clientShellId)
        out.shellId = m_shellId;
    if (request.action == Wsman::Action::Command && !request.commandId.isEmpty()
        && !m_commandToRecorded.contains(request.commandId.toUpper())) {
        const qsizetype index = m_commandToRecorded.size();
        if (index < m_commandIds.size()) {
            const QString recorded = m_commandIds.at(index);
            m_commandToRecorded.insert(request.commandId.toUpper(), recorded);
            m_commandToClient.insert(recorded, request.commandId);
            const QByteArray recordedPid = m_commandPids.at(index);
            const QByteArray clientPid = firstMessageGuid(request.arguments, PidOffset);
            if (!recordedPid.isEmpty() && !clientPid.isEmpty())
                m_pidToClient.insert(recordedPid, clientPid);
        }
    }
    auto mapCommand = [this](QString &id) {
        if (const auto it = m_commandToRecorded.constFind(id.toUpper()); it != m_commandToRecorded.cend())
            id = *it;
    };
    mapCommand(out.commandId);
    for (auto &stream : out.streams)
        mapCommand(stream.commandId);
    return out;
}

QByteArray ReplayEngine::rewriteFragments(const QByteArray &fragments) const
{
    QByteArray out = fragments;
    qsizetype at = 0;
    while (at + FragmentHeader <= out.size()) {
        const quint32 length = blobLength(out, at + 17);
        if (length > quint32(out.size() - at - FragmentHeader))
            break; // truncated: leave the rest as recorded
        const bool start = out.at(at + 16) & 0x1;
        if (start && length >= PidOffset + GuidBytes) {
            const qsizetype rpid = at + FragmentHeader + RpidOffset;
            if (!m_clientRpid.isEmpty() && out.mid(rpid, GuidBytes) == m_recordedRpid)
                out.replace(rpid, GuidBytes, m_clientRpid);
            const qsizetype pid = at + FragmentHeader + PidOffset;
            if (const auto it = m_pidToClient.constFind(out.mid(pid, GuidBytes)); it != m_pidToClient.cend())
                out.replace(pid, GuidBytes, *it);
        }
        at += FragmentHeader + length;
    }
    return out;
}

QByteArray ReplayEngine::toClient(QByteArray response) const
{
    QString xml = QString::fromUtf8(response);
    if (!m_clientShellId.isEmpty() && !m_shellId.isEmpty())
        xml.replace(m_shellId, m_clientShellId, Qt::CaseInsensitive);
    for (auto it = m_commandToClient.cbegin(); it != m_commandToClient.cend(); ++it)
        xml.replace(it.key(), it.value(), Qt::CaseInsensitive);
    // rsp:Stream (ReceiveResponse) and connectResponseXml payloads carry PSRP fragments.
    static const QRegularExpression payload(
        u"(<(?:[\\w.-]+:)?(?:Stream|connectResponseXml)\\b[^>]*>)([^<]+)(</)"_s);
    QString rewritten;
    qsizetype last = 0;
    auto matches = payload.globalMatch(xml);
    while (matches.hasNext()) {
        const auto m = matches.next();
        const QByteArray data = QByteArray::fromBase64(m.captured(2).trimmed().toLatin1());
        rewritten += QStringView(xml).mid(last, m.capturedStart(2) - last);
        rewritten += QString::fromLatin1(rewriteFragments(data).toBase64());
        last = m.capturedEnd(2);
    }
    rewritten += QStringView(xml).mid(last);
    return rewritten.toUtf8();
}

ReplayEngine::Reply ReplayEngine::answer(const Wsman::ServerRequest &clientRequest)
{
    Wsman::ServerRequest request = toRecorded(clientRequest);
    auto it = m_byKey.find(key(request));
    // Windows routes a Send by the PID inside the fragments: pypsrp sent host responses ("pr")
    // without CommandId, other clients send one; accept either form.
    if (request.action == Wsman::Action::Send && request.streams.size() == 1 && (it == m_byKey.end() || it->isEmpty())) {
        Wsman::ServerRequest other = request;
        other.streams.first().commandId = request.streams.first().commandId.isEmpty()
                                              ? (m_commandIds.size() == 1 ? m_commandIds.first() : QString())
                                              : QString();
        if (const auto alt = m_byKey.find(key(other)); alt != m_byKey.end() && !alt->isEmpty())
            it = alt;
    }
    if ((it == m_byKey.end() || it->isEmpty()) && request.action == Wsman::Action::Receive)
        return Reply{200, {}, false, true};
    // A client may pack the same input into more Send requests than the recording client did;
    // the recorded server's answers cannot depend on it, so an extra Send is simply accepted.
    if ((it == m_byKey.end() || it->isEmpty()) && request.action == Wsman::Action::Send)
        return Reply{200, Wsman::buildSendResponse(clientRequest), false};
    if (it == m_byKey.end() || it->isEmpty()) {
        QStringList expected;
        for (const auto &e : std::as_const(m_exchanges))
            if (!e.used) {
                expected.append(key(e.request));
                if (expected.size() == 3)
                    break;
            }
        const auto fault = endpointFault(FaultCodes::SchemaValidation, u"SchemaValidationError"_s,
                                         u"replay: no recorded response for "_s + key(request) + u"; next recorded: "_s
                                             + (expected.isEmpty() ? u"(none)"_s : expected.join(u", "_s)));
        return Reply{500, Wsman::buildFaultResponse(clientRequest.messageId, fault), false};
    }
    const qsizetype index = it->takeFirst();
    Exchange &exchange = m_exchanges[index];
    exchange.used = true;
    ++m_answered;
    if (exchange.response.isEmpty())
        return Reply{500, {}, true};
    QByteArray body = toClient(exchange.response);
    if (!exchange.request.messageId.isEmpty() && !clientRequest.messageId.isEmpty())
        body = QString::fromUtf8(body).replace(exchange.request.messageId, clientRequest.messageId, Qt::CaseInsensitive).toUtf8();
    const int status = Wsman::isFaultBody(body) ? 500 : 200;
    return Reply{status, body, false};
}

} // namespace TestServer
