#include "wsman/ConnectionInfo.h"
