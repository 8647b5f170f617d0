#include "auth/Spnego.h"

#include <gtest/gtest.h>
