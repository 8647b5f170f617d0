#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace Psrp {

// Every failure the psrp library reports. Callers branch on the code; the detail is technical
// text for logs and diagnostics (never a secret), not a translated sentence for users.
enum class ErrorCode {
    InvalidXml,           // not well-formed XML, or not the CLIXML shape expected here
    InvalidValue,         // a primitive whose text does not parse as its type (e.g. <I32>x</I32>)
    UnknownRefId,         // <Ref>/<TNRef> naming an id not seen earlier in the same message
    NestingTooDeep,       // object nesting beyond the deserializer's limit
    LimitExceeded,        // a declared or accumulated size over the configured maximum
    FragmentTruncated,    // fewer bytes than a fragment header or its BlobLength claims
    FragmentOutOfOrder,   // FragmentId not ascending, a missing start, a duplicate, a stray end
    MessageTruncated,     // a PSRP message shorter than its 40-byte header
    UnknownMessageType,   // a MessageType value outside MS-PSRP 2.2.1's table
    UnexpectedMessage,    // a message the state machine does not allow in its current state
    MissingProperty,      // a payload lacks a property MS-PSRP requires
    InvalidState,         // an operation the state machine does not allow now
    CryptoFailure,        // session-key exchange or SecureString (de)cryption failed
    Unsupported,          // valid, but a feature this implementation does not provide
};

struct Error {
    ErrorCode code;
    QString detail;
};

// Either a value or an Error: the return type of every fallible psrp function.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {} // NOLINT: implicit by design
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

template <>
class [[nodiscard]] Result<void> {
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

} // namespace Psrp
