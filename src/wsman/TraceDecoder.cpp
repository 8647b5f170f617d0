#include "wsman/TraceDecoder.h"
