#pragma once

#include "wsman/Fault.h"
#include "wsman/ServerEnvelope.h"

#include <QByteArray>
#include <QLatin1StringView>
#include <QString>

namespace TestServer {

// WSManFault codes the endpoint produces (dossier 1.11); the values of Wsman::FaultCode.
namespace FaultCodes {
inline constexpr quint32 OperationTimedOut = Wsman::FaultCode::OperationTimedOut;
inline constexpr quint32 ShellNotFound = Wsman::FaultCode::ShellNotFound;
inline constexpr quint32 SchemaValidation = Wsman::FaultCode::SchemaValidation;
inline constexpr quint32 InvalidResourceUri = Wsman::FaultCode::InvalidResourceUri;
inline constexpr quint32 EnvelopeTooLarge = Wsman::FaultCode::EnvelopeTooLarge;
inline constexpr quint32 InvalidHeader = Wsman::FaultCode::InvalidHeader;
inline constexpr quint32 AccessDenied = 5; // dossier 1.11: authenticated but not authorised
} // namespace FaultCodes

// Endpoint helpers on top of Wsman::ServerEnvelope (candidates to move into wsman).
// A fault as Windows shapes it: subcode "TimedOut" or "w:TimedOut"; Receiver for timeouts and
// injected faults, Sender for the client's mistakes.
Wsman::Fault endpointFault(quint32 code, const QString &subcode, const QString &message);
// Bytes a ReceiveResponse costs besides its base64 payload (one stream + CommandState).
qsizetype receiveOverhead();

// The WinRM configuration resource (WS-Transfer Get answers cfg:Config).
inline constexpr QLatin1StringView ConfigResourceUri{"http://schemas.microsoft.com/wbem/wsman/1/config"};
// GetResponse with cfg:Config as Windows writes it (test_wsman_update_envelope_size_4096.yml):
// MaxEnvelopeSizekb, MaxTimeoutms, MaxBatchItems and the Winrs limits.
QByteArray buildConfigGetResponse(const Wsman::ServerRequest &request, qint64 maxEnvelopeSizeKb,
                                  qint64 maxTimeoutMs);

} // namespace TestServer
