#include "SquidFixture.h"
