#pragma once

#include "psrp/Error.h"
#include "psrp/Payloads.h"

#include <QSet>
#include <QUuid>

namespace Psrp {

// MS-PSRP 3.1.4.4 / 3.2.4.4 (pipeline state on both sides), PSInvocationState transitions:
//   NotStarted   -> Running (CREATE_PIPELINE sent or received), Failed, Stopped
//   Running      -> Stopping (client stop()), Stopped, Completed, Failed, Disconnected
//   Stopping     -> Stopped, Completed, Failed (the pipeline may finish before the signal lands)
//   Disconnected -> Running (reconnected), Stopped, Failed
//   Stopped, Completed, Failed: terminal.
// A same-state "transition" is not allowed. Every pipeline state change goes through this.
bool isAllowedTransition(PSInvocationState from, PSInvocationState to);
bool isTerminal(PSInvocationState state);

// Bookkeeping for one pipeline (or GET_COMMAND_METADATA run) of a runspace pool: its state,
// input status and outstanding host calls. Owned by the pool engine, by value.
class Pipeline {
public:
    explicit Pipeline(const QUuid &id = {}, bool noInput = true);

    QUuid id() const { return m_id; }
    PSInvocationState state() const { return m_state; }
    // Changes the state if isAllowedTransition() permits it; InvalidState otherwise.
    Result<void> transitionTo(PSInvocationState to);

    bool noInput() const { return m_noInput; }
    bool inputEnded() const { return m_inputEnded; }
    void setInputEnded() { m_inputEnded = true; }
    // True while the pipeline can still produce output or take input.
    bool isActive() const { return m_state == PSInvocationState::Running || m_state == PSInvocationState::Stopping; }

    // Host calls sent/received with a call id other than VoidCallId that wait for a response.
    QSet<qint64> &pendingHostCalls() { return m_pendingHostCalls; }

private:
    QUuid m_id;
    PSInvocationState m_state = PSInvocationState::NotStarted;
    bool m_noInput = true;
    bool m_inputEnded = false;
    QSet<qint64> m_pendingHostCalls;
};

} // namespace Psrp
