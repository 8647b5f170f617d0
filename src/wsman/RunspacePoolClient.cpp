#include "wsman/RunspacePoolClient.h"

#include "wsman/BasicAuthenticator.h"
#include "wsman/TraceWriter.h"

#include <QPointer>
#include <QTimer>

#include <algorithm>
#include <climits>
#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

// The channel settings of every channel a client opens: the target's URL and session options
// plus what only ClientOptions carries (extra CAs, pins, client certificate, proxy password).
ChannelSettings channelSettingsFor(const ConnectionTarget &target, const ClientOptions &options)
{
    ChannelSettings settings = ChannelSettings::from(target, options.sessionOption);
    settings.extraCaCertificates = options.extraCaCertificates;
    settings.pinnedSha256 = options.pinnedSha256;
    settings.clientCertificate = options.clientCertificate;
    settings.proxyPassword = options.proxyPassword;
    return settings;
}

// Consecutive Receives lost to a dropped or timed-out connection before the client gives up
// (dossier 1.10: pypsrp retries a Receive up to 5 times).
constexpr int MaxReceiveRetries = 5;

bool isFinal(Psrp::PSInvocationState state)
{
    return state == Psrp::PSInvocationState::Completed || state == Psrp::PSInvocationState::Stopped
        || state == Psrp::PSInvocationState::Failed;
}

ClientError protocolError(const Psrp::Error &error, const QUuid &pipelineId = {})
{
    ClientError e;
    e.kind = error.code == Psrp::ErrorCode::LimitExceeded ? ClientErrorKind::ObjectSizeExceeded
                                                          : ClientErrorKind::Protocol;
    e.detail = error.detail;
    e.protocol = error;
    e.pipelineId = pipelineId;
    return e;
}

ClientError clientError(ClientErrorKind kind, QString detail)
{
    ClientError e;
    e.kind = kind;
    e.detail = std::move(detail);
    return e;
}

} // namespace

AuthenticatorFactory basicAuthenticatorFactory(QString userName, Secret password)
{
    auto shared = std::make_shared<Secret>(std::move(password));
    return [userName = std::move(userName), shared]() -> std::unique_ptr<Authenticator> {
        return std::make_unique<BasicAuthenticator>(userName, Secret::fromUtf8(shared->utf8()));
    };
}

// One running pipeline: its own Receive channel (so Send / Signal never wait behind a long
// poll), the receive loop's bookkeeping and the stop / limit state.
struct RunspacePoolClient::PipelineState {
    QUuid id;
    Channel *receiveChannel = nullptr;
    QTimer *cancelTimer = nullptr;
    bool commandCreated = false;
    bool receiving = false;
    bool finalState = false;
    bool commandDone = false;
    bool terminateSent = false;
    bool finishedEmitted = false;
    bool stopRequested = false;
    // Robust connection: the Command's answer was lost in a drop; a Receive on its CommandId asks
    // the server whether it knows the command (see verifyCommand). Requests for the pipeline wait.
    bool verifying = false;
    QList<HeldRequest> afterVerify;
    int receiveRetries = 0;
    qint64 receivedBytes = 0;
    std::optional<ClientError> localError; // a limit the client enforced
};

RunspacePoolClient::RunspacePoolClient(ClientOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_factory(m_options.authenticatorFactory)
    , m_ids(m_options.idGenerator ? m_options.idGenerator : IdGenerator([] { return QUuid::createUuid(); }))
{
    m_sessionId = m_ids();
    m_pool = std::make_unique<Psrp::ClientRunspacePool>(QUuid(), m_options.minRunspaces, m_options.maxRunspaces,
                                                        m_options.hostInfo);
}

RunspacePoolClient::~RunspacePoolClient()
{
    for (const auto &p : std::as_const(m_pipelines))
        delete p->receiveChannel;
    m_pipelines.clear();
    qDeleteAll(m_idleReceiveChannels);
    delete m_shellChannel;
    delete m_mainChannel;
    delete m_deleteChannel;
    delete m_probeChannel;
    qDeleteAll(m_retired);
}

QUuid RunspacePoolClient::newId()
{
    return m_ids();
}

Psrp::RunspacePoolState RunspacePoolClient::state() const
{
    return m_pool->state();
}

QUuid RunspacePoolClient::shellId() const
{
    return m_pool->id();
}

QVersionNumber RunspacePoolClient::serverProtocolVersion() const
{
    return m_pool->peerProtocolVersion();
}

QList<QUuid> RunspacePoolClient::activePipelines() const
{
    QList<QUuid> ids;
    for (const auto &p : std::as_const(m_pipelines))
        if (!p->finishedEmitted)
            ids.append(p->id);
    return ids;
}

bool RunspacePoolClient::canUseSecureString() const
{
    return m_pool->canUseSecureString();
}

Psrp::Result<Psrp::SecureString> RunspacePoolClient::encryptSecureString(QStringView text) const
{
    return m_pool->encryptSecureString(text);
}

Psrp::Result<QString> RunspacePoolClient::decryptSecureString(const Psrp::SecureString &value) const
{
    return m_pool->decryptSecureString(value);
}

// ---- session setup ---------------------------------------------------------------------------

void RunspacePoolClient::open()
{
    if (m_phase != Phase::Idle) {
        ClientError e = clientError(ClientErrorKind::InvalidState, u"open() called twice"_s);
        QTimer::singleShot(0, this, [this, e] { fail(e); });
        return;
    }
    m_phase = Phase::Creating;
    if (prepare())
        startSession();
}

void RunspacePoolClient::connectExisting(const QUuid &shellId)
{
    if (m_phase != Phase::Idle || shellId.isNull()) {
        ClientError e = clientError(ClientErrorKind::InvalidState,
                                    shellId.isNull() ? u"connectExisting() needs a shell id"_s
                                                     : u"connectExisting() on a client already used"_s);
        QTimer::singleShot(0, this, [this, e] { fail(e); });
        return;
    }
    m_phase = Phase::Creating;
    if (prepare())
        startConnect(shellId);
}

// Trace, connection, channel settings, request context and OpenTimeout; false (failed() queued)
// when one of them is unusable.
bool RunspacePoolClient::prepare()
{
    if (!m_options.tracePath.isEmpty()) {
        m_trace = std::make_unique<TraceWriter>();
        QString why;
        if (!m_trace->open(m_options.tracePath, &why)) {
            m_trace.reset();
            ClientError e = clientError(ClientErrorKind::Trace, why);
            QTimer::singleShot(0, this, [this, e] { fail(e); });
            return false;
        }
    }
    const auto target = m_options.connection.resolve();
    if (!target) {
        ClientError e = clientError(ClientErrorKind::Configuration, target.error().detail);
        e.configError = target.error();
        QTimer::singleShot(0, this, [this, e] { fail(e); });
        return false;
    }
    if (!m_factory) {
        ClientError e = clientError(ClientErrorKind::Configuration, u"no authenticator"_s);
        QTimer::singleShot(0, this, [this, e] { fail(e); });
        return false;
    }
    m_url = target->url;
    m_channelSettings = channelSettingsFor(target.value(), m_options);
    m_context.resourceUri = target->resourceUri;
    m_context.sessionId = m_sessionId;
    m_context.uiCulture = m_options.sessionOption.uiCulture;
    m_context.culture = m_options.sessionOption.culture;
    m_context.operationTimeoutMs = m_options.sessionOption.operationTimeoutMs;

    m_openTimer = new QTimer(this);
    m_openTimer->setSingleShot(true);
    connect(m_openTimer, &QTimer::timeout, this, [this] {
        if (m_pool->state() != Psrp::RunspacePoolState::Opened)
            fail(clientError(ClientErrorKind::OpenTimeout,
                             u"the runspace pool did not open within %1 ms"_s.arg(m_options.sessionOption.openTimeoutMs)));
    });
    m_openTimer->start(int(std::clamp<qint64>(m_options.sessionOption.openTimeoutMs, 0, INT_MAX)));
    m_retryTimer = new QTimer(this);
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, [this] { attemptReconnect(); });
    return true;
}

// MS-PSRP 3.1.5.3.14 / dossier 1.8: a new client connects to a shell the server keeps: Connect
// with connectXml = SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL; the connectResponseXml holds the
// server's SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA, which open the pool; APPLICATION_PRIVATE_DATA
// and RUNSPACEPOOL_STATE follow on the shell Receive.
// What a new session and a connection to an existing shell share: the request context for the
// current URL, a fresh pool engine with the receive limit, and the two long-lived channels.
void RunspacePoolClient::preparePool(const QUuid &poolId)
{
    m_channelSettings.url = m_url;
    m_context.to = m_url.toString(QUrl::FullyEncoded);
    m_context.maxEnvelopeSize = 153600;
    m_pool = std::make_unique<Psrp::ClientRunspacePool>(poolId, m_options.minRunspaces, m_options.maxRunspaces,
                                                        m_options.hostInfo);
    const auto &limit = m_options.sessionOption.maximumReceivedObjectSize;
    m_pool->setMaxReceivedObjectSize(limit ? qsizetype(*limit) : std::numeric_limits<qsizetype>::max());
    m_mainChannel = makeChannel();
    m_shellChannel = makeChannel();
}

void RunspacePoolClient::startConnect(const QUuid &shellId)
{
    preparePool(shellId);
    if (auto r = m_pool->connect(); !r) {
        fail(protocolError(r.error()));
        return;
    }
    processEvents();
    auto first = m_pool->dataToSend(maxSendPayload(m_context));
    if (!first || m_pool->hasDataToSend()) {
        fail(clientError(ClientErrorKind::Protocol, u"the connectXml does not fit one envelope"_s));
        return;
    }
    // The shell is someone's: a failed Connect must not Delete it (see shellMayExist).
    m_createSent = false;
    post(m_mainChannel, Action::Connect, {}, buildConnect(m_context, newId(), shellId, first->data),
         [this](const TransportResponse &response) {
             auto parsed = parseConnectResponse(response.body);
             if (!parsed) {
                 fail(protocolError(parsed.error()));
                 return;
             }
             if (parsed->connectResponseXml.isEmpty()) {
                 fail(clientError(ClientErrorKind::Protocol, u"ConnectResponse without connectResponseXml"_s));
                 return;
             }
             m_phase = Phase::Open;
             m_createSent = true;
             m_shellCreated = true;
             feed({}, parsed->connectResponseXml);
             if (m_phase != Phase::Open)
                 return;
             if (m_pool->state() != Psrp::RunspacePoolState::Opened) {
                 fail(clientError(ClientErrorKind::Protocol, u"the connectResponseXml did not open the pool"_s));
                 return;
             }
             shellReceive();
             pump();
         });
}

Channel *RunspacePoolClient::makeChannel()
{
    return new Channel(m_channelSettings, m_factory(), this);
}

// MS-PSRP 3.1.5.3.1: Create with creationXml = SESSION_CAPABILITY + INIT_RUNSPACEPOOL; what does
// not fit follows with Send.
void RunspacePoolClient::startSession()
{
    preparePool(newId());
    if (auto r = m_pool->open(); !r) {
        fail(protocolError(r.error()));
        return;
    }
    processEvents();
    auto first = m_pool->dataToSend(maxSendPayload(m_context));
    if (!first) {
        fail(clientError(ClientErrorKind::Protocol, u"no creationXml"_s));
        return;
    }
    CreateRequest create;
    create.shellId = m_pool->id();
    create.creationXml = first->data;
    create.noMachineProfile = m_options.sessionOption.noMachineProfile;
    if (m_options.sessionOption.idleTimeoutMs != -1)
        create.idleTimeoutMs = m_options.sessionOption.idleTimeoutMs;
    const quint64 generation = m_generation;
    m_createSent = true;
    m_shellCreated = false;
    post(m_mainChannel, Action::Create, {}, buildCreate(m_context, newId(), create),
         [this, generation](const TransportResponse &response) {
             if (generation == m_generation)
                 onCreated(response);
         });
}

void RunspacePoolClient::onCreated(const TransportResponse &response)
{
    auto created = parseCreateResponse(response.body);
    if (!created) {
        fail(protocolError(created.error()));
        return;
    }
    if (!created->shellId.isEmpty() && QUuid::fromString(created->shellId) != m_pool->id()) {
        fail(clientError(ClientErrorKind::Protocol, u"CreateResponse names shell "_s + created->shellId));
        return;
    }
    m_phase = Phase::Open;
    m_shellCreated = true;
    shellReceive();
    pump();
}

// Dossier 1.12: a redirect is a brand-new session to the new URI, only with -AllowRedirection and
// the ConnectionUri parameter set, at most MaximumConnectionRedirectionCount times. Each hop gets
// new channels (new TCP connections) with new authenticators, from the redirect hook when set;
// the old channels and their security contexts are dropped. PowerShell follows any URI; here an
// https -> http hop is refused unless the new hop's authenticator protects credentials and every
// message on plain HTTP (isSafeOverPlainHttp: Negotiate/Kerberos/NTLM/CredSSP with message
// encryption) - never Basic, whatever NoEncryption says: the user allowed plaintext for the host
// they named, the server chose the new one.
void RunspacePoolClient::handleRedirect(const TransportError &error, Action action)
{
    const int allowed = m_options.connection.effectiveRedirectionCount(m_options.sessionOption);
    ClientError e;
    e.action = action;
    e.transport = error;
    // MS-WSMV / PowerShell: only the request that opens the session (Create) may be redirected;
    // a 302 on a later request is never followed, whatever -AllowRedirection says.
    if (action != Action::Create) {
        e.kind = ClientErrorKind::RedirectNotAllowed;
        e.detail = u"the server redirected %1 to %2 after the shell was created; only Create may be redirected"_s.arg(
            actionName(action), error.location.toString());
        fail(e);
        return;
    }
    if (allowed == 0) {
        e.kind = ClientErrorKind::RedirectNotAllowed;
        e.detail = u"the server redirected to %1; use -AllowRedirection with -ConnectionUri"_s.arg(
            error.location.toString());
        fail(e);
        return;
    }
    if (allowed > 0 && m_redirects >= allowed) {
        e.kind = ClientErrorKind::TooManyRedirects;
        e.detail = u"more than %1 redirects (last to %2)"_s.arg(allowed).arg(error.location.toString());
        fail(e);
        return;
    }
    const QUrl target = m_url.resolved(error.location);
    if (!target.isValid() || (target.scheme() != u"http"_s && target.scheme() != u"https"_s)) {
        e.kind = ClientErrorKind::Transport;
        e.detail = u"invalid redirect location "_s + error.location.toString();
        fail(e);
        return;
    }
    AuthenticatorFactory factory = m_factory;
    if (m_options.redirectAuthenticator) {
        RedirectAuthentication hop = m_options.redirectAuthenticator(target);
        if (!hop.factory) {
            e.kind = ClientErrorKind::RedirectNotAllowed;
            e.detail = u"the redirect to %1 was refused: %2"_s.arg(
                target.toString(), hop.refusal.isEmpty() ? u"no authentication for the new host"_s : hop.refusal);
            fail(e);
            return;
        }
        factory = std::move(hop.factory);
    }
    if (m_url.scheme() == u"https"_s && target.scheme() == u"http"_s) {
        const std::unique_ptr<Authenticator> probe = factory();
        if (!probe || !probe->isSafeOverPlainHttp()) {
            e.kind = ClientErrorKind::RedirectNotAllowed;
            e.detail = u"the redirect to %1 was refused: it leaves HTTPS for plain HTTP, where %2 authentication "
                       "would not protect the credentials and messages"_s.arg(
                           target.toString(), probe ? QString::fromLatin1(probe->scheme()) : u"no"_s);
            fail(e);
            return;
        }
    }
    ++m_redirects;
    resetSession();
    // Certificate pins vouch for the endpoint the user pinned, not for where it redirects: a new
    // host or port gets the ordinary CA verification.
    const auto portOf = [](const QUrl &url) { return url.port(url.scheme() == u"https"_s ? 443 : 80); };
    if (target.host().compare(m_url.host(), Qt::CaseInsensitive) != 0 || portOf(target) != portOf(m_url))
        m_channelSettings.pinnedSha256.clear();
    m_factory = std::move(factory);
    m_url = target;
    startSession();
}

void RunspacePoolClient::resetSession()
{
    ++m_generation;
    for (const auto &p : std::as_const(m_pipelines)) {
        delete p->receiveChannel;
        delete p->cancelTimer;
    }
    m_pipelines.clear();
    for (Channel *c : std::as_const(m_idleReceiveChannels))
        c->deleteLater();
    m_idleReceiveChannels.clear();
    // Channels may be inside one of their own callbacks: delete later.
    if (m_mainChannel)
        m_mainChannel->deleteLater();
    if (m_shellChannel)
        m_shellChannel->deleteLater();
    m_mainChannel = nullptr;
    m_shellChannel = nullptr;
    m_shellReceiving = false;
    m_createSent = false; // the Create was redirected: no shell was made
}

// ---- requests --------------------------------------------------------------------------------

ClientError RunspacePoolClient::errorFrom(const TransportError &error, Action action, const QUuid &pipelineId) const
{
    ClientError e;
    e.action = action;
    e.pipelineId = pipelineId;
    if (error.kind == TransportErrorKind::HttpStatus && isFaultBody(error.body)) {
        if (auto fault = parseFault(error.body)) {
            e.kind = fault->kind() == FaultKind::ShellNotFound ? ClientErrorKind::ShellNotFound : ClientErrorKind::Fault;
            e.detail = u"%1 0x%2 on %3: %4"_s.arg(actionName(action))
                           .arg(QString::number(fault->code, 16).toUpper())
                           .arg(fault->machine, fault->message.isEmpty() ? fault->reason : fault->message);
            e.fault = fault.value();
            return e;
        }
    }
    e.kind = ClientErrorKind::Transport;
    e.detail = actionName(action) + u": "_s + error.detail;
    e.transport = error;
    return e;
}

void RunspacePoolClient::post(Channel *channel, Action action, const QUuid &pipelineId, QByteArray body,
                              std::function<void(const TransportResponse &)> onOk,
                              std::function<bool(const ClientError &)> onError)
{
    if (!channel)
        return;
    // Robust connection: while the network is down, requests wait for it (Receives are not held:
    // their loops restart after the restore).
    if (m_interrupted) {
        if (action != Action::Receive)
            m_held.append(HeldRequest{action, pipelineId, std::move(body), std::move(onOk), std::move(onError)});
        return;
    }
    // Requests on different channels overlap: the trace gets each request together with its
    // response, so TraceDecoder sees legs in pairs.
    QByteArray traced = m_trace ? body : QByteArray();
    // Kept (shared, not copied) for restore() if the network drops before the answer.
    QByteArray resend = action == Action::Receive ? QByteArray() : body;
    const quint64 generation = m_generation;
    QPointer<RunspacePoolClient> self(this);
    channel->post(std::move(body), [self, generation, action, pipelineId, traced, resend, onOk = std::move(onOk),
                                    onError = std::move(onError)](const TransportResult &result) {
        if (!self || generation != self->m_generation)
            return;
        if (!result.ok() && result.error().kind == TransportErrorKind::Cancelled)
            return;
        ++self->m_requestCount;
        if (self->m_trace) {
            self->m_trace->writeRequest(traced);
            if (result.ok())
                self->m_trace->writeResponse(result.response().body);
            else if (!result.error().body.isEmpty())
                self->m_trace->writeResponse(result.error().body);
        }
        if (self->m_phase == Phase::Done)
            return;
        if (result.ok()) {
            onOk(result.response());
            return;
        }
        const TransportError &error = result.error();
        if (error.kind == TransportErrorKind::Redirect) {
            self->handleRedirect(error, action);
            return;
        }
        ClientError e = self->errorFrom(error, action, pipelineId);
        if (onError && onError(e))
            return;
        if (action == Action::Receive && self->m_pool->state() == Psrp::RunspacePoolState::Disconnected)
            return; // a Receive cut by the Disconnect
        if (self->canRideOut(e, action)) {
            // The request may have reached the server (even "connection refused" can follow
            // Qt's own silent resend of a request the server did process): see restore().
            if (action != Action::Receive)
                self->m_held.append(HeldRequest{action, pipelineId, resend, onOk, onError, true});
            self->interrupt(e);
            return;
        }
        if (self->m_interrupted && action == Action::Receive)
            return; // an outstanding Receive that failed once the network was known to be down
        if (e.kind == ClientErrorKind::ShellNotFound) {
            self->fail(e);
            return;
        }
        if (!pipelineId.isNull() && self->m_pipelines.contains(pipelineId) && e.kind == ClientErrorKind::Fault) {
            // A fault on one pipeline's request ends that pipeline, not the pool.
            auto p = self->m_pipelines.value(pipelineId);
            if (!p->localError)
                p->localError = e;
            Q_EMIT self->pipelineError(pipelineId, e);
            p->finalState = true;
            p->commandDone = true;
            self->finishPipeline(pipelineId, Psrp::PSInvocationState::Failed, std::nullopt);
            return;
        }
        self->fail(e);
    });
}

// The pool's Receive loop (MS-PSRP 3.1.5.3.7): kept outstanding for the pool's lifetime on its
// own channel; 0x80338029 means "receive again".
void RunspacePoolClient::shellReceive()
{
    if (m_phase != Phase::Open || m_shellReceiving || !m_shellChannel || m_interrupted || m_disconnecting
        || m_pool->state() == Psrp::RunspacePoolState::Disconnected)
        return;
    m_shellReceiving = true;
    post(m_shellChannel, Action::Receive, {}, buildReceive(m_context, newId(), m_pool->id()),
         [this](const TransportResponse &response) {
             m_shellReceiving = false;
             m_shellRetries = 0;
             auto parsed = parseReceiveResponse(response.body);
             if (!parsed) {
                 fail(protocolError(parsed.error()));
                 return;
             }
             handleReceive({}, parsed.value());
             shellReceive();
         },
         [this](const ClientError &e) {
             m_shellReceiving = false;
             if (e.fault && isReceiveTimeout(*e.fault)) {
                 m_shellRetries = 0;
                 shellReceive();
                 return true;
             }
             if (e.transport && (e.transport->kind == TransportErrorKind::ConnectionClosed
                                 || e.transport->kind == TransportErrorKind::TimedOut)
                 && ++m_shellRetries <= MaxReceiveRetries) {
                 shellReceive();
                 return true;
             }
             return false;
         });
}

void RunspacePoolClient::pipelineReceive(const QUuid &pipelineId)
{
    auto p = m_pipelines.value(pipelineId);
    if (!p || p->receiving || p->terminateSent || m_phase != Phase::Open || (p->finalState && p->commandDone)
        || m_interrupted || m_disconnecting || m_pool->state() == Psrp::RunspacePoolState::Disconnected)
        return;
    if (!p->receiveChannel)
        p->receiveChannel = m_idleReceiveChannels.isEmpty() ? makeChannel() : m_idleReceiveChannels.takeLast();
    p->receiving = true;
    post(p->receiveChannel, Action::Receive, pipelineId, buildReceive(m_context, newId(), m_pool->id(), pipelineId),
         [this, pipelineId](const TransportResponse &response) { onPipelineReceived(pipelineId, response); },
         [this, pipelineId](const ClientError &e) {
             auto q = m_pipelines.value(pipelineId);
             if (!q)
                 return true;
             q->receiving = false;
             if (e.fault && isReceiveTimeout(*e.fault)) {
                 q->receiveRetries = 0;
                 pipelineReceive(pipelineId);
                 return true;
             }
             if (e.transport && (e.transport->kind == TransportErrorKind::ConnectionClosed
                                 || e.transport->kind == TransportErrorKind::TimedOut)
                 && ++q->receiveRetries <= MaxReceiveRetries) {
                 pipelineReceive(pipelineId);
                 return true;
             }
             if (q->finalState) {
                 // The pipeline already ended; a failed trailing Receive only loses CommandState.
                 q->commandDone = true;
                 maybeTerminate(pipelineId);
                 return true;
             }
             return false;
         });
}

void RunspacePoolClient::onPipelineReceived(const QUuid &pipelineId, const TransportResponse &response)
{
    auto q = m_pipelines.value(pipelineId);
    if (!q)
        return;
    q->receiving = false;
    q->receiveRetries = 0;
    auto parsed = parseReceiveResponse(response.body);
    if (!parsed) {
        fail(protocolError(parsed.error(), pipelineId));
        return;
    }
    // While this response is decoded, the server already prepares the next one.
    if (!parsed->commandState || !parsed->commandState->done())
        pipelineReceive(pipelineId);
    handleReceive(pipelineId, parsed.value());
    if (m_pipelines.contains(pipelineId)) {
        maybeTerminate(pipelineId);
        pipelineReceive(pipelineId);
    }
}

void RunspacePoolClient::handleReceive(const QUuid &pipelineId, const ReceiveResponse &parsed)
{
    for (const StreamData &stream : std::as_const(parsed.streams)) {
        const QUuid target = stream.commandId.isEmpty() ? QUuid() : QUuid::fromString(stream.commandId);
        feed(target.isNull() ? pipelineId : target, stream.data);
        if (m_phase == Phase::Done)
            return;
    }
    if (parsed.commandState && !pipelineId.isNull()) {
        if (auto p = m_pipelines.value(pipelineId); p && parsed.commandState->done()) {
            p->commandDone = true;
            if (!p->finalState) {
                // The command ended without a PIPELINE_STATE: nothing more will come.
                p->finalState = true;
                finishPipeline(pipelineId, p->localError ? Psrp::PSInvocationState::Failed
                                                         : Psrp::PSInvocationState::Completed,
                               std::nullopt);
            }
        }
    }
}

// Hands one stream's fragments to the pool; enforces MaximumReceivedDataSizePerCommand and turns
// MaximumReceivedObjectSize refusals into a stopped pipeline (or a failed pool).
void RunspacePoolClient::feed(const QUuid &pipelineId, const QByteArray &data)
{
    std::shared_ptr<PipelineState> p = pipelineId.isNull() ? nullptr : m_pipelines.value(pipelineId);
    if (p && p->localError)
        return; // the pipeline is being stopped; its remaining data is dropped
    if (p) {
        p->receivedBytes += data.size();
        const auto &limit = m_options.sessionOption.maximumReceivedDataSizePerCommand;
        if (limit && p->receivedBytes > *limit) {
            ClientError e = clientError(ClientErrorKind::DataSizeExceeded,
                          u"the command received more than %1 bytes (MaximumReceivedDataSizePerCommand)"_s.arg(*limit));
            e.pipelineId = pipelineId;
            p->localError = e;
            Q_EMIT pipelineError(pipelineId, e);
            (void)stop(pipelineId);
            return;
        }
    }
    const auto r = m_pool->receiveData(data);
    processEvents();
    if (r)
        return;
    if (p && m_pipelines.contains(pipelineId)) {
        ClientError e = protocolError(r.error(), pipelineId);
        p->localError = e;
        Q_EMIT pipelineError(pipelineId, e);
        (void)stop(pipelineId);
        return;
    }
    fail(protocolError(r.error()));
}

void RunspacePoolClient::processEvents()
{
    while (auto event = m_pool->nextEvent()) {
        if (m_phase == Phase::Done)
            return;
        switch (event->kind) {
        case Psrp::Event::Kind::PoolStateChanged:
            Q_EMIT stateChanged(event->poolState);
            if (event->poolState == Psrp::RunspacePoolState::Opened) {
                m_context.maxEnvelopeSize = m_pool->maxEnvelopeSize();
                if (m_openTimer)
                    m_openTimer->stop();
                if (!m_openedEmitted) {
                    m_openedEmitted = true;
                    Q_EMIT opened();
                }
            } else if (event->poolState == Psrp::RunspacePoolState::Broken) {
                ClientError e = clientError(ClientErrorKind::PoolBroken,
                              event->error ? event->error->message : u"the runspace pool is broken"_s);
                if (event->error)
                    e.errorRecord = *event->error;
                fail(e);
                return;
            } else if (event->poolState == Psrp::RunspacePoolState::Closed && m_phase != Phase::Closing) {
                m_phase = Phase::Done;
                finishClose();
                return;
            }
            break;
        case Psrp::Event::Kind::PipelineStateChanged:
            if (isFinal(event->pipelineState)) {
                if (auto p = m_pipelines.value(event->pipelineId)) {
                    p->finalState = true;
                    finishPipeline(event->pipelineId, p->localError ? Psrp::PSInvocationState::Failed : event->pipelineState,
                                   event->error ? std::optional<Psrp::ErrorRecord>(*event->error) : std::nullopt);
                }
            }
            break;
        case Psrp::Event::Kind::SessionKeyReady:
            Q_EMIT sessionKeyReady();
            break;
        case Psrp::Event::Kind::Message: {
            if (!event->payload)
                break;
            const Psrp::Payload &payload = *event->payload;
            switch (event->messageType) {
            case Psrp::MessageType::SessionCapability:
                m_context.maxEnvelopeSize = m_pool->maxEnvelopeSize();
                break;
            case Psrp::MessageType::PipelineOutput:
                Q_EMIT pipelineOutput(event->pipelineId, std::get<Psrp::PipelineOutput>(payload).value);
                break;
            case Psrp::MessageType::ErrorRecord:
            case Psrp::MessageType::WarningRecord:
            case Psrp::MessageType::VerboseRecord:
            case Psrp::MessageType::DebugRecord:
            case Psrp::MessageType::InformationRecord:
            case Psrp::MessageType::ProgressRecord:
                Q_EMIT pipelineRecord(event->pipelineId, event->messageType, payload);
                break;
            case Psrp::MessageType::PipelineHostCall:
                Q_EMIT hostCall(event->pipelineId, std::get<Psrp::PipelineHostCall>(payload));
                break;
            case Psrp::MessageType::RunspacePoolHostCall:
                Q_EMIT hostCall(QUuid(), std::get<Psrp::RunspacePoolHostCall>(payload));
                break;
            case Psrp::MessageType::PipelineState:
            case Psrp::MessageType::RunspacePoolState:
            case Psrp::MessageType::EncryptedSessionKey:
                break;
            default:
                Q_EMIT poolMessage(event->messageType, payload);
                break;
            }
            break;
        }
        }
    }
    pump();
}

// Posts whatever the pool queued, in order, on the main channel: Command for a message that
// starts a pipeline (MS-PSRP 3.1.5.3.3), Send on stdin / pr otherwise (3.1.5.3.5).
//
// Duplicate delivery, known and accepted: when a kept-alive connection closes before any byte of
// the answer, Qt 6.4 resends the POST once on a fresh connection by itself (reconnectAttempts in
// QHttpNetworkConnectionChannel, no idempotency check in 6.4; ChannelTest
// DroppedConnectionIsReportedAndTheNextRequestReconnects sees the dropped body twice). A Send the
// server did process before closing then delivers its input or host response twice. The driver
// cannot see it: the resend happens below QNetworkReply (same reply, no signal) and WinRM does not
// deduplicate MessageIDs. Channel could prevent it (verified with Qt 6.4.2): a body posted as a
// sequential, non-rewindable QIODevice (not a QBuffer, which Qt rewinds through its QByteArray)
// with DoNotBufferUploadDataAttribute and an explicit Content-Length is not resent; the reply ends
// with ContentReSendError. That also turns the common benign case (the server closed an idle
// connection before reading the request, e.g. HTTP.sys's idle timeout between two user inputs)
// into a failed Send the driver could not safely retry, so Sends keep Qt's behaviour for now. A
// Receive, Signal or Delete sent twice is harmless.
void RunspacePoolClient::pump()
{
    if (m_phase != Phase::Open || !m_mainChannel || m_interrupted
        || m_pool->state() == Psrp::RunspacePoolState::Disconnected)
        return;
    while (m_pool->hasDataToSend()) {
        auto out = m_pool->dataToSend(maxSendPayload(m_context));
        if (!out)
            break;
        const bool starts = out->firstMessageType == Psrp::MessageType::CreatePipeline
                         || out->firstMessageType == Psrp::MessageType::GetCommandMetadata;
        if (starts && !out->pipelineId.isNull()) {
            sendPipelineCommand(out->pipelineId, out->data);
            continue;
        }
        StreamData stream{out->stream, out->pipelineId.isNull() ? QString() : guidText(out->pipelineId), out->data};
        post(m_mainChannel, Action::Send, out->pipelineId, buildSend(m_context, newId(), m_pool->id(), {stream}),
             [](const TransportResponse &) {});
    }
}

void RunspacePoolClient::sendPipelineCommand(const QUuid &pipelineId, QByteArray payload)
{
    post(m_mainChannel, Action::Command, pipelineId, buildCommand(m_context, newId(), m_pool->id(), pipelineId, payload),
         [this, pipelineId](const TransportResponse &response) {
             auto p = m_pipelines.value(pipelineId);
             if (!p)
                 return;
             auto parsed = parseCommandResponse(response.body);
             if (!parsed) {
                 fail(protocolError(parsed.error(), pipelineId));
                 return;
             }
             p->commandCreated = true;
             if (p->stopRequested && !p->finalState)
                 signalPipeline(pipelineId, SignalCode::CtrlC);
             pipelineReceive(pipelineId);
         });
}

void RunspacePoolClient::signalPipeline(const QUuid &pipelineId, SignalCode code)
{
    post(m_mainChannel, Action::Signal, pipelineId,
         buildSignal(m_context, newId(), m_pool->id(), pipelineId, code), [](const TransportResponse &) {},
         [this, pipelineId, code](const ClientError &e) {
             if (e.kind == ClientErrorKind::ShellNotFound)
                 return false;
             // A command that already ended may be gone on the server: not an error. A refused
             // crtl_c is reported; CancelTimeout then ends the pipeline.
             if (code == SignalCode::CtrlC && m_pipelines.contains(pipelineId))
                 Q_EMIT pipelineError(pipelineId, e);
             return true;
         });
}

// ---- pipelines -------------------------------------------------------------------------------

Psrp::Result<QUuid> RunspacePoolClient::started(Psrp::Result<QUuid> id)
{
    if (!id)
        return id;
    auto p = std::make_shared<PipelineState>();
    p->id = id.value();
    m_pipelines.insert(p->id, p);
    processEvents();
    return id;
}

Psrp::Result<QUuid> RunspacePoolClient::invoke(const Psrp::CreatePipeline &request)
{
    if (m_phase == Phase::Open && m_pool->state() == Psrp::RunspacePoolState::Disconnected)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, u"the session is disconnected; reconnect first"_s);
    if (m_phase != Phase::Open || m_pool->state() != Psrp::RunspacePoolState::Opened)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, u"the runspace pool is not open"_s);
    if (m_givingUp)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState,
                               u"the network connection was lost and the session is being disconnected"_s);
    return started(m_pool->createPipeline(request, newId()));
}

Psrp::Result<QUuid> RunspacePoolClient::invokeScript(const QString &script, const ScriptOptions &options)
{
    Psrp::CreatePipeline request;
    request.noInput = options.noInput;
    request.addToHistory = options.addToHistory;
    request.powerShell.commands.append(Psrp::Command::script(script));
    if (options.outString)
        request.powerShell.commands.append(Psrp::Command::command(u"Out-String"_s).addParameter(u"Stream"_s, true));
    return invoke(request);
}

Psrp::Result<QUuid> RunspacePoolClient::getCommandMetadata(const Psrp::GetCommandMetadata &request)
{
    if (m_phase != Phase::Open || m_pool->state() != Psrp::RunspacePoolState::Opened)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, u"the runspace pool is not open"_s);
    return started(m_pool->getCommandMetadata(request, newId()));
}

Psrp::Result<void> RunspacePoolClient::sendInput(const QUuid &pipelineId, const Psrp::Value &value)
{
    auto r = m_pool->sendInput(pipelineId, value);
    if (r)
        pump();
    return r;
}

Psrp::Result<void> RunspacePoolClient::endInput(const QUuid &pipelineId)
{
    auto r = m_pool->endInput(pipelineId);
    if (r)
        pump();
    return r;
}

Psrp::Result<void> RunspacePoolClient::respondToHostCall(const QUuid &pipelineId, const Psrp::HostResponse &response)
{
    auto r = m_pool->hostResponse(pipelineId, response);
    if (r)
        pump();
    return r;
}

Psrp::Result<void> RunspacePoolClient::exchangeKey(std::optional<Psrp::SessionKey> key)
{
    auto r = m_pool->exchangeKey(std::move(key));
    if (r)
        pump();
    return r;
}

// MS-PSRP 3.1.5.3.9: Signal crtl_c; the server answers PIPELINE_STATE Stopped. Without it within
// CancelTimeout the command is terminated and reported.
Psrp::Result<void> RunspacePoolClient::stop(const QUuid &pipelineId)
{
    auto p = m_pipelines.value(pipelineId);
    if (!p || p->finishedEmitted)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, u"no running pipeline "_s + pipelineId.toString());
    if (p->stopRequested)
        return {};
    if (auto r = m_pool->stop(pipelineId); !r)
        return r;
    p->stopRequested = true;
    processEvents();
    if (p->commandCreated)
        signalPipeline(pipelineId, SignalCode::CtrlC);
    p->cancelTimer = new QTimer(this);
    p->cancelTimer->setSingleShot(true);
    connect(p->cancelTimer, &QTimer::timeout, this, [this, pipelineId] { onCancelTimeout(pipelineId); });
    p->cancelTimer->start(int(std::clamp<qint64>(m_options.sessionOption.cancelTimeoutMs, 0, INT_MAX)));
    return {};
}

void RunspacePoolClient::onCancelTimeout(const QUuid &pipelineId)
{
    auto p = m_pipelines.value(pipelineId);
    if (!p || p->finishedEmitted)
        return;
    ClientError e = clientError(ClientErrorKind::CancelTimeout,
                  u"the pipeline did not stop within %1 ms (CancelTimeout)"_s.arg(m_options.sessionOption.cancelTimeoutMs));
    e.pipelineId = pipelineId;
    Q_EMIT pipelineError(pipelineId, e);
    if (p->receiveChannel)
        p->receiveChannel->cancelAll();
    p->receiving = false;
    p->finalState = true;
    p->commandDone = true;
    finishPipeline(pipelineId, Psrp::PSInvocationState::Stopped, std::nullopt);
}

void RunspacePoolClient::finishPipeline(const QUuid &pipelineId, Psrp::PSInvocationState state,
                                        std::optional<Psrp::ErrorRecord> error)
{
    auto p = m_pipelines.value(pipelineId);
    if (!p || p->finishedEmitted)
        return;
    p->finishedEmitted = true;
    if (p->cancelTimer)
        p->cancelTimer->stop();
    Q_EMIT pipelineFinished(pipelineId, state, error);
    if (m_pipelines.contains(pipelineId))
        maybeTerminate(pipelineId);
}

// Dossier 2.4: once the pipeline ended (PIPELINE_STATE final and CommandState Done), Signal
// terminate closes the command on the server.
void RunspacePoolClient::maybeTerminate(const QUuid &pipelineId)
{
    auto p = m_pipelines.value(pipelineId);
    if (!p || p->terminateSent || !p->finalState || (!p->commandDone && p->receiving))
        return;
    if (!p->commandDone) {
        pipelineReceive(pipelineId); // CommandState Done follows in the next response
        if (p->receiving)
            return;
    }
    p->terminateSent = true;
    if (p->receiveChannel) {
        // An idle channel keeps its authenticated connection for the next pipeline.
        if (p->receiving || p->receiveChannel->pendingCount() > 0 || m_idleReceiveChannels.size() >= 2) {
            p->receiveChannel->cancelAll();
            p->receiveChannel->deleteLater();
        } else {
            m_idleReceiveChannels.append(p->receiveChannel);
        }
        p->receiveChannel = nullptr;
    }
    if (!p->commandCreated || m_phase != Phase::Open) {
        m_pipelines.remove(pipelineId);
        return;
    }
    post(m_mainChannel, Action::Signal, pipelineId,
         buildSignal(m_context, newId(), m_pool->id(), pipelineId, SignalCode::Terminate),
         [this, pipelineId](const TransportResponse &) { m_pipelines.remove(pipelineId); },
         [this, pipelineId](const ClientError &e) {
             m_pipelines.remove(pipelineId);
             return e.kind != ClientErrorKind::ShellNotFound;
         });
}

// ---- close and failure -----------------------------------------------------------------------

// Dossier 2.4 "Close pool": terminate running commands, then Delete; RUNSPACEPOOL_STATE Closed
// is not waited for.
void RunspacePoolClient::close()
{
    // After failed(), closed() follows by itself (after the best-effort Delete, if any).
    if (m_phase == Phase::Closing || m_failed)
        return;
    if (m_interrupted) {
        // The network is down: the shell is left for the server's IdleTimeout.
        m_interrupted = false;
        m_retryTimer->stop();
        if (m_probeChannel)
            m_probeChannel->cancelAll();
        refuseHeld(u"the session was closed while the network was down"_s);
        m_phase = Phase::Done;
        QTimer::singleShot(0, this, [this] { finishClose(); });
        return;
    }
    if (m_phase != Phase::Open) {
        const bool wasCreating = m_phase == Phase::Creating;
        m_phase = Phase::Done;
        if (wasCreating)
            resetSession();
        if (m_openTimer)
            m_openTimer->stop();
        QTimer::singleShot(0, this, [this] { finishClose(); });
        return;
    }
    m_phase = Phase::Closing;
    (void)m_pool->close();
    if (m_shellChannel)
        m_shellChannel->cancelAll();
    m_shellReceiving = false;
    for (const auto &p : std::as_const(m_pipelines)) {
        if (p->receiveChannel)
            p->receiveChannel->cancelAll();
        p->receiving = false;
        if (p->cancelTimer)
            p->cancelTimer->stop();
        if (p->commandCreated && !p->terminateSent) {
            p->terminateSent = true;
            post(m_mainChannel, Action::Signal, p->id,
                 buildSignal(m_context, newId(), m_pool->id(), p->id, SignalCode::Terminate),
                 [](const TransportResponse &) {}, [](const ClientError &) { return true; });
        }
    }
    post(m_mainChannel, Action::Delete, {}, buildDelete(m_context, newId(), m_pool->id()),
         [this](const TransportResponse &) {
             m_phase = Phase::Done;
             finishClose();
         },
         [this](const ClientError &e) {
             if (e.kind == ClientErrorKind::ShellNotFound) {
                 m_phase = Phase::Done;
                 finishClose();
                 return true;
             }
             return false;
         });
    // Emit Closing now (the pool went Opened -> Closing).
    while (auto event = m_pool->nextEvent())
        if (event->kind == Psrp::Event::Kind::PoolStateChanged)
            Q_EMIT stateChanged(event->poolState);
}

void RunspacePoolClient::finishClose()
{
    if (m_closedEmitted)
        return;
    m_closedEmitted = true;
    m_phase = Phase::Done;
    if (m_openTimer)
        m_openTimer->stop();
    for (const auto &p : std::as_const(m_pipelines))
        if (p->cancelTimer)
            p->cancelTimer->stop();
    if (m_pool->state() != Psrp::RunspacePoolState::Closed && m_pool->state() != Psrp::RunspacePoolState::Broken
        && m_pool->state() != Psrp::RunspacePoolState::BeforeOpen) {
        if (m_pool->closed())
            while (auto event = m_pool->nextEvent())
                if (event->kind == Psrp::Event::Kind::PoolStateChanged)
                    Q_EMIT stateChanged(event->poolState);
    }
    if (m_trace)
        m_trace->close();
    Q_EMIT closed();
}

void RunspacePoolClient::fail(ClientError error)
{
    if (m_failed || m_closedEmitted)
        return;
    m_failed = true;
    m_phase = Phase::Done;
    ++m_generation; // outstanding callbacks are ignored from here on
    m_interrupted = false;
    m_givingUp = false;
    if (m_retryTimer)
        m_retryTimer->stop();
    if (m_probeChannel)
        m_probeChannel->cancelAll();
    if (m_openTimer)
        m_openTimer->stop();
    if (m_shellChannel)
        m_shellChannel->cancelAll();
    if (m_mainChannel)
        m_mainChannel->cancelAll();
    for (const auto &p : std::as_const(m_pipelines)) {
        if (p->receiveChannel)
            p->receiveChannel->cancelAll();
        if (p->cancelTimer)
            p->cancelTimer->stop();
    }
    Q_EMIT failed(error);
    if (shellMayExist(error))
        deleteAfterFailure();
    else
        QTimer::singleShot(0, this, [this] { finishClose(); });
}

// Whether a failure can have left the shell on the server: not when no Create was sent or it was
// refused, the server already forgot it, the Delete itself failed, or the endpoint cannot be
// reached (name, connection refused, TLS, credentials, redirect) so a Delete would fail the same way.
bool RunspacePoolClient::shellMayExist(const ClientError &error) const
{
    if (!m_createSent || error.action == Action::Delete)
        return false;
    switch (error.kind) {
    case ClientErrorKind::Configuration:
    case ClientErrorKind::Trace:
    case ClientErrorKind::ShellNotFound:
    case ClientErrorKind::RedirectNotAllowed:
    case ClientErrorKind::TooManyRedirects:
        return false;
    default:
        break;
    }
    if (error.transport) {
        switch (error.transport->kind) {
        case TransportErrorKind::ConnectionClosed:
        case TransportErrorKind::TimedOut:
        case TransportErrorKind::HttpStatus:
        case TransportErrorKind::ResponseTooLarge:
            break;
        default:
            return false;
        }
    }
    const bool createRefused = error.action == Action::Create
        && (error.fault || (error.transport && error.transport->kind == TransportErrorKind::HttpStatus));
    return m_shellCreated || !createRefused;
}

// Dossier 2.4: Delete ends the shell. After a failure it is sent once on a fresh connection (the
// others were cancelled), bounded by failureDeleteTimeoutMs; whatever the outcome, closed() follows.
void RunspacePoolClient::deleteAfterFailure()
{
    const qint64 bound = std::clamp<qint64>(m_options.failureDeleteTimeoutMs, 1, INT_MAX);
    ChannelSettings settings = m_channelSettings;
    settings.openTimeoutMs = bound;
    settings.operationTimeoutMs = bound;
    settings.readTimeoutMarginMs = 0;
    delete m_deleteChannel;
    m_deleteChannel = new Channel(settings, m_factory(), this);
    QByteArray body = buildDelete(m_context, newId(), m_pool->id());
    const QByteArray traced = m_trace ? body : QByteArray();
    QPointer<RunspacePoolClient> self(this);
    m_deleteChannel->post(std::move(body), [self, traced](const TransportResult &result) {
        if (!self || (!result.ok() && result.error().kind == TransportErrorKind::Cancelled))
            return;
        ++self->m_requestCount;
        if (self->m_trace) {
            self->m_trace->writeRequest(traced);
            const QByteArray &answer = result.ok() ? result.response().body : result.error().body;
            if (!answer.isEmpty())
                self->m_trace->writeResponse(answer);
        }
        // Not from inside the channel's callback: a closed() handler may destroy the client.
        QTimer::singleShot(0, self.data(), [client = self.data()] { client->finishClose(); });
    });
    QTimer::singleShot(int(bound), this, [this] {
        if (m_closedEmitted)
            return;
        if (m_deleteChannel)
            m_deleteChannel->cancelAll();
        finishClose();
    });
}

// ---- disconnect, reconnect, enumerate ---------------------------------------------------------

Psrp::Result<void> RunspacePoolClient::disconnect()
{
    if (m_phase != Phase::Open || m_pool->state() != Psrp::RunspacePoolState::Opened || m_disconnecting || m_interrupted)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, u"disconnect needs an open session, it is "_s
                                                                  + Psrp::enumText(m_pool->state()));
    // Dossier 1.8: only servers with protocol >= 2.2 (PowerShell 3.0+) can disconnect.
    if (serverProtocolVersion() < Psrp::ProtocolVersions::v2_2())
        return Psrp::makeError(Psrp::ErrorCode::InvalidState,
                               u"the server (PSRP protocol %1) does not support disconnected sessions; they need "
                               "protocol 2.2 (PowerShell 3.0) or later"_s.arg(serverProtocolVersion().toString()));
    m_disconnecting = true;
    std::optional<qint64> idle;
    if (m_options.sessionOption.idleTimeoutMs != -1)
        idle = m_options.sessionOption.idleTimeoutMs;
    post(m_mainChannel, Action::Disconnect, {}, buildDisconnect(m_context, newId(), m_pool->id(), idle),
         [this](const TransportResponse &) {
             m_disconnecting = false;
             markDisconnected();
         },
         [this](const ClientError &) {
             m_disconnecting = false;
             return false;
         });
    return {};
}

void RunspacePoolClient::markDisconnected()
{
    // A Receive that reached the server after the Disconnect waits there for the shell to come
    // back, and would take the output of whichever client connects it next: cut it. reconnect()
    // starts the loops again.
    if (m_shellChannel && m_shellReceiving)
        m_shellChannel->cancelAll();
    m_shellReceiving = false;
    for (const auto &p : std::as_const(m_pipelines)) {
        if (p->receiving && p->receiveChannel)
            p->receiveChannel->cancelAll();
        p->receiving = false;
    }
    if (auto r = m_pool->disconnected(); !r) {
        fail(protocolError(r.error()));
        return;
    }
    processEvents();
    Q_EMIT disconnected();
}

Psrp::Result<void> RunspacePoolClient::reconnect()
{
    if (m_phase != Phase::Open || m_pool->state() != Psrp::RunspacePoolState::Disconnected || m_disconnecting)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState,
                               u"reconnect needs a disconnected session, it is "_s + Psrp::enumText(m_pool->state()));
    m_disconnecting = true;
    // Dossier 1.8: same client, same wsmv:SessionId, empty body.
    post(m_mainChannel, Action::Reconnect, {}, buildReconnect(m_context, newId(), m_pool->id()),
         [this](const TransportResponse &) {
             m_disconnecting = false;
             if (auto r = m_pool->reconnected(); !r) {
                 fail(protocolError(r.error()));
                 return;
             }
             processEvents();
             if (m_phase != Phase::Open)
                 return;
             Q_EMIT reconnected();
             resumeLoops();
         },
         [this](const ClientError &) {
             m_disconnecting = false;
             return false;
         });
    return {};
}

void RunspacePoolClient::resumeLoops()
{
    if (m_phase != Phase::Open)
        return;
    shellReceive();
    const QList<QUuid> ids = m_pipelines.keys();
    for (const QUuid &id : ids)
        if (auto p = m_pipelines.value(id); p && p->commandCreated)
            pipelineReceive(id);
    pump();
}

Psrp::Result<void> RunspacePoolClient::terminate(const QUuid &pipelineId)
{
    auto p = m_pipelines.value(pipelineId);
    if (!p || p->finishedEmitted)
        return Psrp::makeError(Psrp::ErrorCode::InvalidState, u"no running pipeline "_s + pipelineId.toString());
    if (p->receiveChannel)
        p->receiveChannel->cancelAll();
    p->receiving = false;
    p->finalState = true;
    p->commandDone = true;
    finishPipeline(pipelineId, Psrp::PSInvocationState::Stopped, std::nullopt);
    return {};
}

namespace {

// Holds the channel of one enumerateShells() call until its answer arrived.
class ShellLister : public QObject {
public:
    using QObject::QObject;
    Channel *channel = nullptr;
};

ShellListResult listError(ClientErrorKind kind, QString detail)
{
    ShellListResult r;
    r.error = clientError(kind, std::move(detail));
    r.error->action = Action::Enumerate;
    return r;
}

} // namespace

// MS-WSMV 3.1.4.14 / dossier 1.8: Enumerate over the shell resource with OptimizeEnumeration,
// which Windows answers in one EnumerateResponse (EndOfSequence); PowerShell shells only.
void RunspacePoolClient::enumerateShells(const ClientOptions &options, ShellListCallback callback)
{
    auto *lister = new ShellLister();
    auto finish = [lister, callback](const ShellListResult &result) {
        QTimer::singleShot(0, lister, [lister, callback, result] {
            callback(result);
            lister->deleteLater();
        });
    };
    const auto target = options.connection.resolve();
    if (!target) {
        ShellListResult r = listError(ClientErrorKind::Configuration, target.error().detail);
        r.error->configError = target.error();
        finish(r);
        return;
    }
    if (!options.authenticatorFactory) {
        finish(listError(ClientErrorKind::Configuration, u"no authenticator"_s));
        return;
    }
    const ChannelSettings settings = channelSettingsFor(target.value(), options);
    RequestContext context;
    context.to = target->url.toString(QUrl::FullyEncoded);
    context.resourceUri = target->resourceUri;
    context.sessionId = options.idGenerator ? options.idGenerator() : QUuid::createUuid();
    context.uiCulture = options.sessionOption.uiCulture;
    context.culture = options.sessionOption.culture;
    context.operationTimeoutMs = options.sessionOption.operationTimeoutMs;
    const QUuid messageId = options.idGenerator ? options.idGenerator() : QUuid::createUuid();
    lister->channel = new Channel(settings, options.authenticatorFactory(), lister);
    lister->channel->post(buildEnumerate(context, messageId), [finish](const TransportResult &result) {
        if (!result.ok() && result.error().kind == TransportErrorKind::Cancelled)
            return;
        ShellListResult out;
        if (!result.ok()) {
            const TransportError &error = result.error();
            ClientError e;
            e.action = Action::Enumerate;
            e.kind = ClientErrorKind::Transport;
            e.detail = u"Enumerate: "_s + error.detail;
            if (error.kind == TransportErrorKind::HttpStatus && isFaultBody(error.body)) {
                if (auto fault = parseFault(error.body)) {
                    e.kind = ClientErrorKind::Fault;
                    e.detail = u"Enumerate 0x%1: %2"_s.arg(QString::number(fault->code, 16).toUpper(),
                                                            fault->message.isEmpty() ? fault->reason : fault->message);
                    e.fault = fault.value();
                }
            }
            if (e.kind == ClientErrorKind::Transport)
                e.transport = error;
            out.error = e;
            finish(out);
            return;
        }
        auto parsed = parseEnumerateResponse(result.response().body);
        if (!parsed) {
            out.error = protocolError(parsed.error());
            out.error->action = Action::Enumerate;
            finish(out);
            return;
        }
        for (const ShellInfo &shell : std::as_const(parsed->shells))
            if (shell.resourceUri.startsWith(u"http://schemas.microsoft.com/powershell/"_s, Qt::CaseInsensitive))
                out.shells.append(shell);
        finish(out);
    });
}

// ---- robust connection -----------------------------------------------------------------------

// Only a network-level failure of an open session is ridden out: not authentication, TLS,
// faults, and not the requests that open or end the session.
bool RunspacePoolClient::canRideOut(const ClientError &error, Action action) const
{
    if (m_phase != Phase::Open || !m_shellCreated || m_pool->state() != Psrp::RunspacePoolState::Opened
        || error.kind != ClientErrorKind::Transport || !error.transport)
        return false;
    if (action == Action::Create || action == Action::Delete || action == Action::Connect
        || action == Action::Disconnect || action == Action::Reconnect)
        return false;
    switch (error.transport->kind) {
    case TransportErrorKind::NameResolution:
    case TransportErrorKind::ConnectionRefused:
    case TransportErrorKind::ConnectionClosed:
    case TransportErrorKind::Unreachable:
    case TransportErrorKind::TimedOut:
    case TransportErrorKind::ProxyUnreachable:
        return true;
    default:
        return false;
    }
}

// PowerShell's robust connection (users-and-peers 0.3): everything received so far was already
// delivered; from here requests wait, and attempts on fresh connections (fresh authentication)
// run with exponential backoff for at most maxRetryTimeMs.
void RunspacePoolClient::interrupt(const ClientError &error)
{
    m_lastNetworkError = error;
    if (m_interrupted)
        return;
    m_interrupted = true;
    m_attempt = 0;
    m_retryDeadline = QDeadlineTimer(std::max<qint64>(0, m_options.maxRetryTimeMs));
    Q_EMIT networkInterrupted(m_options.maxRetryTimeMs);
    if (m_interrupted)
        scheduleAttempt();
}

void RunspacePoolClient::scheduleAttempt()
{
    const qint64 remaining = m_retryDeadline.remainingTime();
    if (remaining <= 0) {
        giveUp();
        return;
    }
    qint64 delay = std::max<qint64>(1, m_options.initialBackoffMs);
    for (int i = 0; i < m_attempt && delay < m_options.maxBackoffMs; ++i)
        delay *= 2;
    delay = std::min({delay, std::max<qint64>(1, m_options.maxBackoffMs), remaining});
    m_retryTimer->start(int(std::clamp<qint64>(delay, 1, INT_MAX)));
}

// One attempt: Reconnect (protocol >= 2.2, dossier 1.8) or, for older servers, a Get of the shell,
// on a fresh channel. Any answer from the server ends the outage, except "shell not found".
void RunspacePoolClient::attemptReconnect()
{
    if (!m_interrupted || m_givingUp || m_phase != Phase::Open)
        return;
    ++m_attempt;
    Q_EMIT reconnectAttempt(m_attempt, std::max<qint64>(0, m_retryDeadline.remainingTime()));
    if (!m_interrupted)
        return;
    if (m_probeChannel) {
        m_probeChannel->cancelAll();
        m_probeChannel->deleteLater();
    }
    ChannelSettings settings = m_channelSettings;
    const qint64 remaining = std::max<qint64>(1, m_retryDeadline.remainingTime());
    settings.openTimeoutMs = std::min(settings.openTimeoutMs, remaining);
    m_probeChannel = new Channel(settings, m_factory(), this);
    const bool canReconnect = serverProtocolVersion() >= Psrp::ProtocolVersions::v2_2();
    const Action action = canReconnect ? Action::Reconnect : Action::Get;
    QByteArray body = canReconnect ? buildReconnect(m_context, newId(), m_pool->id())
                                   : buildGet(m_context, newId(), m_pool->id());
    const QByteArray traced = m_trace ? body : QByteArray();
    const quint64 generation = m_generation;
    Channel *probe = m_probeChannel;
    QPointer<RunspacePoolClient> self(this);
    probe->post(std::move(body), [self, generation, action, traced, probe](const TransportResult &result) {
        if (!self || generation != self->m_generation || !self->m_interrupted || self->m_givingUp
            || self->m_probeChannel != probe)
            return;
        if (!result.ok() && result.error().kind == TransportErrorKind::Cancelled)
            return;
        ++self->m_requestCount;
        if (self->m_trace) {
            self->m_trace->writeRequest(traced);
            const QByteArray &answer = result.ok() ? result.response().body : result.error().body;
            if (!answer.isEmpty())
                self->m_trace->writeResponse(answer);
        }
        if (result.ok()) {
            self->restore(probe);
            return;
        }
        const ClientError e = self->errorFrom(result.error(), action, {});
        if (e.kind == ClientErrorKind::ShellNotFound || (e.transport && e.transport->kind == TransportErrorKind::AuthenticationFailed)
            || (e.transport && e.transport->kind == TransportErrorKind::Tls)) {
            self->m_interrupted = false;
            self->refuseHeld(u"the session ended while the network was down"_s);
            self->fail(e);
            return;
        }
        if (e.kind == ClientErrorKind::Transport && e.transport && e.transport->kind != TransportErrorKind::HttpStatus) {
            self->m_lastNetworkError = e;
            self->scheduleAttempt();
            return;
        }
        self->restore(probe); // the server answered (e.g. a fault for a shell it never disconnected)
    });
}

void RunspacePoolClient::restore(Channel *channel)
{
    m_interrupted = false;
    m_retryTimer->stop();
    m_probeChannel = nullptr;
    renewChannels(channel);
    Q_EMIT networkRestored();
    if (m_phase != Phase::Open || m_interrupted)
        return;
    const QList<HeldRequest> held = std::exchange(m_held, {});
    for (const HeldRequest &r : held) {
        if (m_phase != Phase::Open)
            return;
        auto p = r.pipelineId.isNull() ? nullptr : m_pipelines.value(r.pipelineId);
        if (p && p->verifying) {
            p->afterVerify.append(r); // after the verdict on its Command
            continue;
        }
        if (p && p->finishedEmitted && r.action != Action::Signal)
            continue; // the pipeline already ended here (e.g. failed by an uncertain Send)
        if (!r.mayHaveArrived || r.action == Action::Signal || (r.action == Action::Send && !p)) {
            post(m_mainChannel, r.action, r.pipelineId, r.body, r.onOk, r.onError);
        } else if (r.action == Action::Command && p) {
            verifyCommand(r);
        } else if (r.action == Action::Send && p) {
            failUncertainSend(r.pipelineId);
        } else {
            post(m_mainChannel, r.action, r.pipelineId, r.body, r.onOk, r.onError);
        }
    }
    resumeLoops();
}

// The Command's answer was lost: the server may run the command already. Sending it again could
// run it twice, so a Receive on its CommandId asks first: output, CommandState or a receive
// timeout mean the server knows the command (its answer is taken as the CommandResponse); "shell
// or command not found" means the Command never arrived, and it is sent now, once.
void RunspacePoolClient::verifyCommand(const HeldRequest &request)
{
    auto p = m_pipelines.value(request.pipelineId);
    if (!p)
        return;
    const QUuid pipelineId = request.pipelineId;
    p->verifying = true;
    p->receiving = true;
    if (!p->receiveChannel)
        p->receiveChannel = m_idleReceiveChannels.isEmpty() ? makeChannel() : m_idleReceiveChannels.takeLast();
    auto known = [this, pipelineId] {
        auto q = m_pipelines.value(pipelineId);
        if (!q) {
            // Ended here meanwhile (terminate): the server's command is closed too.
            post(m_mainChannel, Action::Signal, pipelineId,
                 buildSignal(m_context, newId(), m_pool->id(), pipelineId, SignalCode::Terminate),
                 [](const TransportResponse &) {}, [](const ClientError &) { return true; });
            return q;
        }
        q->verifying = false;
        q->commandCreated = true;
        const QList<HeldRequest> waiting = std::exchange(q->afterVerify, {});
        for (const HeldRequest &r : waiting)
            post(m_mainChannel, r.action, r.pipelineId, r.body, r.onOk, r.onError);
        if (q->stopRequested && !q->finalState)
            signalPipeline(pipelineId, SignalCode::CtrlC);
        return q;
    };
    post(p->receiveChannel, Action::Receive, pipelineId, buildReceive(m_context, newId(), m_pool->id(), pipelineId),
         [this, pipelineId, known](const TransportResponse &response) {
             if (known())
                 onPipelineReceived(pipelineId, response);
         },
         [this, pipelineId, known, request](const ClientError &e) {
             auto q = m_pipelines.value(pipelineId);
             if (q)
                 q->receiving = false;
             if (e.fault && isReceiveTimeout(*e.fault)) {
                 if (known())
                     pipelineReceive(pipelineId);
                 return true;
             }
             if (e.kind == ClientErrorKind::ShellNotFound) {
                 // Not known: the Command never arrived (a shell that is really gone fails the
                 // pool on this Command instead).
                 if (!q || q->finishedEmitted) {
                     if (q)
                         m_pipelines.remove(pipelineId);
                     return true;
                 }
                 q->verifying = false;
                 const QList<HeldRequest> waiting = std::exchange(q->afterVerify, {});
                 post(m_mainChannel, request.action, pipelineId, request.body, request.onOk, request.onError);
                 for (const HeldRequest &r : waiting)
                     post(m_mainChannel, r.action, r.pipelineId, r.body, r.onOk, r.onError);
                 return true;
             }
             if (q && canRideOut(e, Action::Command)) {
                 // Down again before the verdict: asked again after the next restore.
                 q->verifying = false;
                 m_held.append(request);
                 m_held.append(std::exchange(q->afterVerify, {}));
             }
             return false;
         });
}

// Input or a host answer whose Send was lost: delivering it twice could change what the command
// does, and whether it arrived cannot be known, so the command is stopped (Signal terminate).
void RunspacePoolClient::failUncertainSend(const QUuid &pipelineId)
{
    auto p = m_pipelines.value(pipelineId);
    if (!p || p->finishedEmitted)
        return;
    ClientError e = clientError(ClientErrorKind::Transport,
                                u"the network dropped while input or a host answer was sent to the command; it may or "
                                "may not have arrived, and sending it again could deliver it twice, so the command "
                                "was stopped"_s);
    e.pipelineId = pipelineId;
    e.action = Action::Send;
    p->localError = e;
    Q_EMIT pipelineError(pipelineId, e);
    if (p->receiveChannel)
        p->receiveChannel->cancelAll();
    p->receiving = false;
    p->finalState = true;
    p->commandDone = true;
    finishPipeline(pipelineId, Psrp::PSInvocationState::Failed, std::nullopt);
}

// Fresh connections from here on (`channel` becomes the main one); a replaced channel lives on
// while it finishes a request.
void RunspacePoolClient::renewChannels(Channel *channel)
{
    auto retire = [this](Channel *old) {
        if (!old)
            return;
        if (old->pendingCount() > 0)
            m_retired.append(old);
        else
            old->deleteLater();
    };
    retire(m_mainChannel);
    m_mainChannel = channel;
    if (!m_shellReceiving) {
        retire(m_shellChannel);
        m_shellChannel = makeChannel();
    }
    for (const auto &p : std::as_const(m_pipelines)) {
        if (p->receiveChannel && !p->receiving) {
            retire(p->receiveChannel);
            p->receiveChannel = nullptr;
        }
    }
    for (Channel *c : std::as_const(m_idleReceiveChannels))
        c->deleteLater();
    m_idleReceiveChannels.clear();
}

// The retries ran out: PowerShell then disconnects the session (so it can be connected again
// later) when the server supports it; without that, or when the Disconnect fails too, the pool
// is Broken.
void RunspacePoolClient::giveUp()
{
    // m_interrupted stays set until the Disconnect is answered: requests keep waiting.
    m_givingUp = true;
    m_retryTimer->stop();
    if (m_probeChannel) {
        m_probeChannel->cancelAll();
        m_probeChannel->deleteLater();
        m_probeChannel = nullptr;
    }
    Q_EMIT reconnectFailed();
    if (m_phase != Phase::Open)
        return;
    refuseHeld(u"the network connection was lost before the request could be sent"_s);
    if (m_phase != Phase::Open)
        return;
    ClientError lost = m_lastNetworkError.value_or(clientError(ClientErrorKind::Transport, QString()));
    lost.kind = ClientErrorKind::Transport;
    lost.connectionLost = true;
    lost.detail = u"the network connection was not restored within %1 ms: %2"_s.arg(m_options.maxRetryTimeMs)
                      .arg(lost.detail);
    if (serverProtocolVersion() < Psrp::ProtocolVersions::v2_2()) {
        breakPool(lost);
        return;
    }
    const qint64 bound = std::clamp<qint64>(m_options.failureDeleteTimeoutMs, 1, INT_MAX);
    ChannelSettings settings = m_channelSettings;
    settings.openTimeoutMs = bound;
    settings.operationTimeoutMs = bound;
    settings.readTimeoutMarginMs = 0;
    Channel *channel = new Channel(settings, m_factory(), this);
    std::optional<qint64> idle;
    if (m_options.sessionOption.idleTimeoutMs != -1)
        idle = m_options.sessionOption.idleTimeoutMs;
    QByteArray body = buildDisconnect(m_context, newId(), m_pool->id(), idle);
    const QByteArray traced = m_trace ? body : QByteArray();
    const quint64 generation = m_generation;
    QPointer<RunspacePoolClient> self(this);
    channel->post(std::move(body), [self, generation, traced, lost, channel](const TransportResult &result) {
        if (!self || generation != self->m_generation)
            return;
        if (!result.ok() && result.error().kind == TransportErrorKind::Cancelled)
            return;
        ++self->m_requestCount;
        if (self->m_trace) {
            self->m_trace->writeRequest(traced);
            const QByteArray &answer = result.ok() ? result.response().body : result.error().body;
            if (!answer.isEmpty())
                self->m_trace->writeResponse(answer);
        }
        self->m_interrupted = false;
        self->m_givingUp = false;
        if (result.ok()) {
            self->refuseHeld(u"the session was disconnected before the request could be sent"_s);
            self->renewChannels(channel); // fresh channels for a later reconnect()
            self->markDisconnected();
            return;
        }
        channel->deleteLater();
        self->breakPool(lost);
    });
}

void RunspacePoolClient::breakPool(ClientError error)
{
    m_interrupted = false;
    m_givingUp = false;
    // The pool is Broken on this side: its pipelines fail with it.
    if (m_pool->broken()) {
        while (auto event = m_pool->nextEvent()) {
            if (event->kind == Psrp::Event::Kind::PoolStateChanged) {
                Q_EMIT stateChanged(event->poolState);
            } else if (event->kind == Psrp::Event::Kind::PipelineStateChanged && isFinal(event->pipelineState)) {
                if (auto p = m_pipelines.value(event->pipelineId); p && !p->finishedEmitted) {
                    p->finalState = true;
                    p->commandDone = true;
                    p->terminateSent = true;
                    p->finishedEmitted = true;
                    Q_EMIT pipelineFinished(event->pipelineId, Psrp::PSInvocationState::Failed, std::nullopt);
                }
            }
        }
    }
    fail(std::move(error));
}

// Pipelines whose Command never reached the server fail clearly instead of being dropped.
void RunspacePoolClient::refuseHeld(const QString &why)
{
    const QList<HeldRequest> held = std::exchange(m_held, {});
    QList<QUuid> refused;
    QList<QUuid> uncertain; // their Command went out before the drop: they may run on the server
    for (const HeldRequest &r : held) {
        if (r.action == Action::Command && !r.pipelineId.isNull())
            refused.append(r.pipelineId);
        if (r.action == Action::Command && r.mayHaveArrived)
            uncertain.append(r.pipelineId);
    }
    for (const auto &p : std::as_const(m_pipelines))
        if (!p->commandCreated && !p->finishedEmitted && !refused.contains(p->id))
            refused.append(p->id);
    while (m_pool->hasDataToSend())
        (void)m_pool->dataToSend(std::numeric_limits<qsizetype>::max() / 2);
    for (const QUuid &id : std::as_const(refused)) {
        auto p = m_pipelines.value(id);
        if (!p || p->finishedEmitted)
            continue;
        ClientError e = clientError(ClientErrorKind::InvalidState,
                                    uncertain.contains(id) ? why + u" (the command was sent just before the network "
                                                                  "dropped and may have started on the server)"_s
                                                           : why);
        e.pipelineId = id;
        e.action = Action::Command;
        Q_EMIT pipelineError(id, e);
        p->finalState = true;
        p->commandDone = true;
        finishPipeline(id, Psrp::PSInvocationState::Failed, std::nullopt);
    }
}

} // namespace Wsman
