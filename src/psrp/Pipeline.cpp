#include "psrp/Pipeline.h"
