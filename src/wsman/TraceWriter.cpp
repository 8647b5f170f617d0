#include "wsman/TraceWriter.h"
