#include "wsman/Channel.h"

#include "auth/Digest.h"
#include "auth/Kerberos.h"

#include <QAuthenticator>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkProxyFactory>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QStringEncoder>
#include <QTcpSocket>
#include <QThreadPool>
#include <QTimer>

#include <limits>
#include <mutex>
#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

// A handshake that has not finished after this many legs is broken (NTLM needs 2, SPNEGO 2-3).
constexpr int MaxHandshakeLegs = 10;

bool isCaError(QSslError::SslError e)
{
    switch (e) {
    case QSslError::UnableToGetIssuerCertificate:
    case QSslError::UnableToGetLocalIssuerCertificate:
    case QSslError::UnableToVerifyFirstCertificate:
    case QSslError::SelfSignedCertificate:
    case QSslError::SelfSignedCertificateInChain:
    case QSslError::CertificateUntrusted:
    case QSslError::CertificateRejected:
    case QSslError::UnableToDecryptCertificateSignature:
    case QSslError::CertificateSignatureFailed:
    case QSslError::InvalidCaCertificate:
    case QSslError::PathLengthExceeded:
    case QSslError::InvalidPurpose:
    case QSslError::CertificateNotYetValid:
    case QSslError::CertificateExpired:
        return true;
    default:
        return false;
    }
}

bool isRevocationError(QSslError::SslError e)
{
    switch (e) {
    case QSslError::CertificateRevoked:
    case QSslError::InvalidNotBeforeField:
    case QSslError::InvalidNotAfterField:
    case QSslError::OcspNoResponseFound:
    case QSslError::OcspMalformedRequest:
    case QSslError::OcspMalformedResponse:
    case QSslError::OcspInternalError:
    case QSslError::OcspTryLater:
    case QSslError::OcspSigRequred:
    case QSslError::OcspUnauthorized:
    case QSslError::OcspResponseCannotBeTrusted:
    case QSslError::OcspResponseCertIdUnknown:
    case QSslError::OcspResponseExpired:
    case QSslError::OcspStatusUnknown:
        return true;
    default:
        return false;
    }
}

QList<QByteArray> headerValues(const QNetworkReply *reply, QByteArrayView name)
{
    QList<QByteArray> values;
    for (const auto &[key, value] : reply->rawHeaderPairs()) {
        if (QByteArrayView(key).compare(name, Qt::CaseInsensitive) == 0)
            values.append(value);
    }
    return values;
}

TransportError makeError(TransportErrorKind kind, QString detail)
{
    TransportError e;
    e.kind = kind;
    e.detail = std::move(detail);
    return e;
}

QString networkErrorText(const QNetworkReply *reply)
{
    return u"%1 (QNetworkReply error %2)"_s.arg(reply->errorString()).arg(int(reply->error()));
}

QString addressOf(const QNetworkProxy &proxy)
{
    const QString host = proxy.hostName().contains(u':') ? u'[' + proxy.hostName() + u']' : proxy.hostName();
    return host + u':' + QString::number(proxy.port());
}

// The proxy for each request of one manager (Qt's switch for the system proxy is global): the
// --proxy one or the system's, carrying a one-use Negotiate header for a CONNECT. Called on the
// manager's thread only.
class ChannelProxyFactory final : public QNetworkProxyFactory {
public:
    ChannelProxyFactory(std::optional<QNetworkProxy> fixed, std::shared_ptr<QByteArray> connectAuthorization)
        : m_fixed(std::move(fixed)), m_connectAuthorization(std::move(connectAuthorization))
    {
    }
    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery &query) override
    {
        QList<QNetworkProxy> proxies = m_fixed ? QList<QNetworkProxy>{*m_fixed} : systemProxyForQuery(query);
        if (!m_connectAuthorization->isEmpty()) {
            for (QNetworkProxy &p : proxies)
                if (p.type() == QNetworkProxy::HttpProxy)
                    p.setRawHeader(QByteArrayLiteral("Proxy-Authorization"), *m_connectAuthorization);
        }
        return proxies;
    }

private:
    std::optional<QNetworkProxy> m_fixed;
    std::shared_ptr<QByteArray> m_connectAuthorization;
};

// Learns which schemes a proxy offers when Qt would not say (a CONNECT's 407 is not exposed):
// one unauthenticated request like the real one (CONNECT host:port for https, HEAD with the
// absolute URL for http), the Proxy-Authenticate values of the answer, then it closes. Bounded
// by a timeout and a 64 KiB header limit; owned by the Channel, deleted after its callback.
class ProxyProbe final : public QObject {
public:
    using Done = std::function<void(std::optional<QList<QByteArray>>)>;

    ProxyProbe(const QNetworkProxy &proxy, const QUrl &target, qint64 timeoutMs, Done done, QObject *parent)
        : QObject(parent), m_done(std::move(done))
    {
        const QString port = QString::number(target.port(target.scheme() == u"https"_s ? 443 : 80));
        const QByteArray authority = (target.host(QUrl::FullyEncoded) + u':' + port).toUtf8();
        if (target.scheme().compare(u"https", Qt::CaseInsensitive) == 0)
            m_request = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n";
        else
            m_request = "HEAD " + target.toEncoded(QUrl::RemoveUserInfo) + " HTTP/1.1\r\nHost: " + authority
                      + "\r\nConnection: close\r\n\r\n";
        m_socket.setProxy(QNetworkProxy::NoProxy);
        connect(&m_socket, &QTcpSocket::connected, this, [this] { m_socket.write(m_request); });
        connect(&m_socket, &QTcpSocket::readyRead, this, &ProxyProbe::onReadyRead);
        connect(&m_socket, &QTcpSocket::errorOccurred, this, [this] { finish(std::nullopt); });
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, [this] { finish(std::nullopt); });
        m_timer.start(int(qBound(qint64(1), timeoutMs, qint64(std::numeric_limits<int>::max()))));
        m_socket.connectToHost(proxy.hostName(), proxy.port());
    }

private:
    void onReadyRead()
    {
        constexpr qsizetype MaxHeader = 64 * 1024;
        m_buffer += m_socket.read(MaxHeader - m_buffer.size() + 1);
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0) {
            if (m_buffer.size() > MaxHeader)
                finish(std::nullopt);
            return;
        }
        QList<QByteArray> offered;
        const QList<QByteArray> lines = m_buffer.left(end).split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && QByteArrayView(line.left(colon)).trimmed().compare("Proxy-Authenticate", Qt::CaseInsensitive) == 0)
                offered.append(line.mid(colon + 1).trimmed());
        }
        finish(offered);
    }
    void finish(std::optional<QList<QByteArray>> offered)
    {
        if (!m_done)
            return;
        Done done = std::move(m_done);
        m_done = nullptr;
        m_timer.stop();
        m_socket.disconnect(this);
        m_socket.abort();
        done(std::move(offered));
    }

    QTcpSocket m_socket;
    QTimer m_timer;
    QByteArray m_request;
    QByteArray m_buffer;
    Done m_done;
};

QByteArray schemeOf(const QByteArray &challenge)
{
    const qsizetype space = challenge.indexOf(' ');
    return (space < 0 ? challenge : challenge.left(space)).trimmed().toLower();
}

QByteArray schemeName(ProxyAuthentication method)
{
    switch (method) {
    case ProxyAuthentication::Basic:
        return QByteArrayLiteral("basic");
    case ProxyAuthentication::Digest:
        return QByteArrayLiteral("digest");
    case ProxyAuthentication::Negotiate:
        break;
    }
    return QByteArrayLiteral("negotiate");
}

QString displayName(ProxyAuthentication method)
{
    switch (method) {
    case ProxyAuthentication::Basic:
        return u"Basic"_s;
    case ProxyAuthentication::Digest:
        return u"Digest"_s;
    case ProxyAuthentication::Negotiate:
        break;
    }
    return u"Negotiate"_s;
}

} // namespace

struct Channel::ProxyState {
    std::optional<QNetworkProxy> lastProxy;       // the proxy last heard from (signal or settings)
    std::optional<QList<QByteArray>> offered;     // its Proxy-Authenticate values, once learned
    bool answered = false;                        // this request's challenge got our credentials
    QByteArray negotiateHeader;                   // one-use, for the next plain-http request
    std::shared_ptr<QByteArray> connectAuthorization = std::make_shared<QByteArray>(); // one-use, CONNECT
    quint64 generation = 0;                       // of the Negotiate token computation
    // Plain http through a forward proxy: Qt does not answer a 407 for a request with
    // AuthenticationReuseAttribute Manual (which server authentication needs), so the channel
    // writes Proxy-Authorization itself once it knows the proxy offers the configured scheme.
    bool forwardArmed = false;
    std::optional<Auth::DigestClient> digest;
};

// Shared between the Channel and its running legs: a leg posts its result only while the Channel
// is alive (the destructor clears `channel` under the mutex; posted events die with the object).
struct Channel::LegShared {
    std::mutex mutex;
    Channel *channel = nullptr;
};

ChannelSettings ChannelSettings::from(const ConnectionTarget &target, const SessionOption &options)
{
    ChannelSettings s;
    s.url = target.url;
    s.operationTimeoutMs = options.operationTimeoutMs;
    s.openTimeoutMs = options.openTimeoutMs;
    s.noEncryption = options.noEncryption;
    s.useUtf16 = options.useUtf16;
    s.skipCACheck = options.skipCACheck;
    s.skipCNCheck = options.skipCNCheck;
    s.skipRevocationCheck = options.skipRevocationCheck;
    // users-and-peers 0.2: None passes no proxy setting (the WinRM client's default, WinHTTP's
    // machine setting, is on Linux nothing: direct); NoProxyServer forbids a proxy.
    s.useSystemProxy = options.proxyAccessType != ProxyAccessType::None
                    && options.proxyAccessType != ProxyAccessType::NoProxyServer;
    if (options.proxy.isValid() && !options.proxy.isEmpty() && options.proxyAccessType != ProxyAccessType::NoProxyServer)
        s.proxy = options.proxy;
    s.proxyAuthentication = options.proxyAuthentication;
    s.proxyUserName = options.proxyCredentialUserName;
    return s;
}

Channel::Channel(ChannelSettings settings, std::unique_ptr<Authenticator> authenticator, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
    , m_auth(std::move(authenticator))
    , m_legShared(std::make_shared<LegShared>())
    , m_manager(new QNetworkAccessManager(this))
    , m_ssl(QSslConfiguration::defaultConfiguration())
    , m_proxy(std::make_shared<ProxyState>())
{
    m_manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    if (m_settings.proxy || m_settings.useSystemProxy) {
        std::optional<QNetworkProxy> fixed;
        if (m_settings.proxy) {
            fixed = QNetworkProxy(QNetworkProxy::HttpProxy, m_settings.proxy->host(), quint16(m_settings.proxy->port(8080)));
            m_proxy->lastProxy = fixed;
        }
        // The manager takes ownership.
        m_manager->setProxyFactory(new ChannelProxyFactory(std::move(fixed), m_proxy->connectAuthorization));
        connect(m_manager, &QNetworkAccessManager::proxyAuthenticationRequired, this, &Channel::onProxyAuthenticationRequired);
    } else {
        m_manager->setProxy(QNetworkProxy::NoProxy);
    }
    if (!m_settings.extraCaCertificates.isEmpty())
        m_ssl.addCaCertificates(m_settings.extraCaCertificates);
    if (m_settings.clientCertificate) {
        QList<QSslCertificate> chain{m_settings.clientCertificate->certificate};
        chain += m_settings.clientCertificate->chain;
        m_ssl.setLocalCertificateChain(chain);
        m_ssl.setPrivateKey(m_settings.clientCertificate->privateKey);
    }
    // HTTP/1.1 only: authentication is bound to one TCP connection.
    m_ssl.setAllowedNextProtocols({QSslConfiguration::NextProtocolHttp1_1});
    m_legShared->channel = this;
}

Channel::~Channel()
{
    {
        const std::lock_guard lock(m_legShared->mutex);
        m_legShared->channel = nullptr;
    }
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        delete m_reply.data();
    }
}

Channel::RequestId Channel::post(QByteArray soapUtf8, Callback done)
{
    Request request;
    request.id = m_nextId++;
    const RequestId id = request.id;
    if (m_settings.useUtf16) {
        // Dossier 1.13: UseUTF16 sends UTF-16 (little endian, with a byte order mark).
        const QString text = QString::fromUtf8(soapUtf8);
        QStringEncoder encoder(QStringConverter::Utf16LE);
        request.body = QByteArray("\xFF\xFE", 2) + QByteArray(encoder.encode(text));
    } else {
        request.body = std::move(soapUtf8);
    }
    request.done = std::move(done);
    m_queue.push_back(std::move(request));
    scheduleNext();
    return id;
}

void Channel::cancel(RequestId id)
{
    if (m_current && m_current->id == id) {
        if (m_reply) {
            m_cancelling = true;
            m_reply->abort(); // finishes synchronously -> complete(Cancelled)
        } else if (m_legRunning) {
            // The leg's result will be stale: legDone() resets the authenticator then.
            ++m_legGeneration;
            complete(makeError(TransportErrorKind::Cancelled, u"cancelled during authentication"_s));
        }
        return;
    }
    for (auto it = m_queue.begin(); it != m_queue.end(); ++it) {
        if (it->id == id) {
            Callback done = std::move(it->done);
            m_queue.erase(it);
            if (done)
                done(makeError(TransportErrorKind::Cancelled, u"cancelled before it was sent"_s));
            return;
        }
    }
}

void Channel::cancelAll()
{
    std::deque<Request> queued;
    queued.swap(m_queue);
    if (m_current)
        cancel(m_current->id);
    for (Request &r : queued) {
        if (r.done)
            r.done(makeError(TransportErrorKind::Cancelled, u"cancelled before it was sent"_s));
    }
}

qsizetype Channel::pendingCount() const
{
    return qsizetype(m_queue.size()) + (m_current ? 1 : 0);
}

bool Channel::isAuthenticated() const
{
    return m_auth && !m_legRunning && m_auth->isEstablished();
}

void Channel::scheduleNext()
{
    if (m_scheduled || m_current)
        return;
    m_scheduled = true;
    QTimer::singleShot(0, this, [this] {
        m_scheduled = false;
        startNext();
    });
}

void Channel::startNext()
{
    if (m_current || m_queue.empty() || m_legRunning)
        return;
    m_current = std::move(m_queue.front());
    m_queue.pop_front();

    // PowerShell on Unix refuses Basic over HTTP; so do we, before any byte is sent.
    const bool plainHttp = m_settings.url.scheme().compare(u"https", Qt::CaseInsensitive) != 0;
    if (plainHttp && m_auth->requiresHttps()) {
        complete(makeError(TransportErrorKind::InsecureRefused,
                           u"client certificate authentication exists only inside TLS; use HTTPS (NoEncryption=true does not change that)"_s));
        return;
    }
    if (plainHttp && !m_auth->isSafeOverPlainHttp() && !m_settings.noEncryption) {
        complete(makeError(TransportErrorKind::InsecureRefused,
                           u"%1 authentication over plain HTTP sends credentials unprotected; refused without NoEncryption=true"_s
                               .arg(QString::fromLatin1(m_auth->scheme()))));
        return;
    }
    sendCurrent();
}

void Channel::sendCurrent()
{
    if (m_auth->isEstablished()) {
        m_phase = Phase::Message;
        sendMessage(m_auth->requestAuthorization());
        return;
    }
    m_legs = 0;
    if (m_auth->wantsServerCertificateFirst() && m_settings.url.scheme().compare(u"https", Qt::CaseInsensitive) == 0) {
        // Channel bindings go into the first token: learn the certificate from an
        // unauthenticated request's 401 first.
        m_phase = Phase::Handshake;
        ++m_legs;
        issue({}, soapContentType(), {});
        return;
    }
    runLeg([](Authenticator &auth) { return LegOutcome(auth.begin()); }, [this](LegOutcome outcome) {
        const auto &leg = std::get<0>(outcome);
        if (!leg) {
            complete(authFailure(leg.error()));
            return;
        }
        sendHandshakeLeg(leg.value());
    });
}

void Channel::runLeg(LegCall call, LegContinuation then)
{
    if (!m_auth->blocksOnLegs()) {
        then(call(*m_auth));
        return;
    }
    m_legRunning = true;
    m_legThen = std::move(then);
    const quint64 generation = ++m_legGeneration;
    QThreadPool::globalInstance()->start(
        [shared = m_legShared, auth = m_auth, call = std::move(call), generation]() mutable {
            LegOutcome outcome = call(*auth);
            auth.reset(); // the last owner when the channel is gone: destroyed here, not later
            const std::lock_guard lock(shared->mutex);
            if (!shared->channel)
                return;
            QPointer<Channel> channel = shared->channel;
            QMetaObject::invokeMethod(
                shared->channel,
                [channel, generation, outcome = std::move(outcome)]() mutable {
                    if (channel)
                        channel->legDone(generation, std::move(outcome));
                },
                Qt::QueuedConnection);
        });
}

void Channel::legDone(quint64 generation, LegOutcome outcome)
{
    m_legRunning = false;
    LegContinuation then = std::move(m_legThen);
    m_legThen = nullptr;
    if (generation != m_legGeneration || !m_current) {
        // The request was cancelled meanwhile: the half-made context is of no use.
        m_auth->reset();
        scheduleNext();
        return;
    }
    then(std::move(outcome));
}

TransportError Channel::authFailure(const AuthError &error, int httpStatus) const
{
    TransportError e = makeError(TransportErrorKind::AuthenticationFailed, error.detail);
    e.authError = error.code;
    e.httpStatus = httpStatus;
    return e;
}

void Channel::sendHandshakeLeg(const AuthLeg &leg)
{
    m_phase = Phase::Handshake;
    ++m_legs;
    if (m_auth->encryptsMessages())
        issue({}, soapContentType(), leg.authorization); // dossier 4.6: legs carry no body
    else
        issue(m_current->body, soapContentType(), leg.authorization);
}

void Channel::sendMessage(const QByteArray &authorization)
{
    m_phase = Phase::Message;
    if (m_auth->encryptsMessages()) {
        auto wrapped = m_auth->wrap(m_current->body, soapContentType());
        if (!wrapped) {
            complete(makeError(TransportErrorKind::MessageProtection, wrapped.error().detail));
            return;
        }
        issue(wrapped.value().body, wrapped.value().contentType, authorization);
    } else {
        issue(m_current->body, soapContentType(), authorization);
    }
}

QByteArray Channel::soapContentType() const
{
    return m_settings.useUtf16 ? QByteArrayLiteral("application/soap+xml;charset=UTF-16")
                               : QByteArrayLiteral("application/soap+xml;charset=UTF-8");
}

void Channel::issue(const QByteArray &body, const QByteArray &contentType, const QByteArray &authorization)
{
    QNetworkRequest request(m_settings.url);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    request.setAttribute(QNetworkRequest::AuthenticationReuseAttribute, QNetworkRequest::Manual);
    request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    request.setHeader(QNetworkRequest::UserAgentHeader, m_settings.userAgent);
    request.setRawHeader(QByteArrayLiteral("Accept-Encoding"), QByteArrayLiteral("identity"));
    if (!authorization.isEmpty())
        request.setRawHeader(QByteArrayLiteral("Authorization"), authorization);
    m_proxy->answered = false;
    if (!m_proxy->negotiateHeader.isEmpty()) {
        request.setRawHeader(QByteArrayLiteral("Proxy-Authorization"), std::exchange(m_proxy->negotiateHeader, {}));
        m_proxy->answered = true;
    } else if (m_proxy->forwardArmed) {
        QByteArray header;
        if (m_settings.proxyAuthentication == ProxyAuthentication::Basic) {
            header = "Basic " + QByteArray(m_settings.proxyUserName.toUtf8() + ':' + m_settings.proxyPassword->utf8()).toBase64();
        } else if (m_proxy->digest) {
            // A forward proxy sees the absolute URL as the request-target.
            if (auto value = m_proxy->digest->authorization("POST", m_settings.url.toEncoded(QUrl::RemoveUserInfo | QUrl::RemoveFragment)))
                header = value.value();
        }
        if (!header.isEmpty()) {
            request.setRawHeader(QByteArrayLiteral("Proxy-Authorization"), header);
            m_proxy->answered = true;
        }
    }
    const qint64 timeout = m_connectedOnce ? m_settings.operationTimeoutMs + m_settings.readTimeoutMarginMs
                                           : m_settings.openTimeoutMs;
    request.setTransferTimeout(int(qBound(qint64(1), timeout, qint64(std::numeric_limits<int>::max()))));
    if (m_settings.url.scheme().compare(u"https", Qt::CaseInsensitive) == 0)
        request.setSslConfiguration(m_ssl);

    m_received.clear();
    m_unignoredSslErrors.clear();
    m_pinMismatch = false;
    m_peerCertificate.clear();
    m_tooLarge = false;
    m_cancelling = false;
    QNetworkReply *reply = m_manager->post(request, body);
    m_reply = reply;
    connect(reply, &QNetworkReply::metaDataChanged, this, &Channel::onMetaDataChanged);
    connect(reply, &QNetworkReply::readyRead, this, &Channel::onReadyRead);
    connect(reply, &QNetworkReply::sslErrors, this, &Channel::onSslErrors);
    connect(reply, &QNetworkReply::encrypted, this, &Channel::onEncrypted);
    connect(reply, &QNetworkReply::finished, this, &Channel::onFinished);
}

void Channel::onMetaDataChanged()
{
    // Refuse a declared length over the limit before any of the body arrives.
    if (!m_reply || !m_settings.maxResponseSize || m_tooLarge)
        return;
    const QVariant length = m_reply->header(QNetworkRequest::ContentLengthHeader);
    if (length.isValid() && length.toLongLong() > *m_settings.maxResponseSize) {
        m_tooLarge = true;
        m_reply->abort();
    }
}

void Channel::onReadyRead()
{
    if (!m_reply || m_tooLarge)
        return;
    const QByteArray chunk = m_reply->readAll();
    if (m_settings.maxResponseSize && m_received.size() + chunk.size() > *m_settings.maxResponseSize) {
        m_tooLarge = true;
        m_received.clear();
        m_reply->abort();
        return;
    }
    m_received.append(chunk);
}

namespace {

QByteArray sha256Of(const QSslCertificate &certificate)
{
    return certificate.isNull() ? QByteArray() : certificate.digest(QCryptographicHash::Sha256);
}

} // namespace

void Channel::onSslErrors(const QList<QSslError> &errors)
{
    QList<QSslError> ignorable;
    m_unignoredSslErrors.clear();
    if (m_reply)
        m_peerCertificate = m_reply->sslConfiguration().peerCertificate();
    if (!m_settings.pinnedSha256.isEmpty()) {
        if (m_settings.pinnedSha256.contains(sha256Of(m_peerCertificate))) {
            if (m_reply)
                m_reply->ignoreSslErrors(errors); // the user pinned exactly this certificate
            return;
        }
        m_pinMismatch = true;
        m_unignoredSslErrors = errors;
        return;
    }
    for (const QSslError &e : errors) {
        const bool skip = (m_settings.skipCACheck && isCaError(e.error()))
                       || (m_settings.skipCNCheck && e.error() == QSslError::HostNameMismatch)
                       || (m_settings.skipRevocationCheck && isRevocationError(e.error()));
        if (skip)
            ignorable.append(e);
        else
            m_unignoredSslErrors.append(e);
    }
    if (m_unignoredSslErrors.isEmpty() && m_reply)
        m_reply->ignoreSslErrors(ignorable);
}

// Called once the TLS handshake succeeded (CA-valid or errors ignored): with pins, only a
// pinned certificate may carry on.
void Channel::onEncrypted()
{
    if (!m_reply)
        return;
    m_peerCertificate = m_reply->sslConfiguration().peerCertificate();
    if (!m_settings.pinnedSha256.isEmpty() && !m_settings.pinnedSha256.contains(sha256Of(m_peerCertificate))) {
        m_pinMismatch = true;
        m_reply->abort();
    }
}

void Channel::onFinished()
{
    QNetworkReply *reply = m_reply.data();
    if (!reply || sender() != reply)
        return;
    m_reply.clear();
    reply->deleteLater();
    reply->disconnect(this);

    if (!m_tooLarge && reply->isOpen())
        m_received.append(reply->readAll());
    QByteArray body = std::move(m_received);
    m_received.clear();

    const QVariant statusAttribute = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    const QNetworkReply::NetworkError error = reply->error();
    m_proxy->connectAuthorization->clear(); // a Negotiate token serves one CONNECT only

    if (!m_tooLarge && !m_cancelling && error == QNetworkReply::ProxyAuthenticationRequiredError) {
        m_auth->reset();
        handleProxyChallenge(headerValues(reply, "Proxy-Authenticate"));
        return;
    }

    if (m_tooLarge || m_cancelling || !statusAttribute.isValid()) {
        // No (complete) HTTP answer: the connection, and any context bound to it, is gone.
        m_auth->reset();
        if (m_tooLarge) {
            complete(makeError(TransportErrorKind::ResponseTooLarge,
                               u"response body larger than the limit of %1 bytes"_s.arg(*m_settings.maxResponseSize)));
            return;
        }
        if (m_pinMismatch) {
            TransportError e = makeError(TransportErrorKind::Tls,
                                         u"the server's certificate (SHA-256 %1) is not the one pinned for this endpoint: "
                                         "it changed since it was pinned, or someone is in between"_s
                                             .arg(QString::fromLatin1(sha256Of(m_peerCertificate).toHex(':'))));
            e.pinMismatch = true;
            e.peerCertificate = m_peerCertificate;
            complete(std::move(e));
            return;
        }
        if (m_cancelling) {
            complete(makeError(TransportErrorKind::Cancelled, u"cancelled"_s));
            return;
        }
        TransportErrorKind kind = TransportErrorKind::Unreachable;
        TransportError e = makeError(kind, networkErrorText(reply));
        switch (error) {
        case QNetworkReply::HostNotFoundError:
            e.kind = TransportErrorKind::NameResolution;
            break;
        case QNetworkReply::ConnectionRefusedError:
            e.kind = TransportErrorKind::ConnectionRefused;
            break;
        case QNetworkReply::RemoteHostClosedError:
            e.kind = TransportErrorKind::ConnectionClosed;
            break;
        case QNetworkReply::TimeoutError:
        case QNetworkReply::OperationCanceledError: // setTransferTimeout aborts this way
            e.kind = TransportErrorKind::TimedOut;
            break;
        case QNetworkReply::ProxyConnectionRefusedError:
        case QNetworkReply::ProxyConnectionClosedError:
        case QNetworkReply::ProxyNotFoundError:
        case QNetworkReply::ProxyTimeoutError:
            e = proxyError(TransportErrorKind::ProxyUnreachable, networkErrorText(reply));
            break;
        case QNetworkReply::SslHandshakeFailedError:
            e.kind = TransportErrorKind::Tls;
            e.sslErrors = m_unignoredSslErrors;
            e.peerCertificate = m_peerCertificate;
            for (const QSslError &s : std::as_const(m_unignoredSslErrors))
                e.detail += u"; "_s + s.errorString();
            break;
        default:
            break;
        }
        if (e.kind == TransportErrorKind::ConnectionRefused || e.kind == TransportErrorKind::NameResolution) {
            // Through a forward proxy Qt reports the proxy's socket errors as plain ones: the
            // connection that failed was the one to the proxy.
            if (const auto used = proxyFor(m_settings.url)) {
                m_proxy->lastProxy = used;
                e = proxyError(TransportErrorKind::ProxyUnreachable, e.detail);
            }
        }
        complete(std::move(e));
        return;
    }
    m_connectedOnce = true;
    handleHttpAnswer(reply, std::move(body));
}

std::optional<QNetworkProxy> Channel::proxyFor(const QUrl &url) const
{
    if (!m_settings.proxy && !m_settings.useSystemProxy)
        return std::nullopt;
    QNetworkProxyFactory *factory = m_manager->proxyFactory();
    const QList<QNetworkProxy> proxies = factory ? factory->queryProxy(QNetworkProxyQuery(url)) : QList<QNetworkProxy>();
    if (proxies.isEmpty() || proxies.first().type() == QNetworkProxy::NoProxy || proxies.first().type() == QNetworkProxy::DefaultProxy)
        return std::nullopt;
    return proxies.first();
}

TransportError Channel::proxyError(TransportErrorKind kind, const QString &detail) const
{
    TransportError e = makeError(kind, detail);
    if (m_proxy->lastProxy)
        e.proxy = addressOf(*m_proxy->lastProxy);
    if (m_proxy->offered) {
        for (const QByteArray &challenge : std::as_const(*m_proxy->offered)) {
            const QByteArray scheme = schemeOf(challenge);
            const QString name = QString::fromLatin1(scheme.left(1).toUpper() + scheme.mid(1));
            if (!scheme.isEmpty() && !e.proxyOffered.contains(name))
                e.proxyOffered.append(name);
        }
    }
    if (!e.proxy.isEmpty())
        e.detail = u"proxy %1: %2"_s.arg(e.proxy, detail);
    return e;
}

// Qt asks for proxy credentials after a 407 (per connection, again after a failed attempt).
// Only the configured scheme gets them, only once per request, and only when the proxy is known
// to offer it: Qt picks the strongest scheme offered (Negotiate, Digest, NTLM, Basic), so the
// password never goes out under a weaker one than chosen. Unanswered, the request ends in 407.
void Channel::onProxyAuthenticationRequired(const QNetworkProxy &proxy, QAuthenticator *authenticator)
{
    m_proxy->lastProxy = proxy;
    const ProxyAuthentication method = m_settings.proxyAuthentication;
    const bool tunnel = m_settings.url.scheme().compare(u"https", Qt::CaseInsensitive) == 0;
    if (!tunnel || method == ProxyAuthentication::Negotiate || m_proxy->answered || !m_proxy->offered)
        return;
    if (m_settings.proxyUserName.isEmpty() || !m_settings.proxyPassword)
        return;
    bool offered = false;
    for (const QByteArray &challenge : std::as_const(*m_proxy->offered))
        offered = offered || schemeOf(challenge) == schemeName(method);
    if (!offered)
        return;
    m_proxy->answered = true;
    authenticator->setUser(m_settings.proxyUserName);
    authenticator->setPassword(QString::fromUtf8(m_settings.proxyPassword->utf8()));
}

// The request ended in 407. Learn what the proxy offers (the 407's headers, else a probe), then
// resend once with the configured scheme; a second 407 is final.
void Channel::handleProxyChallenge(QList<QByteArray> offered)
{
    if (m_proxy->answered && m_proxy->digest && !m_current->proxyRetried && !offered.isEmpty()) {
        // RFC 7616 3.3: stale=true means the nonce expired, not the password: answer the new one once.
        auto challenge = Auth::selectDigestChallenge(offered);
        if (challenge && challenge.value().stale) {
            m_proxy->digest->setChallenge(challenge.value());
            m_current->proxyRetried = true;
            sendCurrent();
            return;
        }
    }
    if (m_proxy->answered) {
        complete(proxyError(TransportErrorKind::ProxyAuthenticationFailed,
                            u"the proxy refused the %1 credentials of user %2 (HTTP 407)"_s.arg(
                                displayName(m_settings.proxyAuthentication), m_settings.proxyUserName)));
        return;
    }
    if (m_current->proxyRetried) {
        complete(proxyError(TransportErrorKind::ProxyAuthenticationFailed,
                            m_settings.proxyAuthentication == ProxyAuthentication::Negotiate
                                ? u"the proxy refused the Negotiate (Kerberos) token (HTTP 407)"_s
                                : u"the proxy still requires authentication (HTTP 407)"_s));
        return;
    }
    if (!offered.isEmpty()) {
        m_proxy->offered = std::move(offered);
        proxyDecide();
        return;
    }
    if (!m_proxy->lastProxy) {
        complete(proxyError(TransportErrorKind::ProxyAuthenticationFailed, u"the proxy requires authentication (HTTP 407)"_s));
        return;
    }
    delete m_probe;
    const RequestId id = m_current->id;
    m_probe = new ProxyProbe(*m_proxy->lastProxy, m_settings.url, m_settings.openTimeoutMs,
                             [this, id](std::optional<QList<QByteArray>> learned) {
                                 m_probe->deleteLater();
                                 m_probe = nullptr;
                                 if (!m_current || m_current->id != id)
                                     return; // cancelled meanwhile
                                 if (!learned) {
                                     complete(proxyError(TransportErrorKind::ProxyAuthenticationFailed,
                                                         u"the proxy requires authentication (HTTP 407) and did not say how"_s));
                                     return;
                                 }
                                 m_proxy->offered = std::move(*learned);
                                 proxyDecide();
                             },
                             this);
}

void Channel::proxyDecide()
{
    const ProxyAuthentication method = m_settings.proxyAuthentication;
    bool offered = false;
    for (const QByteArray &challenge : std::as_const(*m_proxy->offered))
        offered = offered || schemeOf(challenge) == schemeName(method);
    if (!offered) {
        complete(proxyError(TransportErrorKind::ProxyAuthenticationFailed,
                            u"the proxy does not offer %1 authentication (ProxyAuthentication); nothing was sent"_s.arg(
                                displayName(method))));
        return;
    }
    if (method != ProxyAuthentication::Negotiate) {
        if (m_settings.proxyUserName.isEmpty() || !m_settings.proxyPassword) {
            complete(proxyError(TransportErrorKind::ProxyAuthenticationFailed,
                                u"the proxy requires %1 authentication and no proxy credential was given"_s.arg(displayName(method))));
            return;
        }
        if (m_settings.url.scheme().compare(u"https", Qt::CaseInsensitive) != 0) {
            if (method == ProxyAuthentication::Digest) {
                auto challenge = Auth::selectDigestChallenge(*m_proxy->offered);
                if (!challenge) {
                    complete(proxyError(TransportErrorKind::ProxyAuthenticationFailed,
                                        u"the proxy's Digest challenge is unusable: "_s + challenge.error().detail));
                    return;
                }
                m_proxy->digest.emplace(m_settings.proxyUserName, m_settings.proxyPassword->utf8());
                m_proxy->digest->setChallenge(challenge.value());
            }
            m_proxy->forwardArmed = true;
        }
        m_current->proxyRetried = true;
        sendCurrent();
        return;
    }
    // Negotiate: a Kerberos AP-REQ for HTTP/<proxy host>, made off this thread (KDC round trips).
    const quint64 generation = ++m_proxy->generation;
    Auth::KerberosClientOptions options;
    options.host = m_proxy->lastProxy ? m_proxy->lastProxy->hostName() : QString();
    options.user = m_settings.proxyUserName;
    const RequestId id = m_current->id;
    m_legRunning = true;
    QThreadPool::globalInstance()->start(
        [shared = m_legShared, options, password = m_settings.proxyPassword, generation, id] {
            auto client = Auth::KerberosClient::create(options, password ? password->utf8() : QByteArrayView());
            std::optional<QByteArray> token;
            QString problem;
            if (!client) {
                problem = client.error().detail;
            } else if (auto first = client.value().step({}); !first) {
                problem = first.error().detail;
            } else {
                token = first.value();
            }
            const std::lock_guard lock(shared->mutex);
            if (!shared->channel)
                return;
            QPointer<Channel> channel = shared->channel;
            QMetaObject::invokeMethod(
                shared->channel,
                [channel, token = std::move(token), problem, generation, id] {
                    if (channel)
                        channel->negotiateTokenDone(generation, id, token, problem);
                },
                Qt::QueuedConnection);
        });
}

void Channel::negotiateTokenDone(quint64 generation, RequestId id, const std::optional<QByteArray> &token, const QString &problem)
{
    if (m_proxy->generation != generation)
        return;
    m_legRunning = false;
    if (!m_current || m_current->id != id) {
        scheduleNext();
        return;
    }
    if (!token) {
        complete(proxyError(TransportErrorKind::ProxyAuthenticationFailed,
                            u"Negotiate: no Kerberos token for HTTP/%1: %2"_s.arg(
                                m_proxy->lastProxy ? m_proxy->lastProxy->hostName() : QString(), problem)));
        return;
    }
    const QByteArray header = "Negotiate " + token->toBase64();
    if (m_settings.url.scheme().compare(u"https", Qt::CaseInsensitive) == 0)
        *m_proxy->connectAuthorization = header;
    else
        m_proxy->negotiateHeader = header;
    m_current->proxyRetried = true;
    sendCurrent();
}

void Channel::handleHttpAnswer(QNetworkReply *reply, QByteArray body)
{
    HttpAnswer answer;
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.challenges = headerValues(reply, "WWW-Authenticate");
    answer.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    answer.body = std::move(body);
    if (answer.status >= 300 && answer.status < 400)
        answer.location = m_settings.url.resolved(QUrl::fromEncoded(reply->rawHeader("Location")));
    const int status = answer.status;

    if (status == 401) {
        if (m_phase == Phase::Handshake) {
            if (m_legs >= MaxHandshakeLegs) {
                m_auth->reset();
                complete(makeError(TransportErrorKind::AuthenticationFailed, u"handshake did not finish"_s));
                return;
            }
            if (m_settings.url.scheme().compare(u"https", Qt::CaseInsensitive) == 0) {
                const QByteArray der = reply->sslConfiguration().peerCertificate().toDer();
                if (auto bound = m_auth->setServerCertificate(der); !bound) {
                    m_auth->reset();
                    complete(authFailure(bound.error()));
                    return;
                }
            }
            runLeg([challenges = answer.challenges](Authenticator &auth) { return LegOutcome(auth.continueWith(challenges)); },
                   [this, status](LegOutcome outcome) {
                       const auto &leg = std::get<0>(outcome);
                       if (!leg) {
                           m_auth->reset();
                           complete(authFailure(leg.error(), status));
                           return;
                       }
                       sendHandshakeLeg(leg.value());
                   });
            return;
        }
        // A 401 on an authenticated channel: the connection was replaced. Authenticate again
        // and resend, once.
        m_auth->reset();
        if (!m_current->reauthenticated) {
            m_current->reauthenticated = true;
            sendCurrent();
            return;
        }
        TransportError e = makeError(TransportErrorKind::AuthenticationFailed, u"401 after re-authentication"_s);
        e.httpStatus = status;
        complete(std::move(e));
        return;
    }

    if (m_phase == Phase::Handshake) {
        QList<QByteArray> challenges = answer.challenges; // before `answer` moves into the continuation
        runLeg([challenges = std::move(challenges)](Authenticator &auth) { return LegOutcome(auth.finish(challenges)); },
               [this, answer = std::move(answer)](LegOutcome outcome) mutable {
                   const auto &finished = std::get<1>(outcome);
                   if (!finished || !finished.value()) {
                       m_auth->reset();
                       complete(finished ? makeError(TransportErrorKind::AuthenticationFailed, u"handshake incomplete"_s)
                                         : authFailure(finished.error()));
                       return;
                   }
                   if (m_auth->encryptsMessages() && answer.status >= 200 && answer.status < 300) {
                       // The handshake legs carried no body: now send the message itself.
                       sendMessage(m_auth->requestAuthorization());
                       return;
                   }
                   handleFinalAnswer(std::move(answer));
               });
        return;
    }
    handleFinalAnswer(std::move(answer));
}

void Channel::handleFinalAnswer(HttpAnswer answer)
{
    const int status = answer.status;
    QByteArray body = std::move(answer.body);
    const QByteArray &contentType = answer.contentType;
    // A success must be encrypted (unwrap refuses plaintext, so encryption cannot be stripped);
    // an error the HTTP layer itself produced (a 400 or 413 in text/html) arrives in plaintext
    // and is reported as the HTTP error it is.
    QByteArray bodyType = contentType;
    const bool success = status >= 200 && status < 300;
    if (m_auth->encryptsMessages() && !body.isEmpty()
        && (success || contentType.toLower().startsWith("multipart/"))) {
        auto plain = m_auth->unwrap(body, contentType);
        if (!plain) {
            complete(makeError(TransportErrorKind::MessageProtection, plain.error().detail));
            return;
        }
        body = plain.value().body;
        bodyType = plain.value().contentType;
    }

    if (status >= 300 && status < 400) {
        TransportError e = makeError(TransportErrorKind::Redirect, u"HTTP %1 redirect"_s.arg(status));
        e.httpStatus = status;
        e.location = answer.location;
        complete(std::move(e));
        return;
    }
    if (status < 200 || status >= 300) {
        TransportError e = makeError(TransportErrorKind::HttpStatus, u"HTTP %1"_s.arg(status));
        e.httpStatus = status;
        e.body = std::move(body);
        e.contentType = bodyType;
        complete(std::move(e));
        return;
    }
    complete(TransportResponse{status, bodyType, std::move(body)});
}

void Channel::complete(TransportResult result)
{
    std::optional<Request> done;
    done.swap(m_current);
    m_phase = Phase::Idle;
    m_cancelling = false;
    scheduleNext();
    if (done && done->done)
        done->done(result);
}

} // namespace Wsman
