#include "wsman/ServerEnvelope.h"
