#include "psrp/Fragment.h"
