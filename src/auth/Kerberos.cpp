#include "auth/Kerberos.h"
