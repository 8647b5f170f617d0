#include "KdcFixture.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QHostAddress>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QUdpSocket>

#include <gssapi/gssapi_krb5.h>

#include <array>

using namespace Qt::Literals::StringLiterals;

namespace KerberosTest {

namespace {

QString findTool(const QString &name)
{
    QString path = QStandardPaths::findExecutable(name);
    if (path.isEmpty())
        path = QStandardPaths::findExecutable(
            name, {u"/usr/sbin"_s, u"/usr/local/sbin"_s, u"/sbin"_s, u"/usr/bin"_s});
    return path;
}

// A loopback port free for both TCP and UDP right now (the KDC listens on both).
quint16 freePort()
{
    for (int attempt = 0; attempt < 20; ++attempt) {
        QTcpServer tcp;
        if (!tcp.listen(QHostAddress::LocalHost, 0))
            continue;
        const quint16 port = tcp.serverPort();
        QUdpSocket udp;
        if (udp.bind(QHostAddress::LocalHost, port))
            return port;
    }
    return 0;
}

bool writeFile(const QString &path, const QByteArray &contents)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
           file.write(contents) == contents.size();
}

QString statusText(OM_uint32 major, OM_uint32 minor)
{
    QString text;
    for (const auto &[code, type] :
         {std::pair{major, GSS_C_GSS_CODE}, std::pair{minor, GSS_C_MECH_CODE}}) {
        OM_uint32 context = 0;
        do {
            OM_uint32 ignored = 0;
            gss_buffer_desc buffer{0, nullptr};
            if (GSS_ERROR(
                    gss_display_status(&ignored, code, type, gss_mech_krb5, &context, &buffer)))
                break;
            text += QString::fromUtf8(static_cast<const char *>(buffer.value),
                                      static_cast<qsizetype>(buffer.length)) +
                    u"; "_s;
            gss_release_buffer(&ignored, &buffer);
        } while (context != 0);
    }
    return text;
}

QString nameText(gss_name_t name)
{
    OM_uint32 minor = 0;
    gss_buffer_desc buffer{0, nullptr};
    if (GSS_ERROR(gss_display_name(&minor, name, &buffer, nullptr)))
        return {};
    QString text = QString::fromUtf8(static_cast<const char *>(buffer.value),
                                     static_cast<qsizetype>(buffer.length));
    gss_release_buffer(&minor, &buffer);
    return text;
}

gss_buffer_desc bufferOf(const QByteArray &bytes)
{
    return gss_buffer_desc{static_cast<size_t>(bytes.size()), const_cast<char *>(bytes.data())};
}

} // namespace

KdcFixture::KdcFixture() = default;

KdcFixture::~KdcFixture()
{
    stopKdc();
    restoreEnv();
}

bool KdcFixture::start()
{
    m_krb5kdc = findTool(u"krb5kdc"_s);
    m_kdb5Util = findTool(u"kdb5_util"_s);
    m_kadmin = findTool(u"kadmin.local"_s);
    m_kinit = findTool(u"kinit"_s);
    if (m_krb5kdc.isEmpty() || m_kdb5Util.isEmpty() || m_kadmin.isEmpty()) {
        m_toolsMissing = true;
        m_problem = u"krb5kdc, kdb5_util or kadmin.local not found (install krb5-kdc and "
                    "krb5-admin-server)"_s;
        return false;
    }
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid()) {
        m_problem = u"no temporary directory"_s;
        return false;
    }
    m_port = freePort();
    if (m_port == 0) {
        m_problem = u"no free loopback port"_s;
        return false;
    }
    const QByteArray dir = m_dir->path().toUtf8();
    const QByteArray port = QByteArray::number(m_port);
    const QByteArray krb5Conf = "[libdefaults]\n"
                                "  default_realm = PSREMOTE.TEST\n"
                                "  dns_lookup_kdc = false\n"
                                "  dns_lookup_realm = false\n"
                                "  dns_canonicalize_hostname = false\n"
                                "  rdns = false\n"
                                "  forwardable = true\n"
                                "[realms]\n"
                                "  PSREMOTE.TEST = {\n"
                                "    kdc = 127.0.0.1:" +
                                port +
                                "\n"
                                "  }\n";
    const QByteArray kdcConf = "[kdcdefaults]\n"
                               "  kdc_listen = 127.0.0.1:" +
                               port + "\n  kdc_tcp_listen = 127.0.0.1:" + port +
                               "\n[realms]\n"
                               "  PSREMOTE.TEST = {\n"
                               "    database_name = " +
                               dir + "/principal\n    key_stash_file = " + dir +
                               "/stash\n    acl_file = " + dir +
                               "/kadm5.acl\n"
                               "    default_principal_flags = +preauth\n"
                               "  }\n"
                               "[logging]\n"
                               "  kdc = FILE:" +
                               dir + "/kdc.log\n";
    const QByteArray commands = "addprinc -pw " + QByteArray(UserPassword) +
                                " user@PSREMOTE.TEST\n"
                                "addprinc -randkey HTTP/localhost@PSREMOTE.TEST\n"
                                "addprinc -randkey HTTP/localhost:5985@PSREMOTE.TEST\n"
                                "ktadd -k " +
                                dir +
                                "/http.keytab HTTP/localhost@PSREMOTE.TEST "
                                "HTTP/localhost:5985@PSREMOTE.TEST\n";
    if (!writeFile(m_dir->filePath(u"krb5.conf"_s), krb5Conf) ||
        !writeFile(m_dir->filePath(u"kdc.conf"_s), kdcConf) ||
        !writeFile(m_dir->filePath(u"kadmin.txt"_s), commands)) {
        m_problem = u"cannot write the realm configuration"_s;
        return false;
    }

    setEnv("KRB5_CONFIG", dir + "/krb5.conf");
    setEnv("KRB5_KTNAME", "FILE:" + dir + "/http.keytab");
    setEnv("KRB5_CLIENT_KTNAME", "FILE:" + dir + "/absent-client.keytab");
    setEnv("KRB5CCNAME", "FILE:" + dir + "/ccache");
    setEnv("KRB5RCACHETYPE", "none");

    if (!runTool(
            m_kdb5Util,
            {u"create"_s, u"-s"_s, u"-r"_s, u"PSREMOTE.TEST"_s, u"-P"_s, u"master-key-password"_s},
            {}) ||
        !runTool(m_kadmin, {u"-r"_s, u"PSREMOTE.TEST"_s}, m_dir->filePath(u"kadmin.txt"_s)))
        return false;
    if (!QFile::exists(m_dir->filePath(u"http.keytab"_s))) {
        m_problem = u"kadmin.local wrote no keytab: "_s + logTail();
        return false;
    }
    return startKdc();
}

bool KdcFixture::startKdc()
{
    if (kdcRunning())
        return true;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"KRB5_KDC_PROFILE"_s, m_dir->filePath(u"kdc.conf"_s));
    m_kdc.setProcessEnvironment(environment);
    // Output to files, never a pipe: krb5kdc keeps its descriptors open.
    m_kdc.setStandardInputFile(QProcess::nullDevice());
    m_kdc.setStandardOutputFile(m_dir->filePath(u"kdc.out"_s), QIODevice::Append);
    m_kdc.setStandardErrorFile(m_dir->filePath(u"kdc.err"_s), QIODevice::Append);
    m_kdc.start(m_krb5kdc, {u"-n"_s});
    if (!m_kdc.waitForStarted(5000)) {
        m_problem = u"krb5kdc did not start: "_s + m_kdc.errorString();
        return false;
    }
    const QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired()) {
        if (m_kdc.state() != QProcess::Running) {
            m_problem = u"krb5kdc exited: "_s + logTail();
            return false;
        }
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, m_port);
        if (probe.waitForConnected(200)) {
            probe.abort();
            return true;
        }
        QThread::msleep(5);
    }
    m_problem = u"krb5kdc did not listen on port "_s + QString::number(m_port);
    stopKdc();
    return false;
}

void KdcFixture::stopKdc()
{
    if (m_kdc.state() == QProcess::NotRunning)
        return;
    m_kdc.terminate(); // SIGTERM to the PID it was started with
    if (!m_kdc.waitForFinished(5000)) {
        m_kdc.kill();
        m_kdc.waitForFinished(5000);
    }
}

bool KdcFixture::kdcRunning() const
{
    return m_kdc.state() == QProcess::Running;
}

bool KdcFixture::kinit(const QByteArray &password)
{
    if (m_kinit.isEmpty()) {
        m_problem = u"kinit not found (install krb5-user)"_s;
        return false;
    }
    QProcess process;
    process.setStandardOutputFile(m_dir->filePath(u"tools.log"_s), QIODevice::Append);
    process.setStandardErrorFile(m_dir->filePath(u"tools.log"_s), QIODevice::Append);
    process.start(m_kinit, {QString::fromLatin1(UserPrincipal)});
    if (!process.waitForStarted(5000)) {
        m_problem = u"kinit did not start"_s;
        return false;
    }
    process.write(password + '\n');
    process.closeWriteChannel();
    if (!process.waitForFinished(10000) || process.exitStatus() != QProcess::NormalExit ||
        process.exitCode() != 0) {
        process.kill();
        process.waitForFinished(1000);
        m_problem = u"kinit failed: "_s + logTail();
        return false;
    }
    return true;
}

void KdcFixture::destroyCcache()
{
    QFile::remove(ccachePath());
}

QString KdcFixture::ccachePath() const
{
    return m_dir ? m_dir->filePath(u"ccache"_s) : QString();
}

bool KdcFixture::runTool(const QString &program, const QStringList &arguments,
                         const QString &stdinFile)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"KRB5_KDC_PROFILE"_s, m_dir->filePath(u"kdc.conf"_s));
    process.setProcessEnvironment(environment);
    process.setStandardInputFile(stdinFile.isEmpty() ? QProcess::nullDevice() : stdinFile);
    process.setStandardOutputFile(m_dir->filePath(u"tools.log"_s), QIODevice::Append);
    process.setStandardErrorFile(m_dir->filePath(u"tools.log"_s), QIODevice::Append);
    process.start(program, arguments);
    if (!process.waitForStarted(5000) || !process.waitForFinished(20000) ||
        process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        process.kill();
        process.waitForFinished(1000);
        m_problem = program + u" failed: "_s + logTail();
        return false;
    }
    return true;
}

void KdcFixture::setEnv(const char *name, const QByteArray &value)
{
    std::optional<QByteArray> previous;
    if (qEnvironmentVariableIsSet(name))
        previous = qgetenv(name);
    m_savedEnv.emplace_back(QByteArray(name), previous);
    qputenv(name, value);
}

void KdcFixture::restoreEnv()
{
    for (auto it = m_savedEnv.rbegin(); it != m_savedEnv.rend(); ++it) {
        if (it->second)
            qputenv(it->first.constData(), *it->second);
        else
            qunsetenv(it->first.constData());
    }
    m_savedEnv.clear();
}

QString KdcFixture::logTail() const
{
    QString text;
    for (const auto &name : {u"tools.log"_s, u"kdc.err"_s, u"kdc.log"_s}) {
        QFile file(m_dir->filePath(name));
        if (file.open(QIODevice::ReadOnly))
            text += QString::fromUtf8(file.readAll().right(600));
    }
    return text;
}

TestAcceptor::TestAcceptor(std::optional<Auth::ChannelBindings> bindings)
    : m_bindings(std::move(bindings))
{
}

TestAcceptor::~TestAcceptor()
{
    OM_uint32 minor = 0;
    if (m_context != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &m_context, GSS_C_NO_BUFFER);
    if (m_delegated != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &m_delegated);
}

void TestAcceptor::fail(const char *what, OM_uint32 major, OM_uint32 minor)
{
    m_lastMajor = major;
    m_error = QString::fromLatin1(what) + u": "_s + statusText(major, minor);
}

std::optional<QByteArray> TestAcceptor::accept(const QByteArray &token)
{
    gss_channel_bindings_struct bindings{};
    if (m_bindings) {
        bindings.initiator_addrtype = m_bindings->initiatorAddressType;
        bindings.initiator_address = bufferOf(m_bindings->initiatorAddress);
        bindings.acceptor_addrtype = m_bindings->acceptorAddressType;
        bindings.acceptor_address = bufferOf(m_bindings->acceptorAddress);
        bindings.application_data = bufferOf(m_bindings->applicationData);
    }
    gss_buffer_desc input = bufferOf(token);
    gss_buffer_desc output{0, nullptr};
    gss_name_t source = GSS_C_NO_NAME;
    OM_uint32 minor = 0;
    const OM_uint32 major =
        gss_accept_sec_context(&minor, &m_context, GSS_C_NO_CREDENTIAL, &input,
                               m_bindings ? &bindings : GSS_C_NO_CHANNEL_BINDINGS, &source, nullptr,
                               &output, nullptr, nullptr, &m_delegated);
    QByteArray reply(static_cast<const char *>(output.value),
                     static_cast<qsizetype>(output.length));
    OM_uint32 ignored = 0;
    gss_release_buffer(&ignored, &output);
    if (GSS_ERROR(major)) {
        fail("gss_accept_sec_context", major, minor);
        return std::nullopt;
    }
    if (source != GSS_C_NO_NAME) {
        m_clientName = nameText(source);
        gss_release_name(&ignored, &source);
    }
    if (!(major & GSS_S_CONTINUE_NEEDED)) {
        m_complete = true;
        gss_name_t target = GSS_C_NO_NAME;
        if (!GSS_ERROR(gss_inquire_context(&ignored, m_context, nullptr, &target, nullptr, nullptr,
                                           nullptr, nullptr, nullptr))) {
            m_targetName = nameText(target);
            gss_release_name(&ignored, &target);
        }
    }
    return reply;
}

std::optional<std::pair<QByteArray, QByteArray>>
TestAcceptor::wrapWinrm(const QByteArray &plaintext)
{
    QByteArray data = plaintext;
    std::array<gss_iov_buffer_desc, 3> iov{};
    iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER | GSS_IOV_BUFFER_FLAG_ALLOCATE;
    iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
    iov[1].buffer = bufferOf(data);
    iov[1].buffer.value = data.data();
    iov[2].type = GSS_IOV_BUFFER_TYPE_PADDING | GSS_IOV_BUFFER_FLAG_ALLOCATE;
    OM_uint32 minor = 0;
    int conf = 0;
    const OM_uint32 major =
        gss_wrap_iov(&minor, m_context, 1, GSS_C_QOP_DEFAULT, &conf, iov.data(), 3);
    std::optional<std::pair<QByteArray, QByteArray>> result;
    if (GSS_ERROR(major) || conf == 0) {
        fail("gss_wrap_iov", major, minor);
    } else {
        result.emplace(QByteArray(static_cast<const char *>(iov[0].buffer.value),
                                  static_cast<qsizetype>(iov[0].buffer.length)),
                       data + QByteArray(static_cast<const char *>(iov[2].buffer.value),
                                         static_cast<qsizetype>(iov[2].buffer.length)));
    }
    OM_uint32 ignored = 0;
    gss_release_iov_buffer(&ignored, iov.data(), 3);
    return result;
}

std::optional<QByteArray> TestAcceptor::unwrapWinrm(const QByteArray &header,
                                                    const QByteArray &data)
{
    QByteArray headerCopy = header;
    QByteArray dataCopy = data;
    std::array<gss_iov_buffer_desc, 3> iov{};
    iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
    iov[0].buffer = gss_buffer_desc{static_cast<size_t>(headerCopy.size()), headerCopy.data()};
    iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
    iov[1].buffer = gss_buffer_desc{static_cast<size_t>(dataCopy.size()), dataCopy.data()};
    iov[2].type = GSS_IOV_BUFFER_TYPE_DATA;
    OM_uint32 minor = 0;
    int conf = 0;
    const OM_uint32 major = gss_unwrap_iov(&minor, m_context, &conf, nullptr, iov.data(), 3);
    if (GSS_ERROR(major) || conf == 0 ||
        (major & (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN))) {
        fail("gss_unwrap_iov", major, minor);
        return std::nullopt;
    }
    dataCopy.truncate(static_cast<qsizetype>(iov[1].buffer.length));
    return dataCopy;
}

std::optional<QByteArray> TestAcceptor::wrap(const QByteArray &plaintext)
{
    gss_buffer_desc input = bufferOf(plaintext);
    gss_buffer_desc output{0, nullptr};
    OM_uint32 minor = 0;
    int conf = 0;
    const OM_uint32 major =
        gss_wrap(&minor, m_context, 1, GSS_C_QOP_DEFAULT, &input, &conf, &output);
    QByteArray token(static_cast<const char *>(output.value),
                     static_cast<qsizetype>(output.length));
    OM_uint32 ignored = 0;
    gss_release_buffer(&ignored, &output);
    if (GSS_ERROR(major) || conf == 0) {
        fail("gss_wrap", major, minor);
        return std::nullopt;
    }
    return token;
}

std::optional<QByteArray> TestAcceptor::unwrap(const QByteArray &token)
{
    gss_buffer_desc input = bufferOf(token);
    gss_buffer_desc output{0, nullptr};
    OM_uint32 minor = 0;
    int conf = 0;
    const OM_uint32 major = gss_unwrap(&minor, m_context, &input, &output, &conf, nullptr);
    QByteArray plaintext(static_cast<const char *>(output.value),
                         static_cast<qsizetype>(output.length));
    OM_uint32 ignored = 0;
    gss_release_buffer(&ignored, &output);
    if (GSS_ERROR(major) || conf == 0) {
        fail("gss_unwrap", major, minor);
        return std::nullopt;
    }
    return plaintext;
}

std::optional<QByteArray> TestAcceptor::getMic(const QByteArray &message)
{
    gss_buffer_desc input = bufferOf(message);
    gss_buffer_desc output{0, nullptr};
    OM_uint32 minor = 0;
    const OM_uint32 major = gss_get_mic(&minor, m_context, GSS_C_QOP_DEFAULT, &input, &output);
    QByteArray mic(static_cast<const char *>(output.value), static_cast<qsizetype>(output.length));
    OM_uint32 ignored = 0;
    gss_release_buffer(&ignored, &output);
    if (GSS_ERROR(major)) {
        fail("gss_get_mic", major, minor);
        return std::nullopt;
    }
    return mic;
}

bool TestAcceptor::verifyMic(const QByteArray &message, const QByteArray &mic)
{
    gss_buffer_desc input = bufferOf(message);
    gss_buffer_desc token = bufferOf(mic);
    OM_uint32 minor = 0;
    const OM_uint32 major = gss_verify_mic(&minor, m_context, &input, &token, nullptr);
    if (GSS_ERROR(major)) {
        fail("gss_verify_mic", major, minor);
        return false;
    }
    return true;
}

} // namespace KerberosTest
