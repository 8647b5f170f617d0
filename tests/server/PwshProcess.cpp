#include "PwshProcess.h"
