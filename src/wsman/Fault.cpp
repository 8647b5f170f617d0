#include "wsman/Fault.h"
