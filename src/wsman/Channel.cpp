#include "wsman/Channel.h"
