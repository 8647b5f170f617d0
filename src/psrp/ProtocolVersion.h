#pragma once

#include <QVersionNumber>
#include <QtGlobal>

namespace Psrp {

// What each MS-PSRP protocol version (SESSION_CAPABILITY protocolversion) adds; dossier 2.3
// "Protocol versions". Stateless helpers used by the pool engines.
namespace ProtocolVersions {

inline QVersionNumber v2_1() { return QVersionNumber(2, 1); }
inline QVersionNumber v2_2() { return QVersionNumber(2, 2); }
inline QVersionNumber v2_3() { return QVersionNumber(2, 3); }
inline QVersionNumber v2_4() { return QVersionNumber(2, 4); }

// The version this client announces (it always runs the session-key exchange, dossier 2.7).
inline QVersionNumber clientAnnounced() { return v2_3(); }

// >= 2.2: MergeError/Warning/Verbose/Debug in CREATE_PIPELINE and the 500 KiB envelope.
inline bool hasStreamMerging(const QVersionNumber &v) { return v >= v2_2(); }
// >= 2.3: INFORMATION_RECORD, MergeInformation and RESET_RUNSPACE_STATE.
inline bool hasInformationStream(const QVersionNumber &v) { return v >= v2_3(); }
inline bool hasResetRunspaceState(const QVersionNumber &v) { return v >= v2_3(); }
// >= 2.4 on both peers: <SS> carries plain UTF-16LE, no PUBLIC_KEY exchange.
inline bool hasPlainSecureString(const QVersionNumber &a, const QVersionNumber &b)
{
    return a >= v2_4() && b >= v2_4();
}

} // namespace ProtocolVersions

// Dossier 1.10: WinRM 2.0 (protocol <= 2.1) accepts 150 KiB envelopes, WinRM 3.0+ 500 KiB. Until
// the server's SESSION_CAPABILITY is known the smaller size applies.
inline constexpr qsizetype SmallEnvelopeSize = 150 * 1024;
inline constexpr qsizetype LargeEnvelopeSize = 500 * 1024;
qsizetype maxEnvelopeSizeFor(const QVersionNumber &serverProtocolVersion);

// Room a WS-Man Send/Command envelope needs besides the base64 payload: SOAP header with
// addressing, selectors, locale and option set (about 2 KiB in practice), doubled for safety.
inline constexpr qsizetype EnvelopeOverheadBytes = 4096;
// The largest payload of packed fragments (raw bytes, before base64) that fits one envelope of
// `envelopeSize` bytes: (envelopeSize - EnvelopeOverheadBytes) * 3 / 4, base64 turning every 3
// bytes into 4 characters. Never below FragmentHeaderSize + 1.
qsizetype maxFragmentPayloadSize(qsizetype envelopeSize);

} // namespace Psrp
