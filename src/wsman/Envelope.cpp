#include "wsman/Envelope.h"
