#include "session/Session.h"
