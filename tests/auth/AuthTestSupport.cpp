#include "AuthTestSupport.h"

#include <QtEndian>

#include <gtest/gtest.h>

#include <cstdlib>

using namespace Qt::Literals::StringLiterals;
using namespace Auth;
using namespace Auth::Ntlm;

namespace AuthTest {

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text).replace(' ', QByteArray()));
}

const CryptoProvider &crypto()
{
    const Result<const CryptoProvider *> provider = CryptoProvider::shared();
    if (!provider) {
        ADD_FAILURE() << provider.error().detail.toStdString();
        std::abort();
    }
    return **provider;
}

QByteArray serverChallenge()
{
    return hex("0123456789abcdef");
}
QByteArray randomSessionKey()
{
    return QByteArray(16, '\x55');
}
QByteArray clientChallenge()
{
    return QByteArray(8, '\xaa');
}

QByteArray challengeMessage(const AvPairs &extraPairs, quint32 flags)
{
    AvPairs pairs{{AvId::MsvAvNbDomainName, utf16le(u"Domain")},
                  {AvId::MsvAvNbComputerName, utf16le(u"Server")}};
    pairs.append(extraPairs);
    const QByteArray targetInfo = serializeAvPairs(pairs);
    const QByteArray targetName = utf16le(u"Server");
    QByteArray out("NTLMSSP", 8);
    const auto u16 = [&](quint16 v) { out.append(char(v & 0xff)).append(char(v >> 8)); };
    const auto u32 = [&](quint32 v) {
        u16(quint16(v & 0xffff));
        u16(quint16(v >> 16));
    };
    u32(2);
    u16(quint16(targetName.size()));
    u16(quint16(targetName.size()));
    u32(56);
    u32(flags);
    out.append(serverChallenge());
    out.append(8, '\0');
    u16(quint16(targetInfo.size()));
    u16(quint16(targetInfo.size()));
    u32(quint32(56 + targetName.size()));
    out.append(hex("060070170000000f"));
    out.append(targetName);
    out.append(targetInfo);
    return out;
}

std::optional<TestNtlmServer::Authenticate>
TestNtlmServer::parseAuthenticate(const QByteArray &message)
{
    if (message.size() < 88 || !message.startsWith(QByteArray("NTLMSSP", 8)))
        return std::nullopt;
    const auto field = [&](qsizetype at, QByteArray &into) {
        const quint16 length = qFromLittleEndian<quint16>(message.constData() + at);
        const quint32 offset = qFromLittleEndian<quint32>(message.constData() + at + 4);
        if (qint64(offset) + length > message.size())
            return false;
        into = message.mid(offset, length);
        return true;
    };
    Authenticate a;
    if (!field(12, a.lm) || !field(20, a.nt) || !field(28, a.domain) || !field(36, a.user) ||
        !field(44, a.workstation) || !field(52, a.encryptedKey))
        return std::nullopt;
    a.flags = qFromLittleEndian<quint32>(message.constData() + 60);
    a.version = message.mid(64, 8);
    a.mic = message.mid(72, 16);
    return a;
}

QString TestNtlmServer::accept(const QByteArray &negotiate, const QByteArray &challenge,
                               const QByteArray &authenticate, const QByteArray &passwordUtf8)
{
    const std::optional<Authenticate> parsed = parseAuthenticate(authenticate);
    if (!parsed)
        return u"unparsable AUTHENTICATE"_s;
    fields = *parsed;
    if (fields.nt.size() < 16 + 28)
        return u"short NtChallengeResponse"_s;
    const QString user = QString::fromUtf16(
        reinterpret_cast<const char16_t *>(fields.user.constData()), fields.user.size() / 2);
    const QString domain = QString::fromUtf16(
        reinterpret_cast<const char16_t *>(fields.domain.constData()), fields.domain.size() / 2);
    const Result<QByteArray> key = ntowfV2(crypto(), passwordUtf8, user, domain);
    const QByteArray proof = fields.nt.first(16);
    const QByteArray temp = fields.nt.mid(16);
    const Result<QByteArray> expected =
        crypto().hmacMd5(*key, QByteArray(serverChallenge() + temp));
    if (*expected != proof)
        return u"NTProofStr does not verify (wrong password?)"_s;
    const Result<AvPairs> pairs = parseAvPairs(QByteArrayView(temp).sliced(28));
    if (!pairs)
        return u"client AV pairs malformed: "_s + pairs.error().detail;
    clientPairs = *pairs;
    const QByteArray keyExchangeKey = *crypto().hmacMd5(*key, proof);
    const NegotiateFlags flags = NegotiateFlags::fromInt(fields.flags);
    if (flags.testFlag(NegotiateFlag::KeyExchange)) {
        Result<Rc4> rc4 = crypto().rc4(keyExchangeKey);
        exportedSessionKey = *rc4->process(fields.encryptedKey);
    } else {
        exportedSessionKey = keyExchangeKey;
    }
    bool micPresent = false;
    for (const AvPair &pair : clientPairs) {
        if (pair.id == AvId::MsvAvFlags)
            micPresent = qFromLittleEndian<quint32>(pair.value.constData()) & MsvAvFlagMicPresent;
    }
    if (micPresent) {
        QByteArray zeroed = authenticate;
        zeroed.replace(72, 16, QByteArray(16, '\0'));
        const Result<QByteArray> mic =
            crypto().hmacMd5(exportedSessionKey, QByteArray(negotiate + challenge + zeroed));
        if (*mic != fields.mic)
            return u"MIC does not verify"_s;
    }
    Result<NtlmSecurity> context =
        NtlmSecurity::create(crypto(), exportedSessionKey, flags, Role::Server);
    if (!context)
        return context.error().detail;
    security.emplace(std::move(context).value());
    return {};
}

} // namespace AuthTest
