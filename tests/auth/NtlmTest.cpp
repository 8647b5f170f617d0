#include "auth/Ntlm.h"

#include <gtest/gtest.h>
