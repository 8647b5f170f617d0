#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace Auth {

// Every failure the auth library reports. Callers branch on the code (the wsman adapter maps it
// to Wsman::AuthErrorCode); the detail is technical text for logs and never contains a secret.
enum class ErrorCode {
    CryptoUnavailable, // an algorithm is missing (e.g. the OpenSSL legacy provider for MD4/RC4)
    CryptoFailure,     // an OpenSSL operation failed
    InvalidToken,      // a malformed or unexpected token from the server
    InvalidArgument,   // a caller-supplied value is unusable (empty user, bad certificate DER)
    InvalidState,      // an operation the context does not allow now
    IntegrityFailure,  // a signature or sequence number did not verify (tampering, lost sync)
    Unsupported,       // valid, but a feature this implementation does not provide
    // Why credentials could not be used (Kerberos: see KerberosFailure for the finer kind):
    CredentialsRejected, // the KDC refused the password, or the server rejected the logon
    NoCredentials,       // no ticket in the cache (or it expired) and no password
    UnknownPrincipal,    // the KDC does not know the user
    UnknownServer,       // the KDC does not know the target SPN
    KdcUnreachable,      // no KDC answered for the realm
    ClockSkew,           // local clock too far from the KDC's or the server's
};

struct Error {
    ErrorCode code;
    QString detail;
};

// Either a value or an Error: the return type of every fallible auth function.
template <typename T> class [[nodiscard]] Result {
public:
    Result(T value)
        : m_data(std::in_place_index<0>, std::move(value)) {} // NOLINT: implicit by design
    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {} // NOLINT

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    T &value() & { return std::get<0>(m_data); }
    const T &value() const & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }

    const Error &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, Error> m_data;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_failed(true) {} // NOLINT

    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return m_error; }

private:
    Error m_error{ErrorCode::InvalidState, {}};
    bool m_failed = false;
};

inline Error makeError(ErrorCode code, QString detail)
{
    return Error{code, std::move(detail)};
}

} // namespace Auth
