#include "gui/ConsoleTab.h"
// Placeholder: the console engineer replaces this file.
