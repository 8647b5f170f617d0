#include "cli/TraceCommand.h"
