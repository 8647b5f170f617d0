#include "auth/CredSsp.h"

#include "auth/Der.h"

#include "auth/TlsMemory.h"

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <algorithm>
#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace Auth {

namespace CredSsp {

namespace {

constexpr quint8 TagInteger = 0x02;
constexpr quint8 TagOctetString = 0x04;
constexpr quint8 TagSequence = 0x30;

constexpr quint8 contextTag(int number)
{
    return quint8(0xa0 | number);
}

Error invalid(const QString &what)
{
    return makeError(ErrorCode::InvalidToken, u"CredSSP: "_s + what);
}

// X.690 8.3: minimal two's complement.
QByteArray integerContent(qint64 value)
{
    QByteArray bytes;
    for (int i = 7; i >= 0; --i)
        bytes.append(char((quint64(value) >> (i * 8)) & 0xff));
    while (bytes.size() > 1) {
        const auto first = quint8(bytes.at(0));
        const auto second = quint8(bytes.at(1));
        if ((first == 0x00 && second < 0x80) || (first == 0xff && second >= 0x80))
            bytes.remove(0, 1);
        else
            break;
    }
    return bytes;
}

// The inner TLV is wiped: it may hold the password (TSPasswordCreds).
QByteArray explicitField(int number, quint8 innerTag, QByteArrayView content)
{
    QByteArray inner = Der::tlv(innerTag, content);
    QByteArray out = Der::tlv(contextTag(number), inner);
    wipe(inner);
    return out;
}

struct Tlv {
    quint8 tag = 0;
    QByteArrayView content;
};

// Reads consecutive TLVs from a bounded view; never reads past its end.
class Reader {
public:
    explicit Reader(QByteArrayView data) : m_data(data) {}
    bool atEnd() const { return m_offset >= m_data.size(); }
    std::optional<quint8> peekTag() const
    {
        if (atEnd())
            return std::nullopt;
        return quint8(m_data.at(m_offset));
    }

    Result<Tlv> read(const QString &what)
    {
        const qsizetype remaining = m_data.size() - m_offset;
        if (remaining < 2)
            return invalid(what + u" is truncated"_s);
        Tlv out;
        out.tag = quint8(m_data.at(m_offset));
        if ((out.tag & 0x1f) == 0x1f)
            return invalid(what + u" uses a multi-byte tag"_s);
        const auto first = quint8(m_data.at(m_offset + 1));
        qsizetype header = 2;
        qsizetype length = 0;
        if (first < 0x80) {
            length = first;
        } else {
            const int count = first & 0x7f;
            if (count == 0)
                return invalid(what + u" uses an indefinite length"_s);
            if (count > 4)
                return invalid(what + u" has an oversized length"_s);
            if (remaining < 2 + count)
                return invalid(what + u" is truncated"_s);
            for (int i = 0; i < count; ++i)
                length = (length << 8) | quint8(m_data.at(m_offset + 2 + i));
            header += count;
        }
        if (length > remaining - header)
            return invalid(what + u" claims %1 bytes, %2 remain"_s.arg(length).arg(remaining - header));
        out.content = m_data.sliced(m_offset + header, length);
        m_offset += header + length;
        return out;
    }

    Result<QByteArrayView> expect(quint8 tag, const QString &what)
    {
        Result<Tlv> item = read(what);
        if (!item)
            return item.error();
        if (item->tag != tag)
            return invalid(what + u": tag 0x%1, expected 0x%2"_s.arg(uint(item->tag), 2, 16, QChar(u'0')).arg(uint(tag), 2, 16, QChar(u'0')));
        return item->content;
    }

private:
    QByteArrayView m_data;
    qsizetype m_offset = 0;
};

Result<qint64> decodeInteger(QByteArrayView content, const QString &what)
{
    if (content.isEmpty() || content.size() > 5)
        return invalid(what + u": INTEGER of %1 bytes"_s.arg(content.size()));
    if (content.size() > 1) {
        const auto first = quint8(content.at(0));
        const auto second = quint8(content.at(1));
        if ((first == 0x00 && second < 0x80) || (first == 0xff && second >= 0x80))
            return invalid(what + u": INTEGER not minimally encoded"_s);
    }
    qint64 value = (quint8(content.at(0)) & 0x80) ? -1 : 0;
    for (char byte : content)
        value = qint64(quint64(value) << 8) | quint8(byte);
    return value;
}

// [number] EXPLICIT <innerTag> inside a constructed context tag.
Result<QByteArrayView> readExplicit(Reader &reader, int number, quint8 innerTag, const QString &what)
{
    Result<QByteArrayView> outer = reader.expect(contextTag(number), what);
    if (!outer)
        return outer.error();
    Reader inner(*outer);
    Result<QByteArrayView> content = inner.expect(innerTag, what);
    if (!content)
        return content.error();
    if (!inner.atEnd())
        return invalid(what + u" has trailing bytes"_s);
    return content;
}

Result<QByteArrayView> readSequence(QByteArrayView der, const QString &what)
{
    if (der.size() > MaxTokenSize)
        return invalid(what + u" larger than %1 bytes"_s.arg(MaxTokenSize));
    Reader top(der);
    Result<QByteArrayView> body = top.expect(TagSequence, what);
    if (!body)
        return body.error();
    if (!top.atEnd())
        return invalid(what + u" has trailing bytes"_s);
    return body;
}

Result<QByteArray> bindingHash(QByteArrayView magic, QByteArrayView nonce, QByteArrayView key)
{
    if (nonce.size() != NonceSize)
        return makeError(ErrorCode::InvalidArgument, u"CredSSP: the nonce must be 32 bytes"_s);
    Result<const CryptoProvider *> crypto = CryptoProvider::shared();
    if (!crypto)
        return crypto.error();
    QByteArray input;
    input.reserve(magic.size() + 1 + nonce.size() + key.size());
    input.append(magic);
    input.append('\0');
    input.append(nonce);
    input.append(key);
    return (*crypto)->digest(DigestAlgorithm::Sha256, input);
}

struct StatusName {
    quint32 status;
    const char16_t *name;
    bool logonFailure;
};

constexpr StatusName StatusNames[] = {
    {0xC000006D, u"STATUS_LOGON_FAILURE (the user name or password is incorrect)", true},
    {0xC000006A, u"STATUS_WRONG_PASSWORD (the password is incorrect)", true},
    {0xC0000064, u"STATUS_NO_SUCH_USER (the account does not exist)", true},
    {0xC000006E, u"STATUS_ACCOUNT_RESTRICTION (account restrictions prevent this logon)", true},
    {0xC000006F, u"STATUS_INVALID_LOGON_HOURS (logon not allowed at this time)", true},
    {0xC0000070, u"STATUS_INVALID_WORKSTATION (logon not allowed from this computer)", true},
    {0xC0000071, u"STATUS_PASSWORD_EXPIRED (the password has expired)", true},
    {0xC0000072, u"STATUS_ACCOUNT_DISABLED (the account is disabled)", true},
    {0xC0000193, u"STATUS_ACCOUNT_EXPIRED (the account has expired)", true},
    {0xC0000224, u"STATUS_PASSWORD_MUST_CHANGE (the password must be changed first)", true},
    {0xC0000234, u"STATUS_ACCOUNT_LOCKED_OUT (the account is locked out)", true},
    {0xC000015B, u"STATUS_LOGON_TYPE_NOT_GRANTED (the user may not log on this way)", true},
    {0xC0000022, u"STATUS_ACCESS_DENIED (access denied)", true},
    {0x8009030C, u"SEC_E_LOGON_DENIED (the logon attempt failed)", true},
    {0xC000005E, u"STATUS_NO_LOGON_SERVERS (no logon server is available)", false},
    {0xC00000BB, u"STATUS_NOT_SUPPORTED (the request is not supported)", false},
    {0x80090302, u"SEC_E_UNSUPPORTED_FUNCTION (the function is not supported)", false},
    {0x80090308, u"SEC_E_INVALID_TOKEN (the token is invalid)", false},
    {0x80090322, u"SEC_E_WRONG_PRINCIPAL (the target principal name is incorrect)", false},
    {0x8009035E, u"SEC_E_DELEGATION_POLICY (policy does not allow delegating these credentials)", false},
};

const StatusName *findStatus(quint32 status)
{
    for (const StatusName &entry : StatusNames) {
        if (entry.status == status)
            return &entry;
    }
    return nullptr;
}

} // namespace

QByteArray encodeTsRequest(const TsRequest &request)
{
    QByteArray body = explicitField(0, TagInteger, integerContent(request.version));
    if (!request.negoTokens.isEmpty()) {
        QByteArray items;
        for (const QByteArray &token : request.negoTokens)
            items.append(Der::tlv(TagSequence, explicitField(0, TagOctetString, token)));
        body.append(Der::tlv(contextTag(1), Der::tlv(TagSequence, items)));
    }
    if (request.authInfo)
        body.append(explicitField(2, TagOctetString, *request.authInfo));
    if (request.pubKeyAuth)
        body.append(explicitField(3, TagOctetString, *request.pubKeyAuth));
    if (request.errorCode)
        body.append(explicitField(4, TagInteger, integerContent(qint32(*request.errorCode))));
    if (request.clientNonce)
        body.append(explicitField(5, TagOctetString, *request.clientNonce));
    return Der::tlv(TagSequence, body);
}

Result<TsRequest> decodeTsRequest(QByteArrayView der)
{
    Result<QByteArrayView> body = readSequence(der, u"TSRequest"_s);
    if (!body)
        return body.error();
    Reader reader(*body);
    TsRequest request;
    Result<QByteArrayView> version = readExplicit(reader, 0, TagInteger, u"TSRequest.version"_s);
    if (!version)
        return version.error();
    Result<qint64> versionValue = decodeInteger(*version, u"TSRequest.version"_s);
    if (!versionValue)
        return versionValue.error();
    if (*versionValue < 1 || *versionValue > 0xffff)
        return invalid(u"TSRequest.version %1 is out of range"_s.arg(*versionValue));
    request.version = int(*versionValue);

    int lastField = 0;
    while (!reader.atEnd()) {
        const quint8 tag = *reader.peekTag();
        const int number = tag - 0xa0;
        if (tag < 0xa1 || tag > 0xa5)
            return invalid(u"TSRequest has an unknown field tag 0x%1"_s.arg(uint(tag), 2, 16, QChar(u'0')));
        if (number <= lastField)
            return invalid(u"TSRequest field [%1] is out of order or repeated"_s.arg(number));
        lastField = number;
        if (number == 1) {
            Result<QByteArrayView> sequence = readExplicit(reader, 1, TagSequence, u"TSRequest.negoTokens"_s);
            if (!sequence)
                return sequence.error();
            Reader items(*sequence);
            while (!items.atEnd()) {
                if (request.negoTokens.size() >= MaxNegoTokens)
                    return invalid(u"TSRequest.negoTokens has more than %1 entries"_s.arg(MaxNegoTokens));
                Result<QByteArrayView> item = items.expect(TagSequence, u"NegoData entry"_s);
                if (!item)
                    return item.error();
                Reader entry(*item);
                Result<QByteArrayView> token = readExplicit(entry, 0, TagOctetString, u"NegoData.negoToken"_s);
                if (!token)
                    return token.error();
                if (!entry.atEnd())
                    return invalid(u"NegoData entry has trailing bytes"_s);
                request.negoTokens.append(token->toByteArray());
            }
        } else if (number == 4) {
            Result<QByteArrayView> code = readExplicit(reader, 4, TagInteger, u"TSRequest.errorCode"_s);
            if (!code)
                return code.error();
            Result<qint64> value = decodeInteger(*code, u"TSRequest.errorCode"_s);
            if (!value)
                return value.error();
            if (*value < -0x80000000LL || *value > 0xffffffffLL)
                return invalid(u"TSRequest.errorCode is out of range"_s);
            request.errorCode = quint32(*value);
        } else {
            Result<QByteArrayView> octets = readExplicit(reader, number, TagOctetString, u"TSRequest field [%1]"_s.arg(number));
            if (!octets)
                return octets.error();
            QByteArray value = octets->toByteArray();
            if (number == 2)
                request.authInfo = std::move(value);
            else if (number == 3)
                request.pubKeyAuth = std::move(value);
            else
                request.clientNonce = std::move(value);
        }
    }
    return request;
}

QByteArray encodeTsCredentials(const TsCredentials &credentials)
{
    QByteArray body = explicitField(0, TagInteger, integerContent(credentials.credType));
    body.append(explicitField(1, TagOctetString, credentials.credentials));
    QByteArray out = Der::tlv(TagSequence, body);
    wipe(body);
    return out;
}

Result<TsCredentials> decodeTsCredentials(QByteArrayView der)
{
    Result<QByteArrayView> body = readSequence(der, u"TSCredentials"_s);
    if (!body)
        return body.error();
    Reader reader(*body);
    Result<QByteArrayView> type = readExplicit(reader, 0, TagInteger, u"TSCredentials.credType"_s);
    if (!type)
        return type.error();
    Result<qint64> typeValue = decodeInteger(*type, u"TSCredentials.credType"_s);
    if (!typeValue)
        return typeValue.error();
    if (*typeValue < 0 || *typeValue > 0xffff)
        return invalid(u"TSCredentials.credType is out of range"_s);
    Result<QByteArrayView> credentials = readExplicit(reader, 1, TagOctetString, u"TSCredentials.credentials"_s);
    if (!credentials)
        return credentials.error();
    if (!reader.atEnd())
        return invalid(u"TSCredentials has trailing fields"_s);
    return TsCredentials{int(*typeValue), credentials->toByteArray()};
}

QByteArray encodeTsPasswordCreds(const TsPasswordCreds &creds)
{
    QByteArray body = explicitField(0, TagOctetString, creds.domainName);
    body.append(explicitField(1, TagOctetString, creds.userName));
    QByteArray password = explicitField(2, TagOctetString, creds.password);
    body.append(password);
    wipe(password);
    QByteArray out = Der::tlv(TagSequence, body);
    wipe(body);
    return out;
}

Result<TsPasswordCreds> decodeTsPasswordCreds(QByteArrayView der)
{
    Result<QByteArrayView> body = readSequence(der, u"TSPasswordCreds"_s);
    if (!body)
        return body.error();
    Reader reader(*body);
    TsPasswordCreds creds;
    QByteArray *fields[] = {&creds.domainName, &creds.userName, &creds.password};
    for (int i = 0; i < 3; ++i) {
        Result<QByteArrayView> value = readExplicit(reader, i, TagOctetString, u"TSPasswordCreds field [%1]"_s.arg(i));
        if (!value)
            return value.error();
        *fields[i] = value->toByteArray();
    }
    if (!reader.atEnd())
        return invalid(u"TSPasswordCreds has trailing fields"_s);
    return creds;
}

QByteArray utf16le(QStringView text)
{
    QByteArray out(text.size() * 2, Qt::Uninitialized);
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t unit = text.at(i).unicode();
        out[2 * i] = char(unit & 0xff);
        out[2 * i + 1] = char(unit >> 8);
    }
    return out;
}

Result<QString> fromUtf16le(QByteArrayView bytes)
{
    if (bytes.size() % 2 != 0)
        return invalid(u"a UTF-16LE string of odd length"_s);
    QString out(bytes.size() / 2, Qt::Uninitialized);
    for (qsizetype i = 0; i < out.size(); ++i)
        out[i] = QChar(char16_t(quint8(bytes.at(2 * i)) | (quint8(bytes.at(2 * i + 1)) << 8)));
    return out;
}

Result<QByteArray> clientToServerHash(QByteArrayView nonce, QByteArrayView subjectPublicKey)
{
    return bindingHash("CredSSP Client-To-Server Binding Hash", nonce, subjectPublicKey);
}

Result<QByteArray> serverToClientHash(QByteArrayView nonce, QByteArrayView subjectPublicKey)
{
    return bindingHash("CredSSP Server-To-Client Binding Hash", nonce, subjectPublicKey);
}

QByteArray incrementFirstByte(QByteArrayView subjectPublicKey)
{
    QByteArray out = subjectPublicKey.toByteArray();
    if (!out.isEmpty())
        out[0] = char(quint8(out.at(0)) + 1);
    return out;
}

Result<QByteArray> subjectPublicKey(QByteArrayView certificateDer)
{
    const auto *cursor = reinterpret_cast<const unsigned char *>(certificateDer.data());
    X509 *certificate = d2i_X509(nullptr, &cursor, long(certificateDer.size()));
    if (!certificate)
        return makeError(ErrorCode::InvalidArgument, u"CredSSP: the server certificate is not valid DER"_s);
    const unsigned char *key = nullptr;
    int keyLength = 0;
    X509_PUBKEY *publicKey = X509_get_X509_PUBKEY(certificate);
    const bool ok = publicKey && X509_PUBKEY_get0_param(nullptr, &key, &keyLength, nullptr, publicKey) == 1 && key && keyLength > 0;
    QByteArray out = ok ? QByteArray(reinterpret_cast<const char *>(key), keyLength) : QByteArray();
    X509_free(certificate);
    if (!ok)
        return makeError(ErrorCode::InvalidArgument, u"CredSSP: the server certificate has no usable public key"_s);
    return out;
}

QString ntStatusName(quint32 status)
{
    if (const StatusName *entry = findStatus(status))
        return QString::fromUtf16(entry->name);
    return u"an unrecognised status"_s;
}

Error errorForStatus(quint32 status)
{
    const StatusName *entry = findStatus(status);
    const ErrorCode code = entry && entry->logonFailure ? ErrorCode::CredentialsRejected : ErrorCode::InvalidToken;
    return makeError(code, u"CredSSP: the server reported 0x%1: %2"_s.arg(uint(status), 8, 16, QChar(u'0')).arg(ntStatusName(status)));
}

} // namespace CredSsp

CredSspClient::CredSspClient(CredSspClientOptions options, SpnegoClient inner)
    : m_options(std::move(options))
    , m_inner(std::move(inner))
{
}

CredSspClient::CredSspClient(CredSspClient &&) noexcept = default;
CredSspClient &CredSspClient::operator=(CredSspClient &&) noexcept = default;

CredSspClient::~CredSspClient()
{
    wipeSecrets();
}

Result<CredSspClient> CredSspClient::create(CredSspClientOptions options, SpnegoClient inner, QByteArrayView passwordUtf8)
{
    if (options.userName.isEmpty())
        return makeError(ErrorCode::InvalidArgument, u"CredSSP: no user name"_s);
    if (options.minimumVersion < 2 || options.minimumVersion > CredSsp::HighestVersion)
        return makeError(ErrorCode::InvalidArgument,
                         u"CredSSP: minimum version %1 is not between 2 and %2"_s.arg(options.minimumVersion).arg(CredSsp::HighestVersion));
    Result<std::unique_ptr<TlsMemoryClient>> tls = TlsMemoryClient::create();
    if (!tls)
        return tls.error();
    CredSspClient client(std::move(options), std::move(inner));
    client.m_tls = std::move(tls).value();
    QString password = QString::fromUtf8(passwordUtf8);
    client.m_passwordUtf16 = CredSsp::utf16le(password);
    if (!password.isEmpty())
        OPENSSL_cleanse(password.data(), size_t(password.size()) * sizeof(QChar));
    return client;
}

void CredSspClient::wipeSecrets()
{
    wipe(m_passwordUtf16);
}

QString CredSspClient::tlsProtocol() const
{
    return m_tls && m_tls->handshakeComplete() ? m_tls->protocolName() : QString();
}

QString CredSspClient::tlsCipher() const
{
    return m_tls && m_tls->handshakeComplete() ? m_tls->cipherName() : QString();
}

Result<QByteArray> CredSspClient::step(QByteArrayView inputToken)
{
    if (m_state == State::Failed)
        return makeError(ErrorCode::InvalidState, u"CredSSP: the context already failed"_s);
    if (m_state == State::Complete)
        return makeError(ErrorCode::InvalidState, u"CredSSP: the context is already complete"_s);
    Result<QByteArray> out = advance(inputToken);
    if (!out) {
        m_state = State::Failed;
        wipeSecrets();
    }
    return out;
}

Result<QByteArray> CredSspClient::advance(QByteArrayView inputToken)
{
    switch (m_state) {
    case State::Initial: {
        if (!inputToken.isEmpty())
            return makeError(ErrorCode::InvalidState, u"CredSSP: the first step takes no input"_s);
        Result<QByteArray> hello = m_tls->handshake({});
        if (!hello)
            return hello.error();
        m_state = State::Handshake;
        return hello;
    }
    case State::Handshake: {
        if (inputToken.isEmpty())
            return makeError(ErrorCode::InvalidToken, u"CredSSP: the server sent no CredSSP token"_s);
        Result<QByteArray> out = m_tls->handshake(inputToken);
        if (!out)
            return out.error();
        if (!m_tls->handshakeComplete()) {
            if (out->isEmpty())
                return makeError(ErrorCode::InvalidToken, u"CredSSP: the TLS handshake stalled (incomplete server records)"_s);
            return out;
        }
        Result<QByteArray> certificate = m_tls->peerCertificate();
        if (!certificate)
            return certificate.error();
        Result<QByteArray> key = CredSsp::subjectPublicKey(*certificate);
        if (!key)
            return key.error();
        m_serverKey = std::move(key).value();
        return startNegotiation(std::move(out).value());
    }
    case State::Negotiating: {
        Result<CredSsp::TsRequest> request = receiveRequest(inputToken);
        if (!request)
            return request.error();
        return negotiate(*request);
    }
    case State::AwaitingPubKeyAuth: {
        Result<CredSsp::TsRequest> request = receiveRequest(inputToken);
        if (!request)
            return request.error();
        return checkServerProof(*request);
    }
    case State::Complete:
    case State::Failed:
        break;
    }
    return makeError(ErrorCode::InvalidState, u"CredSSP: no step expected"_s);
}

Result<QByteArray> CredSspClient::startNegotiation(QByteArray pendingHandshake)
{
    Result<QByteArray> token = m_inner.step({});
    if (!token)
        return token.error();
    CredSsp::TsRequest request;
    request.negoTokens.append(std::move(token).value());
    Result<QByteArray> records = sendRequest(request);
    if (!records)
        return records.error();
    m_state = State::Negotiating;
    // TLS 1.3: the client Finished travels with the first TSRequest.
    pendingHandshake.append(*records);
    return pendingHandshake;
}

Result<QByteArray> CredSspClient::negotiate(const CredSsp::TsRequest &request)
{
    if (m_version == 0) {
        // MS-CSSP 3.1.5: both sides use the lower of the two versions.
        m_version = std::min(CredSsp::HighestVersion, request.version);
        if (m_version < m_options.minimumVersion)
            return makeError(ErrorCode::Unsupported,
                             u"CredSSP: the server speaks version %1, at least %2 is required"_s.arg(request.version).arg(m_options.minimumVersion));
    }
    if (request.negoTokens.isEmpty())
        return makeError(ErrorCode::InvalidToken, u"CredSSP: the server's TSRequest carries no negoToken"_s);
    Result<QByteArray> token = m_inner.step(request.negoTokens.first());
    if (!token)
        return token.error();
    SpnegoMechanism *mechanism = m_inner.mechanism();
    CredSsp::TsRequest reply;
    if (!token->isEmpty())
        reply.negoTokens.append(*token);
    if (!mechanism || !mechanism->isComplete()) {
        if (token->isEmpty())
            return makeError(ErrorCode::InvalidToken, u"CredSSP: the inner context has nothing to send but is not complete"_s);
        return sendRequest(reply);
    }

    // MS-CSSP 3.1.5: pubKeyAuth binds the TLS server key; with NTLM the last token rides along.
    QByteArray proof;
    if (m_version >= 5) {
        RandomSource random = m_options.random;
        if (!random) {
            Result<const CryptoProvider *> crypto = CryptoProvider::shared();
            if (!crypto)
                return crypto.error();
            random = (*crypto)->randomSource();
        }
        m_nonce = random(CredSsp::NonceSize);
        if (m_nonce.size() != CredSsp::NonceSize)
            return makeError(ErrorCode::CryptoFailure, u"CredSSP: no random nonce"_s);
        Result<QByteArray> hash = CredSsp::clientToServerHash(m_nonce, m_serverKey);
        if (!hash)
            return hash.error();
        proof = std::move(hash).value();
        reply.clientNonce = m_nonce;
    } else {
        proof = m_serverKey;
    }
    Result<QByteArray> wrapped = mechanism->wrap(proof);
    if (!wrapped)
        return wrapped.error();
    reply.pubKeyAuth = std::move(wrapped).value();
    Result<QByteArray> records = sendRequest(reply);
    if (records)
        m_state = State::AwaitingPubKeyAuth;
    return records;
}

Result<QByteArray> CredSspClient::expectedServerProof() const
{
    if (m_version >= 5)
        return CredSsp::serverToClientHash(m_nonce, m_serverKey);
    return CredSsp::incrementFirstByte(m_serverKey);
}

Result<QByteArray> CredSspClient::checkServerProof(const CredSsp::TsRequest &request)
{
    if (!request.negoTokens.isEmpty()) {
        // A final SPNEGO token (accept-completed, mechListMIC) before the proof is unwrapped.
        Result<QByteArray> token = m_inner.step(request.negoTokens.first());
        if (!token)
            return token.error();
        if (!token->isEmpty())
            return makeError(ErrorCode::InvalidToken, u"CredSSP: the inner context wants another round after pubKeyAuth"_s);
    }
    if (!request.pubKeyAuth)
        return makeError(ErrorCode::InvalidToken, u"CredSSP: the server's TSRequest carries no pubKeyAuth"_s);
    SpnegoMechanism *mechanism = m_inner.mechanism();
    if (!mechanism)
        return makeError(ErrorCode::InvalidState, u"CredSSP: no inner mechanism"_s);
    Result<QByteArray> proof = mechanism->unwrap(*request.pubKeyAuth);
    if (!proof)
        return makeError(proof.error().code, u"CredSSP: the server's pubKeyAuth does not unwrap: "_s + proof.error().detail);
    Result<QByteArray> expected = expectedServerProof();
    if (!expected)
        return expected.error();
    if (proof->size() != expected->size() || CRYPTO_memcmp(proof->constData(), expected->constData(), size_t(expected->size())) != 0)
        return makeError(ErrorCode::IntegrityFailure,
                         u"CredSSP: the server's pubKeyAuth does not match its TLS key (possible man in the middle)"_s);

    // MS-CSSP 3.1.5: authInfo = the wrapped TSCredentials with TSPasswordCreds.
    QString domain;
    QString user = m_options.userName;
    if (const qsizetype slash = user.indexOf(u'\\'); slash >= 0) {
        domain = user.left(slash);
        user = user.mid(slash + 1);
    }
    CredSsp::TsPasswordCreds creds{CredSsp::utf16le(domain), CredSsp::utf16le(user), m_passwordUtf16};
    CredSsp::TsCredentials credentials{CredSsp::PasswordCredType, CredSsp::encodeTsPasswordCreds(creds)};
    wipe(creds.password);
    wipeSecrets();
    QByteArray der = CredSsp::encodeTsCredentials(credentials);
    wipe(credentials.credentials);
    Result<QByteArray> wrapped = mechanism->wrap(der);
    wipe(der);
    if (!wrapped)
        return wrapped.error();
    CredSsp::TsRequest reply;
    reply.authInfo = std::move(wrapped).value();
    Result<QByteArray> records = sendRequest(reply);
    if (records)
        m_state = State::Complete;
    return records;
}

Result<QByteArray> CredSspClient::sendRequest(const CredSsp::TsRequest &request)
{
    QByteArray der = CredSsp::encodeTsRequest(request);
    Result<QByteArray> records = m_tls->encrypt(der);
    wipe(der);
    return records;
}

Result<CredSsp::TsRequest> CredSspClient::receiveRequest(QByteArrayView inputToken)
{
    if (inputToken.isEmpty())
        return makeError(ErrorCode::InvalidToken, u"CredSSP: the server sent no CredSSP token"_s);
    Result<QByteArray> plain = m_tls->decrypt(inputToken);
    if (!plain)
        return plain.error();
    if (plain->isEmpty())
        return makeError(ErrorCode::InvalidToken, u"CredSSP: the server's records carry no TSRequest"_s);
    Result<CredSsp::TsRequest> request = CredSsp::decodeTsRequest(*plain);
    if (!request)
        return request.error();
    if (request->errorCode && *request->errorCode != 0)
        return CredSsp::errorForStatus(*request->errorCode);
    return request;
}

Result<QByteArray> CredSspClient::wrap(QByteArrayView plaintext)
{
    if (m_state != State::Complete)
        return makeError(ErrorCode::InvalidState, u"CredSSP: context not established"_s);
    return m_tls->encrypt(plaintext);
}

Result<QByteArray> CredSspClient::unwrap(QByteArrayView records)
{
    if (m_state != State::Complete)
        return makeError(ErrorCode::InvalidState, u"CredSSP: context not established"_s);
    return m_tls->decrypt(records);
}

Result<WrappedMessage> CredSspClient::wrapWinrm(QByteArrayView plaintext)
{
    if (m_state != State::Complete)
        return makeError(ErrorCode::InvalidState, u"CredSSP: context not established"_s);
    // Dossier 4.5: L = the suite's trailer length (SChannel cbTrailer), then the whole records.
    Result<int> trailer = m_tls->trailerLength(plaintext.size());
    if (!trailer)
        return trailer.error();
    Result<QByteArray> records = m_tls->encrypt(plaintext);
    if (!records)
        return records.error();
    if (records->size() < *trailer)
        return makeError(ErrorCode::CryptoFailure, u"CredSSP: the TLS record is shorter than its trailer"_s);
    return WrappedMessage{records->left(*trailer), records->mid(*trailer)};
}

Result<QByteArray> CredSspClient::unwrapWinrm(QByteArrayView header, QByteArrayView data)
{
    QByteArray records;
    records.reserve(header.size() + data.size());
    records.append(header);
    records.append(data);
    return unwrap(records);
}

} // namespace Auth
