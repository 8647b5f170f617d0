#pragma once

#include <QString>

#include <optional>

namespace Gui {

class SavedHostStore;

// The saved host installer/run.sh opens: "Loopback demo" at the top level, Basic over plain
// HTTP to the loopback endpoint (psremote-test-server) on 127.0.0.1, user "demo", NoEncryption
// (loopback only), password not remembered (run.sh generates a new one per run).
inline constexpr QStringView LoopbackDemoName = u"Loopback demo";
inline constexpr QStringView LoopbackDemoUser = u"demo";
// The environment variable run.sh hands the endpoint's password in (removed at once on start).
inline constexpr const char *LoopbackDemoPasswordVariable = "PSREMOTE_DEMO_PASSWORD";

struct LoopbackDemoSeed {
    QString id;                   // the demo host's id (found or added)
    bool added = false;           // false: a host of that name existed and was left as it is
    std::optional<QString> error; // the store could not be written (the host is kept in memory)
};

// Adds the demo host for `port` unless a top-level host named "Loopback demo" exists; never
// changes, moves or removes any other host (nor an existing demo host the user edited).
LoopbackDemoSeed ensureLoopbackDemoHost(SavedHostStore &store, quint16 port);

} // namespace Gui
