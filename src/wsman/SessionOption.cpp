#include "wsman/SessionOption.h"
