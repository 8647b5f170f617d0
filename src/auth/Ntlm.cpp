#include "auth/Ntlm.h"
