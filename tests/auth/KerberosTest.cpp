#include "auth/Kerberos.h"

#include <gtest/gtest.h>
