#pragma once

#include "wsman/Authenticator.h"
#include "wsman/ConnectionInfo.h"
#include "wsman/RunspacePoolClient.h"
#include "wsman/Secret.h"
#include "wsman/SessionOption.h"
#include "wsman/TrustedHosts.h"

namespace Wsman {

// Whether `connection` authenticates with a user name and a password: Basic, NTLM, Negotiate,
// Default, CredSSP, Digest; Kerberos only with a user name (else the ticket cache);
// negotiate-implicit and a client certificate never.
bool authenticationNeedsPassword(const ConnectionInfo &connection);

// The authenticator for Enter-PSSession -Authentication (dossier 3.2-3.7), shared by the CLI and
// the GUI: Default is Negotiate, as in PowerShell; SPN HTTP/host, or HTTP/host:port with
// IncludePortInSPN; message encryption over plain HTTP unless NoEncryption (dossier 4.1). A
// connection with a CertificateThumbprint gets the certificate authenticator (the certificate
// itself goes into ClientOptions::clientCertificate). `password` is held by the factory.
AuthenticatorFactory authenticatorFactoryFor(const ConnectionInfo &connection, const ConnectionTarget &target,
                                             const SessionOption &sessionOption, Secret password);

// ClientOptions::redirectAuthenticator for a session started with `connection`: each redirect
// hop gets an authenticator of its own (its SPN, its Digest URI), and a hop is refused where
// connecting there directly would need consent the user has not given (a host outside `trusted`
// under the TrustedHosts rule), and always with CredSSP (it would delegate the password to a
// host the user never named). The refusal names the host, never a secret.
RedirectAuthenticator redirectAuthenticatorFor(const ConnectionInfo &connection, const SessionOption &sessionOption,
                                               const TrustedHosts &trusted, Secret password);

} // namespace Wsman
