#pragma once

#include "wsman/Secret.h"

#include <QObject>
#include <QString>
#include <QStringView>
#include <QUrl>

#include <functional>
#include <optional>
#include <variant>

namespace Credentials {

enum class ErrorKind {
    NotFound,     // no secret stored under that key
    NoBackend,    // no keychain on this system (the backend said so)
    AccessDenied, // the keychain is locked or the user refused access
    Other,        // anything else, e.g. no D-Bus session or no Secret Service on it
};

// Why an operation failed: the kind to branch on, the backend's words to show.
struct Error {
    ErrorKind kind = ErrorKind::Other;
    QString message; // the backend's own text (QtKeychain's errorString()): show it to the user
};

// The outcome of CredentialStore::read: the secret, or why there is none.
class ReadResult {
public:
    ReadResult(Wsman::Secret secret) : m_data(std::in_place_index<0>, std::move(secret)) {} // NOLINT: implicit by design
    ReadResult(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}           // NOLINT

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }
    const Wsman::Secret &secret() const { return std::get<0>(m_data); }
    Wsman::Secret takeSecret() { return std::move(std::get<0>(m_data)); }
    const Error &error() const { return std::get<1>(m_data); }

private:
    std::variant<Wsman::Secret, Error> m_data;
};

// The outcome of write and remove: nullopt on success.
using DoneResult = std::optional<Error>;

// Asynchronous secret storage by key. Every operation returns at once and delivers its result
// later, from the event loop of the caller's thread, to a handler bound to a context object: when
// the context is destroyed first, the handler is dropped. No operation runs a nested event loop.
// remove() of a key that holds nothing succeeds. Secrets never reach logs or error messages.
//
// Key scheme (keys are stable: they name items in the user's keychain). Each variable part has
// '%' and '/' percent-encoded, so a key splits unambiguously on '/':
//   host/<saved-host-id>/<user>        password of a saved host for that user name
//   certificate/<THUMBPRINT>           passphrase of a client certificate's private key
//                                      (SHA-1, 40 upper-case hex digits, as Windows shows it)
//   proxy/<host>:<port>/<user>         password of an HTTP proxy (host lower-case)
class CredentialStore : public QObject {
    Q_OBJECT
public:
    using ReadHandler = std::function<void(ReadResult)>;
    using DoneHandler = std::function<void(DoneResult)>;

    explicit CredentialStore(QObject *parent = nullptr) : QObject(parent) {}

    virtual void read(const QString &key, QObject *context, ReadHandler handler) = 0;
    virtual void write(const QString &key, const Wsman::Secret &secret, QObject *context, DoneHandler handler) = 0;
    virtual void remove(const QString &key, QObject *context, DoneHandler handler) = 0;

    static QString hostPasswordKey(QStringView savedHostId, QStringView user);
    // nullopt when `thumbprint` is not a SHA-1 thumbprint (blanks and colons are ignored).
    static std::optional<QString> certificatePassphraseKey(QStringView thumbprint);
    // `proxy` as given to --proxy (http://host:port); port defaults to the scheme's.
    static QString proxyPasswordKey(const QUrl &proxy, QStringView user);
};

} // namespace Credentials
