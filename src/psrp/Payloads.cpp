#include "psrp/Payloads.h"
