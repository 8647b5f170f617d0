#include "psrp/Pipeline.h"

using namespace Qt::Literals::StringLiterals;

namespace Psrp {

bool isTerminal(PSInvocationState state)
{
    return state == PSInvocationState::Stopped || state == PSInvocationState::Completed
        || state == PSInvocationState::Failed;
}

bool isAllowedTransition(PSInvocationState from, PSInvocationState to)
{
    using S = PSInvocationState;
    switch (from) {
    case S::NotStarted:
        return to == S::Running || to == S::Failed || to == S::Stopped;
    case S::Running:
        return to == S::Stopping || to == S::Stopped || to == S::Completed || to == S::Failed
            || to == S::Disconnected;
    case S::Stopping:
        return to == S::Stopped || to == S::Completed || to == S::Failed;
    case S::Disconnected:
        return to == S::Running || to == S::Stopped || to == S::Failed;
    case S::Stopped:
    case S::Completed:
    case S::Failed:
        return false;
    }
    return false;
}

Pipeline::Pipeline(const QUuid &id, bool noInput) : m_id(id), m_noInput(noInput) {}

Result<void> Pipeline::transitionTo(PSInvocationState to)
{
    if (!isAllowedTransition(m_state, to))
        return makeError(ErrorCode::InvalidState,
                         u"pipeline %1: PSInvocationState %2 -> %3 is not allowed"_s.arg(
                             m_id.toString(QUuid::WithoutBraces), enumText(m_state), enumText(to)));
    m_state = to;
    return {};
}

} // namespace Psrp
