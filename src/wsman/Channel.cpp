#include "wsman/Channel.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkProxyFactory>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QStringEncoder>
#include <QThreadPool>
#include <QTimer>

#include <limits>
#include <mutex>

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

// The system proxy for each request, for one manager only (Qt's switch for it is global).
class SystemProxyFactory final : public QNetworkProxyFactory {
public:
    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery &query) override { return systemProxyForQuery(query); }
};

} // namespace

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
    s.useSystemProxy = options.proxyAccessType != ProxyAccessType::None
                    && options.proxyAccessType != ProxyAccessType::NoProxyServer;
    return s;
}

Channel::Channel(ChannelSettings settings, std::unique_ptr<Authenticator> authenticator, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
    , m_auth(std::move(authenticator))
    , m_legShared(std::make_shared<LegShared>())
    , m_manager(new QNetworkAccessManager(this))
    , m_ssl(QSslConfiguration::defaultConfiguration())
{
    m_manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    if (m_settings.useSystemProxy)
        m_manager->setProxyFactory(new SystemProxyFactory); // the manager takes ownership
    else
        m_manager->setProxy(QNetworkProxy::NoProxy);
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
    if (m_settings.url.scheme().compare(u"https", Qt::CaseInsensitive) != 0 && !m_auth->isSafeOverPlainHttp()
        && !m_settings.noEncryption) {
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
        complete(std::move(e));
        return;
    }
    m_connectedOnce = true;
    handleHttpAnswer(reply, std::move(body));
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
