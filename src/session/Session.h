#pragma once

// The session library in one include: the UI interface, the interactive session engine, the
// session manager and the local command history.
#include "session/CommandHistory.h"
#include "session/HostUi.h"
#include "session/InteractiveSession.h"
#include "session/ProgressTracker.h"
#include "session/SessionManager.h"
