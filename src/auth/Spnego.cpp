#include "auth/Spnego.h"
