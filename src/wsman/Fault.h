#pragma once

#include "psrp/Error.h"

#include <QByteArrayView>
#include <QString>

namespace Wsman {

// Dossier 1.11: well-known WSManFault codes (PowerShell's names in comments).
namespace FaultCode {
inline constexpr quint32 AccessDenied = 5;                     // ERROR_ACCESS_DENIED
inline constexpr quint32 InvalidParameter = 87;                // ERROR_INVALID_PARAMETER
inline constexpr quint32 AuthenticationFailed = 1311;          // ERROR_NO_LOGON_SERVERS
inline constexpr quint32 LogonFailure = 1326;                  // ERROR_LOGON_FAILURE
inline constexpr quint32 InvalidHeader = 0x8033800F;           // invalid SOAP header
inline constexpr quint32 CannotConnect = 0x80338012;           // ERROR_WSMAN_SENDDATA_CANNOT_CONNECT
inline constexpr quint32 OperationTimedOut = 0x80338029;       // ERROR_WSMAN_OPERATION_TIMEDOUT
inline constexpr quint32 InvalidResourceUri = 0x8033803B;      // ERROR_WSMAN_INVALID_RESOURCE_URI
inline constexpr quint32 SchemaValidation = 0x80338041;        // w:SchemaValidationError
inline constexpr quint32 ShellNotFound = 0x8033805B;           // ERROR_WSMAN_TARGETSESSION_DOESNOTEXIST
inline constexpr quint32 ServerNotTrusted = 0x803380E4;        // ERROR_WSMAN_SERVER_NOT_TRUSTED
inline constexpr quint32 ExplicitCredentialsRequired = 0x803380E5;
inline constexpr quint32 EnvelopeTooLarge = 0x80338111;        // request over MaxEnvelopeSize
inline constexpr quint32 RedirectRequested = 0x80338199;       // ERROR_WSMAN_REDIRECT_REQUESTED
inline constexpr quint32 QuotaExceeded = 0x803381A6;           // per-user shell/command quota
inline constexpr quint32 ComputerNotFound = 0x803381B9;        // ERROR_WSMAN_COMPUTER_NOTFOUND
inline constexpr quint32 CannotUseIp = 0x803381BB;
inline constexpr quint32 IncorrectProtocolVersion = 0x80540FA0; // protocolversion rejected
} // namespace FaultCode

enum class FaultKind {
    OperationTimedOut, // on a Receive: not an error, receive again
    ShellNotFound,     // the pool is gone: treat it as closed
    AccessDenied,
    Authentication,
    QuotaExceeded,
    SchemaValidation,
    InvalidHeader,
    InvalidParameter,
    EnvelopeTooLarge,
    InvalidResourceUri, // bad ConfigurationName
    Redirect,
    IncorrectProtocolVersion,
    CannotConnect,
    Other,
};

// A SOAP fault from a WS-Management server (MS-WSMV 2.2.4.47 WSManFault). code: the
// WSManFault @Code, else derived from the Subcode (0 when neither names a known code).
struct Fault {
    quint32 code = 0;
    QString machine;
    QString message; // f:Message text, nested f:ProviderFault text included
    QString subcode; // s:Subcode/s:Value local part, e.g. "TimedOut"
    QString reason;  // s:Reason/s:Text
    QString soapCode; // s:Code/s:Value local part: "Sender" or "Receiver"

    FaultKind kind() const;
};

// InvalidXml when the body is not a SOAP fault.
Psrp::Result<Fault> parseFault(QByteArrayView body);

FaultKind faultKind(quint32 code);
// PowerShell's FullyQualifiedErrorId for the code (WSManTransportManager
// s_transportErrorCodeToFQEID), e.g. "AccessDenied"; "WinRMOperationTimeout", ... ;
// "PSSessionStateBroken" for codes without a specific one.
QString fullyQualifiedErrorId(quint32 code);
// Short technical meaning of the code, for logs and the CLI's sentence.
QString faultMeaning(quint32 code);
// Dossier 1.7: 0x80338029 on a Receive means "send another Receive".
inline bool isReceiveTimeout(const Fault &fault) { return fault.code == FaultCode::OperationTimedOut; }

} // namespace Wsman
