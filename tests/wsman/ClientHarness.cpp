#include "ClientHarness.h"

#include "wsman/Envelope.h"

#include <QEventLoop>
#include <QTimer>

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;
using Psrp::MessageType;
using Psrp::PSInvocationState;

namespace ClientHarness {

bool runUntil(const std::function<bool()> &done, int guardMs)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer guard;
    guard.setSingleShot(true);
    QTimer poll;
    bool timedOut = false;
    QObject::connect(&guard, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        loop.quit();
    });
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    guard.start(guardMs);
    poll.start(2);
    loop.exec();
    return !timedOut && done();
}

Wsman::TransportResult postOne(Wsman::Channel &channel, const QByteArray &body, int guardMs)
{
    std::optional<Wsman::TransportResult> result;
    channel.post(body, [&](const Wsman::TransportResult &r) { result = r; });
    if (!runUntil([&] { return result.has_value(); }, guardMs)) {
        Wsman::TransportError e;
        e.kind = Wsman::TransportErrorKind::TimedOut;
        e.detail = QStringLiteral("no answer within the guard");
        return e;
    }
    return *result;
}

QByteArray enumerateEnvelope(const QUrl &url)
{
    Wsman::RequestContext context;
    context.to = url.toString();
    context.sessionId = QUuid::createUuid();
    return Wsman::buildEnumerate(context, QUuid::createUuid());
}

std::unique_ptr<TestServer::LoopbackServer> startEndpoint(TestServer::ServerConfig config)
{
    config.user = User;
    config.password = Password;
    auto server = std::make_unique<TestServer::LoopbackServer>(std::move(config));
    QString error;
    if (!server->listen(&error)) {
        ADD_FAILURE() << error.toStdString();
        return nullptr;
    }
    return server;
}

ClientOptions basicOptions(const QUrl &url, const QString &password)
{
    ClientOptions o;
    o.connection.connectionUri = url.toString();
    o.sessionOption.noEncryption = true;
    o.sessionOption.uiCulture = u"en-US"_s;
    o.sessionOption.culture = u"en-US"_s;
    o.authenticatorFactory = basicAuthenticatorFactory(User, Secret(password));
    return o;
}

Session::Session(ClientOptions options) : client(std::make_unique<RunspacePoolClient>(std::move(options)))
{
    RunspacePoolClient *c = client.get();
    QObject::connect(c, &RunspacePoolClient::opened, [this, c] {
        opened = true;
        if (onOpened)
            onOpened(*c);
    });
    QObject::connect(c, &RunspacePoolClient::closed, [this] { closed = true; });
    QObject::connect(c, &RunspacePoolClient::sessionKeyReady, [this] { keyReady = true; });
    QObject::connect(c, &RunspacePoolClient::failed, [this](const ClientError &e) { failures.append(e); });
    QObject::connect(c, &RunspacePoolClient::stateChanged, [this](Psrp::RunspacePoolState s) { states.append(s); });
    QObject::connect(c, &RunspacePoolClient::pipelineOutput,
                     [this](const QUuid &, const Psrp::Value &v) { output.append(v); });
    QObject::connect(c, &RunspacePoolClient::pipelineRecord,
                     [this](const QUuid &, MessageType t, const Psrp::Payload &p) { records.append({t, p}); });
    QObject::connect(c, &RunspacePoolClient::poolMessage,
                     [this](MessageType t, const Psrp::Payload &p) { poolMessages.append({t, p}); });
    QObject::connect(c, &RunspacePoolClient::pipelineError,
                     [this](const QUuid &, const ClientError &e) { pipelineErrors.append(e); });
    QObject::connect(c, &RunspacePoolClient::pipelineFinished,
                     [this](const QUuid &id, PSInvocationState s, const std::optional<Psrp::ErrorRecord> &e) {
                         finished.insert(id, Finished{s, e});
                     });
    QObject::connect(c, &RunspacePoolClient::hostCall, [this](const QUuid &id, const Psrp::HostCall &call) {
        hostCalls.append({id, call});
        if (onHostCall)
            onHostCall(id, call);
    });
}

std::string Session::why() const
{
    QStringList lines;
    for (const auto &e : failures)
        lines.append(u"failed: "_s + e.detail);
    for (const auto &e : pipelineErrors)
        lines.append(u"pipelineError: "_s + e.detail);
    return lines.join(u"\n"_s).toStdString();
}

bool Session::open()
{
    client->open();
    return runUntil([this] { return opened || closed; }) && opened;
}

bool Session::close()
{
    client->close();
    return runUntil([this] { return closed; });
}

QUuid Session::start(const QString &script, bool noInput, bool outString)
{
    auto id = client->invokeScript(script, ScriptOptions{outString, noInput, false});
    if (!id) {
        ADD_FAILURE() << id.error().detail.toStdString();
        return {};
    }
    return id.value();
}

bool Session::waitFinished(const QUuid &pid, int guardMs)
{
    return runUntil([this, pid] { return finished.contains(pid) || closed; }, guardMs) && finished.contains(pid);
}

QUuid Session::run(const QString &script, bool outString)
{
    const QUuid pid = start(script, true, outString);
    if (!pid.isNull()) {
        EXPECT_TRUE(waitFinished(pid)) << script.toStdString() << "\n" << why();
    }
    return pid;
}

QUuid Session::run(const Psrp::CreatePipeline &request)
{
    const auto id = client->invoke(request);
    if (!id) {
        ADD_FAILURE() << id.error().detail.toStdString();
        return {};
    }
    return waitFinished(id.value()) ? id.value() : QUuid();
}

QStringList Session::outputStrings() const
{
    QStringList out;
    for (const auto &v : output) {
        if (const auto *secure = std::get_if<Psrp::SecureString>(&v.variant())) {
            const auto text = client->decryptSecureString(*secure);
            out.append(text ? u"secure:"_s + *text : u"secure?"_s + text.error().detail);
        } else if (const auto s = v.toString()) {
            out.append(*s);
        } else if (const auto n = v.toInteger()) {
            out.append(QString::number(*n));
        } else if (const auto *o = v.object()) {
            out.append(o->toString ? *o->toString : u"type:"_s + o->typeNames.value(0));
        } else {
            out.append(u"?"_s);
        }
    }
    return out;
}

QList<MessageType> Session::recordTypes() const
{
    QList<MessageType> types;
    for (const auto &r : records)
        types.append(r.first);
    return types;
}

QString Session::informationalText(MessageType type) const
{
    for (const auto &r : records) {
        if (r.first != type)
            continue;
        if (const auto *w = std::get_if<Psrp::WarningRecord>(&r.second))
            return w->message;
        if (const auto *v = std::get_if<Psrp::VerboseRecord>(&r.second))
            return v->message;
        if (const auto *d = std::get_if<Psrp::DebugRecord>(&r.second))
            return d->message;
    }
    return {};
}

} // namespace ClientHarness
