#pragma once

#include "auth/CryptoProvider.h"
#include "auth/NtlmMessage.h"
#include "auth/NtlmSecurity.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace AuthTest {

// Hex text (spaces allowed) to bytes.
QByteArray hex(const char *text);
// The process-wide provider; fails the calling test when the legacy provider is absent.
const Auth::CryptoProvider &crypto();

// MS-NLMP 4.2.1 common values.
inline constexpr char User[] = "User";
inline constexpr char Domain[] = "Domain";
inline constexpr char Password[] = "Password";
QByteArray serverChallenge();  // 0123456789abcdef
QByteArray randomSessionKey(); // 55 x 16
QByteArray clientChallenge();  // aa x 8
// MS-NLMP 4.2.4.2.2-style CHALLENGE (flags e28a8233, TargetName "Server", AvPairs NbDomainName
// "Domain", NbComputerName "Server", EOL, Version 6.0.6000/15) plus any extra AV pairs.
QByteArray challengeMessage(const Auth::Ntlm::AvPairs &extraPairs = {}, quint32 flags = 0xe28a8233);

// A test-only NTLM acceptor: checks an AUTHENTICATE message with the same primitives as the
// client (NTProofStr, session key, MIC) and offers the server side of session security.
class TestNtlmServer {
public:
    struct Authenticate {
        QByteArray lm, nt, domain, user, workstation, encryptedKey, mic, version;
        quint32 flags = 0;
    };
    static std::optional<Authenticate> parseAuthenticate(const QByteArray &message);

    // Returns an empty string on success, else what failed.
    QString accept(const QByteArray &negotiate, const QByteArray &challenge,
                   const QByteArray &authenticate, const QByteArray &passwordUtf8);

    Authenticate fields;
    Auth::Ntlm::AvPairs clientPairs;
    QByteArray exportedSessionKey;
    std::optional<Auth::Ntlm::NtlmSecurity> security;
};

} // namespace AuthTest
