#include "ClixmlEquivalence.h"
