#include "psrp/RunspacePool.h"
