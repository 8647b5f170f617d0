#include "auth/Digest.h"
