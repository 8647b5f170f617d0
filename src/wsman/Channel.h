#pragma once

#include "wsman/Authenticator.h"
#include "wsman/CertificateStore.h"
#include "wsman/ConnectionInfo.h"
#include "wsman/Secret.h"
#include "wsman/SessionOption.h"

#include <QByteArray>
#include <QList>
#include <QNetworkProxy>
#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <variant>

class QAuthenticator;
class QNetworkAccessManager;
class QNetworkReply;

namespace Wsman {

enum class TransportErrorKind {
    NameResolution,       // the host name does not resolve
    ConnectionRefused,    // nothing listens on the port
    ConnectionClosed,     // the server closed the connection before answering
    Unreachable,          // no route / network down / other socket failure
    TimedOut,             // open or read timeout (OpenTimeout, OperationTimeout + margin)
    Tls,                  // handshake or certificate verification failed; see sslErrors
    AuthenticationFailed, // the server refused the credentials, or the handshake failed
    HttpStatus,           // a non-2xx, non-3xx, non-401 answer (e.g. 500 with a SOAP fault body)
    Redirect,             // a 3xx; location holds the target (never followed automatically)
    InsecureRefused,      // Basic over plain HTTP without NoEncryption=true; nothing was sent
    Cancelled,            // cancel() / cancelAll()
    ResponseTooLarge,     // the body outgrew ChannelSettings::maxResponseSize
    MessageProtection,    // wrap/unwrap of an encrypted body failed
    ProxyUnreachable,     // the proxy refused the connection, closed it, does not resolve or timed out
    ProxyAuthenticationFailed, // HTTP 407: credentials refused, missing, or the configured scheme not offered
};

struct TransportError {
    TransportErrorKind kind = TransportErrorKind::Unreachable;
    QString detail;            // technical, never a secret
    int httpStatus = 0;        // HttpStatus, Redirect, AuthenticationFailed (when one was seen)
    QByteArray body;           // HttpStatus: the (unwrapped) response body
    QByteArray contentType;    // HttpStatus
    QUrl location;             // Redirect
    QList<QSslError> sslErrors; // Tls: the certificate errors that were not ignored
    QSslCertificate peerCertificate; // Tls: what the server presented, to show before pinning
    bool pinMismatch = false;        // Tls: the endpoint has pins and this certificate is not one
    // AuthenticationFailed: why, when the authenticator said (wrong password, no ticket, unknown
    // SPN, clock skew, scheme not offered, ...); nullopt for a bare protocol failure.
    std::optional<AuthErrorCode> authError;
    // ProxyUnreachable, ProxyAuthenticationFailed: the proxy as host:port (never credentials).
    QString proxy;
    // ProxyAuthenticationFailed: the schemes the proxy offered ("Basic", "Digest", ...), when known.
    QStringList proxyOffered;
};

struct TransportResponse {
    int httpStatus = 0;
    QByteArray contentType; // of the plaintext body (after unwrap)
    QByteArray body;
};

// Either the response or a TransportError: what a Channel request ends with.
class TransportResult {
public:
    TransportResult(TransportResponse response) : m_data(std::move(response)) {} // NOLINT: implicit by design
    TransportResult(TransportError error) : m_data(std::move(error)) {} // NOLINT

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }
    const TransportResponse &response() const { return std::get<0>(m_data); }
    const TransportError &error() const { return std::get<1>(m_data); }

private:
    std::variant<TransportResponse, TransportError> m_data;
};

// Everything a Channel needs besides its Authenticator.
struct ChannelSettings {
    QUrl url;
    qint64 operationTimeoutMs = 180000;
    qint64 openTimeoutMs = 180000;
    // The HTTP read timeout is OperationTimeout + this margin: the server answers a Receive
    // with a timeout fault after OperationTimeout, so the socket must wait a little longer
    // (dossier 1.10: pypsrp uses 2 s).
    qint64 readTimeoutMarginMs = 5000;
    bool noEncryption = false;
    bool useUtf16 = false;
    bool skipCACheck = false;
    bool skipCNCheck = false;
    bool skipRevocationCheck = false;
    QList<QSslCertificate> extraCaCertificates;
    // Trust on first use: SHA-256 digests of the DER certificates the user pinned for this
    // endpoint. A pinned certificate is trusted despite CA or name errors; when pins exist, any
    // other certificate is refused (pinMismatch), even one a CA would vouch for.
    QList<QByteArray> pinnedSha256;
    // Enter-PSSession -CertificateThumbprint (dossier 3.7): presented in the TLS handshake; HTTPS only.
    std::optional<ClientCertificate> clientCertificate;
    // Responses are bounded by the MaxEnvelopeSize the client sends (dossier 1.10: 150-500 KiB
    // by default); this cap only has to stop a hostile server. nullopt: unlimited.
    std::optional<qint64> maxResponseSize = qint64(64) * 1024 * 1024;
    // ProxyAccessType IEConfig/WinHttpConfig/AutoDetect: the system's proxy settings. Qt 6.4 on
    // Linux asks libproxy: http_proxy (https_proxy for https URLs; upper-case names too),
    // no_proxy, or the desktop's settings; all_proxy is not read. None/NoProxyServer: direct.
    bool useSystemProxy = false;
    // PSRemote extension (--proxy URL, an http:// proxy): used for every request, whatever
    // useSystemProxy says. Plain http goes through it as a forward proxy, https as a CONNECT tunnel.
    std::optional<QUrl> proxy;
    // Answered only with this scheme: Basic/Digest get proxyUserName + proxyPassword, and only
    // when the proxy offers that scheme (the password never goes out under a weaker one).
    // Negotiate: Kerberos for HTTP/<proxy host>, computed by this client (Qt 6.4's own GSSAPI
    // path asks for HTTPS@host credentials and never engages); with proxyUserName and password,
    // fresh credentials for that user, else the default ticket cache.
    ProxyAuthentication proxyAuthentication = ProxyAuthentication::Negotiate;
    QString proxyUserName;
    std::shared_ptr<const Secret> proxyPassword; // shared so settings stay copyable; held once
    QByteArray userAgent = QByteArrayLiteral("PSRemote/" PSREMOTE_VERSION);

    static ChannelSettings from(const ConnectionTarget &target, const SessionOption &options);
};

// One authenticated WinRM channel: one QNetworkAccessManager (so one TCP connection), HTTP/2 off,
// requests strictly one at a time in post() order. Runs the Authenticator's handshake with
// hand-set Authorization headers, re-authenticates and resends once when a later request gets
// 401 (the connection was replaced), wraps/unwraps bodies when the scheme encrypts. Fully
// asynchronous (no waitFor*, no nested event loops). An authenticator whose legs block (GSSAPI,
// KDC round trips) has each leg run on QThreadPool::globalInstance(); the result comes back by a
// queued call and nothing else touches the authenticator meanwhile. Lives in one thread; owns its
// manager and shares its authenticator only with a running leg (which, should the channel die
// first, destroys it on the worker). Callbacks never run inside post(); destroying the channel
// drops pending requests without calling their callbacks, even with a leg running.
class Channel : public QObject {
    Q_OBJECT
public:
    using RequestId = quint64;
    using Callback = std::function<void(const TransportResult &)>;

    Channel(ChannelSettings settings, std::unique_ptr<Authenticator> authenticator, QObject *parent = nullptr);
    ~Channel() override;

    // Queues a SOAP envelope (UTF-8 XML; re-encoded as UTF-16 with useUtf16).
    RequestId post(QByteArray soapUtf8, Callback done);
    // The callback of a cancelled request runs with Cancelled before cancel() returns.
    void cancel(RequestId id);
    void cancelAll();

    qsizetype pendingCount() const;
    bool isAuthenticated() const;
    const ChannelSettings &settings() const { return m_settings; }

private:
    struct Request {
        RequestId id = 0;
        QByteArray body; // as sent on the wire before wrapping (UTF-8 or UTF-16)
        Callback done;
        bool reauthenticated = false;
        bool proxyRetried = false; // resent once after learning how the proxy authenticates
    };
    enum class Phase { Idle, Handshake, Message };
    // What a handshake leg returns: begin/continueWith give a leg, finish a bool.
    using LegOutcome = std::variant<AuthResult<AuthLeg>, AuthResult<bool>>;
    using LegCall = std::function<LegOutcome(Authenticator &)>;
    using LegContinuation = std::function<void(LegOutcome)>;
    // An HTTP answer, detached from its QNetworkReply so it can outlive it across a leg.
    struct HttpAnswer {
        int status = 0;
        QList<QByteArray> challenges;
        QByteArray contentType;
        QByteArray body;
        QUrl location;
    };
    struct LegShared;

    void scheduleNext();
    void startNext();
    void sendCurrent();
    void sendHandshakeLeg(const AuthLeg &leg);
    void sendMessage(const QByteArray &authorization);
    void issue(const QByteArray &body, const QByteArray &contentType, const QByteArray &authorization);
    void onMetaDataChanged();
    void onReadyRead();
    void onSslErrors(const QList<QSslError> &errors);
    void onEncrypted();
    void onFinished();
    void onProxyAuthenticationRequired(const QNetworkProxy &proxy, QAuthenticator *authenticator);
    void handleProxyChallenge(QList<QByteArray> offered);
    void proxyDecide();
    void negotiateTokenDone(quint64 generation, RequestId id, const std::optional<QByteArray> &token, const QString &problem);
    TransportError proxyError(TransportErrorKind kind, const QString &detail) const;
    std::optional<QNetworkProxy> proxyFor(const QUrl &url) const;
    void handleHttpAnswer(QNetworkReply *reply, QByteArray body);
    void handleFinalAnswer(HttpAnswer answer);
    void runLeg(LegCall call, LegContinuation then);
    void legDone(quint64 generation, LegOutcome outcome);
    TransportError authFailure(const AuthError &error, int httpStatus = 0) const;
    void complete(TransportResult result);
    QByteArray soapContentType() const;

    ChannelSettings m_settings;
    std::shared_ptr<Authenticator> m_auth;
    std::shared_ptr<LegShared> m_legShared;
    LegContinuation m_legThen;
    quint64 m_legGeneration = 0;
    bool m_legRunning = false;
    QNetworkAccessManager *m_manager = nullptr;
    QSslConfiguration m_ssl;
    std::deque<Request> m_queue;
    std::optional<Request> m_current;
    Phase m_phase = Phase::Idle;
    int m_legs = 0;
    QPointer<QNetworkReply> m_reply;
    QByteArray m_received;
    QList<QSslError> m_unignoredSslErrors;
    bool m_pinMismatch = false;
    QSslCertificate m_peerCertificate; // of the current request's TLS handshake
    bool m_cancelling = false;
    bool m_tooLarge = false;
    bool m_connectedOnce = false;
    bool m_scheduled = false;
    RequestId m_nextId = 1;
    // Proxy state: the proxy last heard from ("host:port"), what it offers once learned (from a
    // 407's Proxy-Authenticate or a probe), whether this request's challenge was answered, and a
    // one-use Negotiate header for the next request.
    struct ProxyState;
    std::shared_ptr<ProxyState> m_proxy;
    QObject *m_probe = nullptr;
};

} // namespace Wsman
