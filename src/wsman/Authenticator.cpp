#include "wsman/Authenticator.h"

#include "auth/Error.h"

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

AuthErrorCode mapCode(Auth::ErrorCode code)
{
    switch (code) {
    case Auth::ErrorCode::InvalidToken:
    case Auth::ErrorCode::InvalidState:
        return AuthErrorCode::InvalidToken;
    case Auth::ErrorCode::InvalidArgument:
    case Auth::ErrorCode::CredentialsRejected:
        return AuthErrorCode::Rejected;
    case Auth::ErrorCode::Unsupported:
        return AuthErrorCode::Unsupported;
    case Auth::ErrorCode::CryptoUnavailable:
    case Auth::ErrorCode::CryptoFailure:
    case Auth::ErrorCode::IntegrityFailure:
        return AuthErrorCode::CryptoFailure;
    case Auth::ErrorCode::NoCredentials:
        return AuthErrorCode::NoCredentials;
    case Auth::ErrorCode::UnknownPrincipal:
        return AuthErrorCode::UnknownUser;
    case Auth::ErrorCode::UnknownServer:
        return AuthErrorCode::UnknownServer;
    case Auth::ErrorCode::KdcUnreachable:
        return AuthErrorCode::KdcUnreachable;
    case Auth::ErrorCode::ClockSkew:
        return AuthErrorCode::ClockSkew;
    }
    return AuthErrorCode::CryptoFailure;
}

} // namespace

std::optional<QByteArray> challengeToken(const QList<QByteArray> &challenges, QByteArrayView scheme)
{
    for (const QByteArray &challenge : challenges) {
        // One header may carry several comma-separated schemes ("Negotiate, Basic realm=...").
        for (const QByteArray &part : challenge.split(',')) {
            const QByteArray trimmed = part.trimmed();
            const qsizetype space = trimmed.indexOf(' ');
            const QByteArrayView name = QByteArrayView(trimmed).first(space < 0 ? trimmed.size() : space);
            if (name.compare(scheme, Qt::CaseInsensitive) == 0)
                return space < 0 ? QByteArray() : trimmed.mid(space + 1).trimmed();
        }
    }
    return std::nullopt;
}

AuthError authErrorFrom(const Auth::Error &error, const QString &prefix)
{
    return AuthError{mapCode(error.code), prefix + u": "_s + error.detail};
}

} // namespace Wsman
