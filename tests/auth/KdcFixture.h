#pragma once

#include "auth/ChannelBindings.h"

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <gssapi/gssapi.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace KerberosTest {

inline constexpr char Realm[] = "PSREMOTE.TEST";
inline constexpr char UserPrincipal[] = "user@PSREMOTE.TEST";
inline constexpr char UserPassword[] = "Correct-Horse-7";
inline constexpr quint16 SpnPort = 5985;

// A throw-away MIT Kerberos realm PSREMOTE.TEST on loopback: a database in a temp dir, the user
// user@PSREMOTE.TEST (password, pre-authentication required) and the services HTTP/localhost
// and HTTP/localhost:5985 in a keytab, krb5kdc on a free port. While it lives, KRB5_CONFIG,
// KRB5_KTNAME, KRB5CCNAME and the replay cache setting of this process point into the temp dir;
// the destructor stops the KDC (by its PID), restores the environment and deletes the dir.
class KdcFixture {
public:
    KdcFixture();
    ~KdcFixture();
    KdcFixture(const KdcFixture &) = delete;
    KdcFixture &operator=(const KdcFixture &) = delete;

    // Builds the realm and starts the KDC. False with problem() set when it cannot; then
    // toolsMissing() tells whether the krb5 KDC packages are simply not installed.
    bool start();
    QString problem() const { return m_problem; }
    bool toolsMissing() const { return m_toolsMissing; }

    void stopKdc();
    bool startKdc();
    bool kdcRunning() const;

    // kinit for user@PSREMOTE.TEST with the password on stdin, into KRB5CCNAME.
    bool kinit(const QByteArray &password);
    // Removes the ticket cache file.
    void destroyCcache();
    QString ccachePath() const;
    QString directory() const { return m_dir ? m_dir->path() : QString(); }

private:
    bool runTool(const QString &program, const QStringList &arguments, const QString &stdinFile);
    void setEnv(const char *name, const QByteArray &value);
    void restoreEnv();
    QString logTail() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_krb5kdc;
    QString m_kdb5Util;
    QString m_kadmin;
    QString m_kinit;
    quint16 m_port = 0;
    QProcess m_kdc;
    QString m_problem;
    bool m_toolsMissing = false;
    std::vector<std::pair<QByteArray, std::optional<QByteArray>>> m_savedEnv;
};

// The server side for the tests: a GSSAPI Kerberos acceptor over the fixture's keytab
// (KRB5_KTNAME), with the WinRM wrap/unwrap layout of dossier 4.4. Owns its context.
class TestAcceptor {
public:
    explicit TestAcceptor(std::optional<Auth::ChannelBindings> bindings = {});
    ~TestAcceptor();
    TestAcceptor(const TestAcceptor &) = delete;
    TestAcceptor &operator=(const TestAcceptor &) = delete;

    // gss_accept_sec_context; nullopt on failure with error() set.
    std::optional<QByteArray> accept(const QByteArray &token);
    bool isComplete() const { return m_complete; }
    QString error() const { return m_error; }
    quint32 lastMajor() const { return m_lastMajor; }
    QString clientName() const { return m_clientName; }
    QString targetName() const { return m_targetName; }
    bool receivedDelegation() const { return m_delegated != GSS_C_NO_CREDENTIAL; }

    std::optional<std::pair<QByteArray, QByteArray>> wrapWinrm(const QByteArray &plaintext);
    std::optional<QByteArray> unwrapWinrm(const QByteArray &header, const QByteArray &data);
    // GSS_Wrap / GSS_Unwrap as one token (confidentiality on).
    std::optional<QByteArray> wrap(const QByteArray &plaintext);
    std::optional<QByteArray> unwrap(const QByteArray &token);
    std::optional<QByteArray> getMic(const QByteArray &message);
    bool verifyMic(const QByteArray &message, const QByteArray &mic);

private:
    void fail(const char *what, OM_uint32 major, OM_uint32 minor);

    std::optional<Auth::ChannelBindings> m_bindings;
    gss_ctx_id_t m_context = GSS_C_NO_CONTEXT;
    gss_cred_id_t m_delegated = GSS_C_NO_CREDENTIAL;
    bool m_complete = false;
    QString m_error;
    quint32 m_lastMajor = 0;
    QString m_clientName;
    QString m_targetName;
};

} // namespace KerberosTest
