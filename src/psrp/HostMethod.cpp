#include "psrp/HostMethod.h"
