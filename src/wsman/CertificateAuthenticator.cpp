#include "wsman/CertificateAuthenticator.h"
