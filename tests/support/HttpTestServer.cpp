#include "HttpTestServer.h"
