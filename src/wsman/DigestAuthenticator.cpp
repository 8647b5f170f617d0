#include "wsman/DigestAuthenticator.h"
