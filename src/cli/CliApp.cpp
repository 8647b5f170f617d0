#include "cli/CliApp.h"
