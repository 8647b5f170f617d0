#include "psrp/Message.h"
