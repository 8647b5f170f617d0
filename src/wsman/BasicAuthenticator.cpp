#include "wsman/BasicAuthenticator.h"
