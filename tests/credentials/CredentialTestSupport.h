#pragma once

#include "credentials/CredentialStore.h"

#include <QString>

#include <functional>
#include <optional>
#include <string>

namespace CredentialTest {

// Drives the event loop until the store answers (a hang guard, not a timing assertion).
std::optional<Credentials::ReadResult> readSecret(Credentials::CredentialStore &store, const QString &key);
std::optional<Credentials::DoneResult> writeSecret(Credentials::CredentialStore &store, const QString &key, QStringView secret);
std::optional<Credentials::DoneResult> removeSecret(Credentials::CredentialStore &store, const QString &key);

// "" when the write or remove succeeded, else why not ("no answer", the store's message).
std::string failureOf(const std::optional<Credentials::DoneResult> &result);

QString secretText(const Credentials::ReadResult &result);
// Processes events until done() or the guard expires; returns done().
bool spinUntil(const std::function<bool()> &done, int guardMs = 20000);

} // namespace CredentialTest
