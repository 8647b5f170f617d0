#pragma once

#include "credentials/CredentialStore.h"

#include <QString>

#include <map>
#include <optional>

namespace Credentials {

// FOR TESTS OF UPPER LAYERS ONLY: a CredentialStore in process memory (secrets wiped when
// replaced, removed or destroyed), asynchronous like the real one: results arrive through the
// event loop, never from inside read/write/remove. setFailure() makes every later operation fail
// with that error (e.g. NoBackend) to exercise the prompt-every-time path.
class MemoryCredentialStore final : public CredentialStore {
    Q_OBJECT
public:
    explicit MemoryCredentialStore(QObject *parent = nullptr) : CredentialStore(parent) {}

    void read(const QString &key, QObject *context, ReadHandler handler) override;
    void write(const QString &key, const Wsman::Secret &secret, QObject *context, DoneHandler handler) override;
    void remove(const QString &key, QObject *context, DoneHandler handler) override;

    void setFailure(std::optional<Error> failure) { m_failure = std::move(failure); }
    bool contains(const QString &key) const { return m_items.count(key) != 0; }
    qsizetype size() const { return qsizetype(m_items.size()); }

private:
    std::map<QString, Wsman::Secret> m_items;
    std::optional<Error> m_failure;
};

} // namespace Credentials
