#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <optional>

namespace AuthTest {

// A test-only SPNEGO acceptor over the system GSSAPI (MIT krb5's SPNEGO with gss-ntlmssp), its
// negotiable mechanisms limited to NTLM. gss-ntlmssp checks users from the file named by
// NTLM_USER_FILE (set by the caller before the first step). Owns the GSS credential and context.
class GssAcceptor {
public:
    // Empty when MIT's mechanism list contains NTLMSSP (1.3.6.1.4.1.311.2.2.10), else why not.
    static QString ntlmsspMissing();

    GssAcceptor();
    ~GssAcceptor();
    GssAcceptor(const GssAcceptor &) = delete;
    GssAcceptor &operator=(const GssAcceptor &) = delete;

    // Acquires the SPNEGO acceptor credential; returns an empty string or the GSS failure.
    QString init();

    struct Step {
        quint32 major = 0;
        quint32 minor = 0;
        QByteArray output;
        bool complete = false;
        QString error; // gss_display_status text when major is an error
    };
    Step step(QByteArrayView input);

    // gss_wrap (confidentiality) / gss_unwrap; std::nullopt with `error` set on failure.
    std::optional<QByteArray> wrap(QByteArrayView plaintext, QString *error);
    std::optional<QByteArray> unwrap(QByteArrayView token, QString *error);
    // The initiator's name as the acceptor saw it, and the mechanism gss_accept_sec_context chose.
    QString sourceName() const { return m_sourceName; }
    QByteArray mechOid() const { return m_mechOid; }

private:
    struct Handles;
    Handles *m_handles;
    QString m_sourceName;
    QByteArray m_mechOid;
};

} // namespace AuthTest
