#include "psrp/Clixml.h"
