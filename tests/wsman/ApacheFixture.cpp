#include "ApacheFixture.h"
