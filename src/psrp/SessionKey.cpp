#include "psrp/SessionKey.h"
