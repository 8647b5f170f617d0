#include "wsman/NtlmAuthenticator.h"
#include "wsman/Channel.h"
#include "wsman/MessageEncryption.h"

#include "../auth/AuthTestSupport.h"
#include "HttpTestServer.h"
#include "SharedData.h"

#include <QEventLoop>
#include <QTimer>

#include <gtest/gtest.h>

#include <map>
#include <optional>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;
using AuthTest::TestNtlmServer;
using TestSupport::HttpRequest;
using TestSupport::HttpResponse;
using TestSupport::HttpTestServer;

namespace {

const QByteArray Soap = QByteArrayLiteral("application/soap+xml;charset=UTF-8");
const QByteArray Envelope = QByteArrayLiteral("<s:Envelope><s:Body>request</s:Body></s:Envelope>");
// The CHALLENGE every test server sends: MS-NLMP 4.2.1 values plus a timestamp, so the client
// adds a MIC the server checks.
const Auth::Ntlm::AvPairs Timestamp{{Auth::Ntlm::AvId::MsvAvTimestamp, QByteArray(8, '\7')}};

NtlmAuthenticator makeAuthenticator(const QString &user = u"Domain\\User"_s, const char *password = AuthTest::Password,
                                    bool encrypt = true)
{
    NtlmSettings settings;
    settings.userName = user;
    settings.encryptMessages = encrypt;
    settings.targetSpn = u"HTTP/server.example"_s;
    return NtlmAuthenticator(settings, Secret(QString::fromUtf8(password)));
}

std::unique_ptr<Authenticator> makeUnique(const QString &user = u"Domain\\User"_s, const char *password = AuthTest::Password)
{
    NtlmSettings settings;
    settings.userName = user;
    return std::make_unique<NtlmAuthenticator>(settings, Secret(QString::fromUtf8(password)));
}

QByteArray tokenOf(const QByteArray &authorization)
{
    EXPECT_TRUE(authorization.startsWith("Negotiate ")) << authorization.toStdString();
    return QByteArray::fromBase64(authorization.mid(10));
}

// The server side of one handshake: records the messages, checks the AUTHENTICATE.
struct ServerSide {
    QByteArray negotiate;
    QByteArray challenge = AuthTest::challengeMessage(Timestamp);
    TestNtlmServer ntlm;

    QList<QByteArray> challengeHeader() const { return {"Negotiate " + challenge.toBase64()}; }
};

// Runs both legs; returns what the test server said of the AUTHENTICATE (empty: accepted).
QString handshake(NtlmAuthenticator &auth, ServerSide &server, const char *serverPassword = AuthTest::Password)
{
    const AuthResult<AuthLeg> first = auth.begin();
    EXPECT_TRUE(first);
    if (!first)
        return u"begin failed"_s;
    EXPECT_FALSE(first.value().lastLeg);
    server.negotiate = tokenOf(first.value().authorization);
    const AuthResult<AuthLeg> second = auth.continueWith(server.challengeHeader());
    EXPECT_TRUE(second) << (second ? "" : second.error().detail.toStdString());
    if (!second)
        return u"continueWith failed"_s;
    EXPECT_TRUE(second.value().lastLeg);
    return server.ntlm.accept(server.negotiate, server.challenge, tokenOf(second.value().authorization), serverPassword);
}

const MessageEncryption Spnego(MessageEncryption::SpnegoProtocol.toByteArray());

// The server's view of an encrypted body.
AuthResult<WrappedMessage> serverDecrypt(TestNtlmServer &server, const WrappedMessage &message)
{
    return Spnego.decrypt(message.body, message.contentType, [&](QByteArrayView header, QByteArrayView data) -> AuthResult<QByteArray> {
        Auth::Result<QByteArray> plain = server.security->unseal(data, header);
        if (!plain)
            return AuthError{AuthErrorCode::CryptoFailure, plain.error().detail};
        return plain.value();
    });
}

WrappedMessage serverEncrypt(TestNtlmServer &server, const QByteArray &plaintext)
{
    auto wrapped = Spnego.encrypt(plaintext, Soap, [&](QByteArrayView plain) -> AuthResult<SealedPart> {
        Auth::Result<Auth::Ntlm::SealedMessage> sealed = server.security->seal(plain);
        return SealedPart{sealed->signature, sealed->data};
    });
    EXPECT_TRUE(wrapped);
    return wrapped.value();
}

const Auth::Ntlm::AvPair *findPair(const Auth::Ntlm::AvPairs &pairs, Auth::Ntlm::AvId id)
{
    for (const auto &pair : pairs) {
        if (pair.id == id)
            return &pair;
    }
    return nullptr;
}

} // namespace

TEST(NtlmAuthenticator, TwoLegsAgainstTheTestServer)
{
    NtlmAuthenticator auth = makeAuthenticator();
    EXPECT_EQ(auth.scheme(), "Negotiate");
    EXPECT_TRUE(auth.encryptsMessages());
    EXPECT_TRUE(auth.isSafeOverPlainHttp());
    ServerSide server;
    ASSERT_EQ(handshake(auth, server), QString());
    EXPECT_TRUE(server.negotiate.startsWith(QByteArray("NTLMSSP\0\1\0\0\0", 12)));
    EXPECT_FALSE(auth.isEstablished());
    const AuthResult<bool> finished = auth.finish({});
    ASSERT_TRUE(finished);
    EXPECT_TRUE(finished.value());
    EXPECT_TRUE(auth.isEstablished());
    EXPECT_TRUE(auth.requestAuthorization().isEmpty());
    // MsvAvTargetName carries the SPN; no channel bindings unless given.
    const auto *spn = findPair(server.ntlm.clientPairs, Auth::Ntlm::AvId::MsvAvTargetName);
    ASSERT_NE(spn, nullptr);
    EXPECT_EQ(spn->value, Auth::Ntlm::utf16le(u"HTTP/server.example"));
    EXPECT_EQ(findPair(server.ntlm.clientPairs, Auth::Ntlm::AvId::MsvAvChannelBindings), nullptr);
    // The negotiated flags allow WinRM encryption (dossier 3.3).
    const auto flags = auth.context()->negotiatedFlags();
    EXPECT_TRUE(flags.testFlag(Auth::Ntlm::NegotiateFlag::Seal));
    EXPECT_TRUE(flags.testFlag(Auth::Ntlm::NegotiateFlag::KeyExchange));
}

TEST(NtlmAuthenticator, UserNameForms)
{
    struct Case {
        QString user;
        QByteArray domain, name;
    };
    const std::vector<Case> cases = {
        {u"Domain\\User"_s, Auth::Ntlm::utf16le(u"Domain"), Auth::Ntlm::utf16le(u"User")},
        {u"User"_s, {}, Auth::Ntlm::utf16le(u"User")},
        {u"User@Domain"_s, {}, Auth::Ntlm::utf16le(u"User@Domain")},
    };
    for (const Case &c : cases) {
        NtlmAuthenticator auth = makeAuthenticator(c.user);
        ServerSide server;
        EXPECT_EQ(handshake(auth, server), QString()) << c.user.toStdString();
        EXPECT_EQ(server.ntlm.fields.domain, c.domain) << c.user.toStdString();
        EXPECT_EQ(server.ntlm.fields.user, c.name) << c.user.toStdString();
    }
    NtlmAuthenticator empty = makeAuthenticator(u"Domain\\"_s);
    const AuthResult<AuthLeg> leg = empty.begin();
    ASSERT_FALSE(leg);
    EXPECT_EQ(leg.error().code, AuthErrorCode::Rejected);
}

TEST(NtlmAuthenticator, WrongPasswordIsRejectedByTheServerAndThenByTheClient)
{
    NtlmAuthenticator auth = makeAuthenticator(u"Domain\\User"_s, "NotThePassword");
    ServerSide server;
    EXPECT_EQ(handshake(auth, server), u"NTProofStr does not verify (wrong password?)"_s);
    // The server answers the AUTHENTICATE with another 401.
    const AuthResult<AuthLeg> again = auth.continueWith({"Negotiate"});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, AuthErrorCode::Rejected);
    EXPECT_FALSE(again.error().detail.contains(u"NotThePassword"_s));
    EXPECT_FALSE(auth.isEstablished());
}

TEST(NtlmAuthenticator, WrapAndUnwrapWithTheTestServer)
{
    NtlmAuthenticator auth = makeAuthenticator();
    ServerSide server;
    ASSERT_EQ(handshake(auth, server), QString());
    ASSERT_TRUE(auth.finish({}).value());

    for (int i = 0; i < 3; ++i) {
        const QByteArray request = Envelope + QByteArray(700 * i, 'r');
        const AuthResult<WrappedMessage> wrapped = auth.wrap(request, Soap);
        ASSERT_TRUE(wrapped) << wrapped.error().detail.toStdString();
        EXPECT_TRUE(wrapped.value().contentType.startsWith(
            "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\""));
        EXPECT_FALSE(wrapped.value().body.contains("request"));
        // L = 16 (dossier 4.3).
        EXPECT_TRUE(wrapped.value().body.contains(QByteArray("application/octet-stream\r\n\x10\0\0\0", 29)));
        const AuthResult<WrappedMessage> seen = serverDecrypt(server.ntlm, wrapped.value());
        ASSERT_TRUE(seen) << seen.error().detail.toStdString();
        EXPECT_EQ(seen.value().body, request);
        EXPECT_EQ(seen.value().contentType, Soap);

        const QByteArray reply = "<s:Envelope>reply " + QByteArray::number(i) + "</s:Envelope>";
        const WrappedMessage sealed = serverEncrypt(server.ntlm, reply);
        const AuthResult<WrappedMessage> plain = auth.unwrap(sealed.body, sealed.contentType);
        ASSERT_TRUE(plain) << plain.error().detail.toStdString();
        EXPECT_EQ(plain.value().body, reply);
        EXPECT_EQ(plain.value().contentType, Soap);
    }
    EXPECT_EQ(server.ntlm.security->sequenceNumber(Auth::Ntlm::Direction::Incoming), 3u);
}

TEST(NtlmAuthenticator, TamperingIsACryptoFailure)
{
    NtlmAuthenticator auth = makeAuthenticator();
    ServerSide server;
    ASSERT_EQ(handshake(auth, server), QString());
    ASSERT_TRUE(auth.finish({}).value());

    WrappedMessage sealed = serverEncrypt(server.ntlm, Envelope);
    // Flip one bit of the last ciphertext byte (just before the closing boundary).
    const qsizetype last = sealed.body.lastIndexOf("--Encrypted Boundary--") - 1;
    sealed.body[last] = char(sealed.body[last] ^ 0x01);
    const AuthResult<WrappedMessage> plain = auth.unwrap(sealed.body, sealed.contentType);
    ASSERT_FALSE(plain);
    EXPECT_EQ(plain.error().code, AuthErrorCode::CryptoFailure);

    // A replayed message fails too (the sequence number moved on).
    NtlmAuthenticator fresh = makeAuthenticator();
    ServerSide other;
    ASSERT_EQ(handshake(fresh, other), QString());
    ASSERT_TRUE(fresh.finish({}).value());
    const WrappedMessage once = serverEncrypt(other.ntlm, Envelope);
    ASSERT_TRUE(fresh.unwrap(once.body, once.contentType));
    const AuthResult<WrappedMessage> replay = fresh.unwrap(once.body, once.contentType);
    ASSERT_FALSE(replay);
    EXPECT_EQ(replay.error().code, AuthErrorCode::CryptoFailure);
}

TEST(NtlmAuthenticator, PlaintextAnswerOnAnEncryptedChannelIsRefused)
{
    NtlmAuthenticator auth = makeAuthenticator();
    ServerSide server;
    ASSERT_EQ(handshake(auth, server), QString());
    ASSERT_TRUE(auth.finish({}).value());
    const AuthResult<WrappedMessage> plain = auth.unwrap(Envelope, Soap);
    ASSERT_FALSE(plain);
    EXPECT_EQ(plain.error().code, AuthErrorCode::CryptoFailure);
}

TEST(NtlmAuthenticator, BadChallengesAreTypedErrors)
{
    {
        NtlmAuthenticator auth = makeAuthenticator();
        ASSERT_TRUE(auth.begin());
        const AuthResult<AuthLeg> leg = auth.continueWith({"Basic realm=\"WSMAN\""});
        ASSERT_FALSE(leg);
        EXPECT_EQ(leg.error().code, AuthErrorCode::SchemeNotOffered);
    }
    {
        NtlmAuthenticator auth = makeAuthenticator();
        ASSERT_TRUE(auth.begin());
        const AuthResult<AuthLeg> leg = auth.continueWith({"Negotiate !!not base64!!"});
        ASSERT_FALSE(leg);
        EXPECT_EQ(leg.error().code, AuthErrorCode::InvalidToken);
    }
    {
        NtlmAuthenticator auth = makeAuthenticator();
        ASSERT_TRUE(auth.begin());
        const AuthResult<AuthLeg> leg = auth.continueWith({"Negotiate " + QByteArray("NTLMSSP\0\2\0\0\0short", 17).toBase64()});
        ASSERT_FALSE(leg);
        EXPECT_EQ(leg.error().code, AuthErrorCode::InvalidToken);
        EXPECT_FALSE(auth.isEstablished());
        EXPECT_FALSE(auth.finish({}).value());
    }
    {
        // A server that grants no SEAL cannot carry WinRM encryption.
        NtlmAuthenticator auth = makeAuthenticator();
        ASSERT_TRUE(auth.begin());
        const quint32 noSeal = 0xe28a8233 & ~quint32(0x20);
        const AuthResult<AuthLeg> leg =
            auth.continueWith({"Negotiate " + AuthTest::challengeMessage(Timestamp, noSeal).toBase64()});
        ASSERT_FALSE(leg);
        EXPECT_NE(leg.error().code, AuthErrorCode::Rejected);
    }
    {
        // A 401 to a request sent without credentials starts the handshake.
        NtlmAuthenticator auth = makeAuthenticator();
        const AuthResult<AuthLeg> leg = auth.continueWith({"Negotiate", "Basic realm=\"WSMAN\""});
        ASSERT_TRUE(leg);
        EXPECT_TRUE(tokenOf(leg.value().authorization).startsWith(QByteArray("NTLMSSP\0\1", 9)));
    }
}

TEST(NtlmAuthenticator, AnswersARealWindowsChallenge)
{
    PSREMOTE_REQUIRE_SHARED();
    // A CHALLENGE captured from a Windows domain (pyspnego's lab tokens, ../shared/transcripts).
    const QByteArray challenge =
        TestSupport::readFile(TestSupport::sharedDir() + u"/transcripts/auth-tokens/ntlm_challenge"_s);
    ASSERT_TRUE(challenge.startsWith(QByteArray("NTLMSSP\0\2", 9)));
    NtlmAuthenticator auth = makeAuthenticator();
    ASSERT_TRUE(auth.begin());
    const AuthResult<AuthLeg> leg = auth.continueWith({"Negotiate " + challenge.toBase64()});
    ASSERT_TRUE(leg) << leg.error().detail.toStdString();
    EXPECT_TRUE(leg.value().lastLeg);
    const auto fields = TestNtlmServer::parseAuthenticate(tokenOf(leg.value().authorization));
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->user, Auth::Ntlm::utf16le(u"User"));
    EXPECT_EQ(fields->domain, Auth::Ntlm::utf16le(u"Domain"));
    EXPECT_EQ(fields->encryptedKey.size(), 16);
    EXPECT_NE(fields->mic, QByteArray(16, '\0')); // the capture carries a timestamp: MIC present
    ASSERT_TRUE(auth.finish({}).value());
    const AuthResult<WrappedMessage> wrapped = auth.wrap(Envelope, Soap);
    ASSERT_TRUE(wrapped);
    EXPECT_FALSE(wrapped.value().body.contains("request"));
}

TEST(NtlmAuthenticator, ResetDropsTheContext)
{
    NtlmAuthenticator auth = makeAuthenticator();
    ServerSide server;
    ASSERT_EQ(handshake(auth, server), QString());
    ASSERT_TRUE(auth.finish({}).value());
    ASSERT_NE(auth.context(), nullptr);
    auth.reset();
    EXPECT_FALSE(auth.isEstablished());
    EXPECT_EQ(auth.context(), nullptr);
    const AuthResult<WrappedMessage> wrapped = auth.wrap(Envelope, Soap);
    ASSERT_FALSE(wrapped);
    EXPECT_EQ(wrapped.error().code, AuthErrorCode::CryptoFailure);

    // A new handshake gives a new context whose sequence numbers start again.
    ServerSide second;
    ASSERT_EQ(handshake(auth, second), QString());
    ASSERT_TRUE(auth.finish({}).value());
    const AuthResult<WrappedMessage> again = auth.wrap(Envelope, Soap);
    ASSERT_TRUE(again);
    const AuthResult<WrappedMessage> seen = serverDecrypt(second.ntlm, again.value());
    ASSERT_TRUE(seen) << seen.error().detail.toStdString();
    EXPECT_EQ(seen.value().body, Envelope);
}

TEST(NtlmAuthenticator, ChannelBindingsSetAfterNegotiateReachTheAuthenticate)
{
    Auth::ChannelBindings bindings;
    bindings.applicationData = "tls-server-end-point:" + QByteArray(32, '\x42');
    NtlmAuthenticator auth = makeAuthenticator();
    const AuthResult<AuthLeg> first = auth.begin();
    ASSERT_TRUE(first);
    auth.setChannelBindings(bindings); // the TLS handshake finished after the first leg
    ServerSide server;
    server.negotiate = tokenOf(first.value().authorization);
    const AuthResult<AuthLeg> second = auth.continueWith(server.challengeHeader());
    ASSERT_TRUE(second);
    // The MIC covers the NEGOTIATE that was actually sent.
    ASSERT_EQ(server.ntlm.accept(server.negotiate, server.challenge, tokenOf(second.value().authorization),
                                 AuthTest::Password),
              QString());
    const auto *pair = findPair(server.ntlm.clientPairs, Auth::Ntlm::AvId::MsvAvChannelBindings);
    ASSERT_NE(pair, nullptr);
    EXPECT_EQ(pair->value, *AuthTest::crypto().md5(bindings.serialize()));
}

TEST(NtlmAuthenticator, ServerCertificateGivesTlsServerEndPointBindings)
{
    NtlmAuthenticator auth = makeAuthenticator();
    const AuthResult<bool> bad = auth.setServerCertificate("not a certificate");
    ASSERT_FALSE(bad);

    QString diagnostics;
    const std::optional<TestSupport::TestPki> pki = TestSupport::TestPki::generate(&diagnostics);
    if (!pki)
        GTEST_SKIP() << "openssl unavailable: " << diagnostics.toStdString();
    const QByteArray der = pki->server.toDer();
    ASSERT_TRUE(auth.setServerCertificate(der));
    ServerSide server;
    ASSERT_EQ(handshake(auth, server), QString());
    const auto expected = Auth::ChannelBindings::tlsServerEndPoint(AuthTest::crypto(), der);
    ASSERT_TRUE(expected);
    const auto *pair = findPair(server.ntlm.clientPairs, Auth::Ntlm::AvId::MsvAvChannelBindings);
    ASSERT_NE(pair, nullptr);
    EXPECT_EQ(pair->value, *AuthTest::crypto().md5(expected->serialize()));
}

TEST(NtlmAuthenticator, EncryptionOffPassesBodiesThrough)
{
    NtlmAuthenticator auth = makeAuthenticator(u"Domain\\User"_s, AuthTest::Password, false);
    EXPECT_FALSE(auth.encryptsMessages());
    EXPECT_FALSE(auth.isSafeOverPlainHttp());
    ServerSide server;
    ASSERT_EQ(handshake(auth, server), QString());
    ASSERT_TRUE(auth.finish({}).value());
    const AuthResult<WrappedMessage> wrapped = auth.wrap(Envelope, Soap);
    ASSERT_TRUE(wrapped);
    EXPECT_EQ(wrapped.value().body, Envelope);
    EXPECT_EQ(wrapped.value().contentType, Soap);
    const WrappedMessage sealed = serverEncrypt(server.ntlm, Envelope);
    const AuthResult<WrappedMessage> unexpected = auth.unwrap(sealed.body, sealed.contentType);
    ASSERT_FALSE(unexpected);
    EXPECT_EQ(unexpected.error().code, AuthErrorCode::Unsupported);
}

TEST(NtlmAuthenticator, FactoryMakesIndependentAuthenticators)
{
    NtlmSettings settings;
    settings.userName = u"Domain\\User"_s;
    auto factory = ntlmAuthenticatorFactory(settings, Secret(QString::fromUtf8(AuthTest::Password)));
    auto copy = factory;
    factory = {};
    std::unique_ptr<Authenticator> a = copy();
    std::unique_ptr<Authenticator> b = copy();
    ASSERT_NE(a.get(), b.get());
    for (Authenticator *auth : {a.get(), b.get()}) {
        ServerSide server;
        ASSERT_EQ(handshake(static_cast<NtlmAuthenticator &>(*auth), server), QString());
        EXPECT_TRUE(auth->finish({}).value());
    }
}

// The real transport path: Wsman::Channel against a loopback HTTP server playing WinRM's NTLM
// side with the test acceptor (401 + CHALLENGE, 200, then encrypted SOAP both ways).
namespace {

// One NTLM context per TCP connection, as WinRM binds it.
struct WinrmNtlmServer {
    std::map<int, ServerSide> sides;
    QString acceptError;
    QList<QByteArray> plaintexts;
    bool closeAfterEachMessage = false;
    std::optional<HttpResponse> plainAnswer; // once authenticated, answer this instead
    Auth::Ntlm::AvPairs lastClientPairs;

    HttpResponse operator()(const HttpRequest &request)
    {
        ServerSide &side = sides[request.connection];
        const QByteArray authorization = request.header("Authorization");
        if (authorization.startsWith("Negotiate ")) {
            const QByteArray token = QByteArray::fromBase64(authorization.mid(10));
            if (token.startsWith(QByteArray("NTLMSSP\0\1", 9))) {
                side = ServerSide();
                side.negotiate = token;
                return HttpResponse::unauthorized("Negotiate " + side.challenge.toBase64());
            }
            acceptError = side.ntlm.accept(side.negotiate, side.challenge, token, AuthTest::Password);
            lastClientPairs = side.ntlm.clientPairs;
            if (!acceptError.isEmpty())
                return HttpResponse::unauthorized("Negotiate");
            return HttpResponse::soap({});
        }
        if (!side.ntlm.security)
            return HttpResponse::unauthorized("Negotiate");
        if (plainAnswer)
            return *plainAnswer;
        const AuthResult<WrappedMessage> plain =
            serverDecrypt(side.ntlm, WrappedMessage{request.body, request.header("Content-Type")});
        if (!plain)
            return HttpResponse::soap("decrypt failed", 500);
        plaintexts.append(plain.value().body);
        const WrappedMessage reply = serverEncrypt(side.ntlm, "<reply>" + plain.value().body + "</reply>");
        HttpResponse response;
        response.headers.append({QByteArrayLiteral("Content-Type"), reply.contentType});
        response.body = reply.body;
        response.closeAfter = closeAfterEachMessage;
        return response;
    }
};

std::vector<std::optional<TransportResult>> postAll(Channel &channel, const QList<QByteArray> &bodies)
{
    std::vector<std::optional<TransportResult>> results(size_t(bodies.size()));
    QEventLoop loop;
    qsizetype remaining = bodies.size();
    for (qsizetype i = 0; i < bodies.size(); ++i) {
        channel.post(bodies[i], [&, i](const TransportResult &r) {
            results[size_t(i)] = r;
            if (--remaining == 0)
                loop.quit();
        });
    }
    QTimer::singleShot(10000, &loop, &QEventLoop::quit); // a guard against hangs, not a timing assertion
    if (remaining > 0)
        loop.exec();
    return results;
}

} // namespace

TEST(NtlmAuthenticator, ChannelRunsTheHandshakeAndEncryptsOverHttp)
{
    WinrmNtlmServer winrm;
    HttpTestServer http([&](const HttpRequest &r) { return winrm(r); });
    ASSERT_TRUE(http.listen());
    ChannelSettings settings;
    settings.url = http.url();
    Channel channel(settings, makeUnique());

    const auto results = postAll(channel, {Envelope, "<s:Envelope>second</s:Envelope>"});
    ASSERT_TRUE(results[0] && results[1]);
    ASSERT_TRUE(results[0]->ok()) << results[0]->error().detail.toStdString();
    ASSERT_TRUE(results[1]->ok()) << results[1]->error().detail.toStdString();
    EXPECT_EQ(winrm.acceptError, QString());
    EXPECT_EQ(results[0]->response().body, "<reply>" + Envelope + "</reply>");
    EXPECT_EQ(results[1]->response().body, "<reply><s:Envelope>second</s:Envelope></reply>");
    EXPECT_TRUE(channel.isAuthenticated());
    EXPECT_EQ(winrm.plaintexts, (QList<QByteArray>{Envelope, "<s:Envelope>second</s:Envelope>"}));

    // NEGOTIATE and AUTHENTICATE with empty bodies (dossier 4.6), then two encrypted messages,
    // all on one connection.
    const QList<HttpRequest> &requests = http.requests();
    ASSERT_EQ(requests.size(), 4);
    EXPECT_TRUE(requests[0].body.isEmpty());
    EXPECT_TRUE(requests[1].body.isEmpty());
    for (int i = 2; i < 4; ++i) {
        EXPECT_TRUE(requests[i].header("Content-Type").startsWith("multipart/encrypted;"));
        EXPECT_FALSE(requests[i].body.contains("<s:Envelope>"));
        EXPECT_FALSE(requests[i].hasHeader("Authorization"));
    }
    for (const HttpRequest &r : requests)
        EXPECT_EQ(r.connection, 1);
}

TEST(NtlmAuthenticator, ChannelReportsAWrongPasswordAsAuthenticationFailed)
{
    WinrmNtlmServer winrm;
    HttpTestServer http([&](const HttpRequest &r) { return winrm(r); });
    ASSERT_TRUE(http.listen());
    ChannelSettings settings;
    settings.url = http.url();
    Channel channel(settings, makeUnique(u"Domain\\User"_s, "wrong"));
    const auto results = postAll(channel, {Envelope});
    ASSERT_TRUE(results[0]);
    ASSERT_FALSE(results[0]->ok());
    EXPECT_EQ(results[0]->error().kind, TransportErrorKind::AuthenticationFailed);
    EXPECT_EQ(winrm.acceptError, u"NTProofStr does not verify (wrong password?)"_s);
    EXPECT_TRUE(winrm.plaintexts.isEmpty());
}

TEST(NtlmAuthenticator, ChannelReauthenticatesOnANewConnection)
{
    WinrmNtlmServer winrm;
    winrm.closeAfterEachMessage = true; // every context dies with its connection
    HttpTestServer http([&](const HttpRequest &r) { return winrm(r); });
    ASSERT_TRUE(http.listen());
    ChannelSettings settings;
    settings.url = http.url();
    Channel channel(settings, makeUnique());

    const auto results = postAll(channel, {"<s:Envelope>1</s:Envelope>", "<s:Envelope>2</s:Envelope>"});
    ASSERT_TRUE(results[0] && results[1]);
    ASSERT_TRUE(results[0]->ok()) << results[0]->error().detail.toStdString();
    ASSERT_TRUE(results[1]->ok()) << results[1]->error().detail.toStdString();
    EXPECT_EQ(results[1]->response().body, "<reply><s:Envelope>2</s:Envelope></reply>");
    EXPECT_EQ(winrm.plaintexts, (QList<QByteArray>{"<s:Envelope>1</s:Envelope>", "<s:Envelope>2</s:Envelope>"}));
    // The second message went out on the new connection, still sealed with the old context, got
    // a 401, and was sent again after a fresh handshake there.
    EXPECT_EQ(http.connectionCount(), 2);
    QList<int> connections;
    for (const HttpRequest &r : http.requests())
        connections.append(r.connection);
    EXPECT_EQ(connections, (QList<int>{1, 1, 1, 2, 2, 2, 2}));
}

TEST(NtlmAuthenticator, ChannelGivesTheServerCertificateForChannelBindingsOverHttps)
{
    QString diagnostics;
    const std::optional<TestSupport::TestPki> pki = TestSupport::TestPki::generate(&diagnostics);
    if (!pki)
        GTEST_SKIP() << "openssl unavailable: " << diagnostics.toStdString();
    WinrmNtlmServer winrm;
    HttpTestServer https([&](const HttpRequest &r) { return winrm(r); });
    ASSERT_TRUE(https.listenTls(pki->server, pki->serverKey));
    ChannelSettings settings;
    settings.url = https.url();
    settings.url.setScheme(u"https"_s);
    settings.extraCaCertificates = {pki->ca};
    Channel channel(settings, makeUnique());
    const auto results = postAll(channel, {Envelope});
    ASSERT_TRUE(results[0]);
    ASSERT_TRUE(results[0]->ok()) << results[0]->error().detail.toStdString();
    EXPECT_EQ(winrm.acceptError, QString());
    // The AUTHENTICATE carried MD5(gss_channel_bindings_struct) of tls-server-end-point of the
    // very certificate the TLS server presented.
    const auto expected = Auth::ChannelBindings::tlsServerEndPoint(AuthTest::crypto(), pki->server.toDer());
    ASSERT_TRUE(expected);
    const auto *pair = findPair(winrm.lastClientPairs, Auth::Ntlm::AvId::MsvAvChannelBindings);
    ASSERT_NE(pair, nullptr);
    EXPECT_EQ(pair->value, *AuthTest::crypto().md5(expected->serialize()));
}

TEST(NtlmAuthenticator, ChannelReportsTheUnwrappedContentTypeAndPlaintextHttpErrors)
{
    WinrmNtlmServer winrm;
    HttpTestServer http([&](const HttpRequest &r) { return winrm(r); });
    ASSERT_TRUE(http.listen());
    ChannelSettings settings;
    settings.url = http.url();
    Channel channel(settings, makeUnique());
    auto first = postAll(channel, {Envelope});
    ASSERT_TRUE(first[0] && first[0]->ok());
    EXPECT_TRUE(first[0]->response().contentType.startsWith("application/soap+xml"))
        << first[0]->response().contentType.toStdString();

    // An error of the HTTP layer itself comes in plaintext: it is that HTTP error, not a
    // message-protection failure.
    HttpResponse tooLarge;
    tooLarge.status = 413;
    tooLarge.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("text/html")});
    tooLarge.body = "<html>Request Entity Too Large</html>";
    winrm.plainAnswer = tooLarge;
    auto second = postAll(channel, {Envelope});
    ASSERT_TRUE(second[0]);
    ASSERT_FALSE(second[0]->ok());
    EXPECT_EQ(second[0]->error().kind, TransportErrorKind::HttpStatus);
    EXPECT_EQ(second[0]->error().httpStatus, 413);

    // A plaintext success on an encrypting channel is refused: encryption cannot be stripped.
    winrm.plainAnswer = HttpResponse::soap("<s:Envelope>forged</s:Envelope>");
    auto third = postAll(channel, {Envelope});
    ASSERT_TRUE(third[0]);
    ASSERT_FALSE(third[0]->ok());
    EXPECT_EQ(third[0]->error().kind, TransportErrorKind::MessageProtection);
}
