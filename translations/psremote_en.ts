<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>ConnectionDialog</name>
    <message>
        <source>New Connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parameter set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>By &amp;computer name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>By connection &amp;URI</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ComputerName</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Computer &amp;name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>server.contoso.com</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Default (5985, or 5986 with SSL)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use&amp;SSL:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use HTTPS (the server certificate is verified)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Application name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WSMAN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ConnectionUri</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connection U&amp;RI:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>https://server.contoso.com:5986/wsman</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redirection:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Allo&amp;w redirection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Authentication and credential</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Au&amp;thentication:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>user, DOMAIN\user or user@REALM</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Asked for when connecting if left empty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keychain:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Remember the password in the system keychain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;ertificate:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Con&amp;figuration name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Microsoft.PowerShell</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Network access:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E&amp;nableNetworkAccess</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No effect with this client: the wire form of this setting is undocumented.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cu&amp;lture:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>U&amp;I culture:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Session options</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PSSessionOption fields; each shows PowerShell&apos;s default.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pro&amp;xy (PSRemote):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>http://proxy.contoso.com:3128</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ApplicationArguments:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>One NAME=VALUE per line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Save as host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Na&amp;me:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F&amp;older:</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::AboutDialog</name>
    <message>
        <source>PSRemote %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Qt %1 (built with %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OpenSSL: not available</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About PSRemote</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;h2&gt;PSRemote&lt;/h2&gt;&lt;p&gt;PowerShell remoting (WinRM / MS-PSRP) consoles in tabs.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::CertificateDialog</name>
    <message>
        <source>Server Certificate Changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Untrusted Server Certificate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WARNING: the certificate of %1 is not the one you pinned. Someone may be intercepting the connection, or the server got a new certificate. Not connecting.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server %1 presented a certificate this computer does not trust (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown issuer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Subject:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Issuer:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Valid from:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Valid until:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SHA-256:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>If the server really has a new certificate, check its SHA-256 with the server&apos;s administrator, remove the old pin in Settings &gt; Pinned certificates and connect again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare the SHA-256 with the one the server&apos;s administrator gave you. &quot;Trust and connect&quot; pins this certificate for %1 from now on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Trust and connect</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::ChoiceDialog</name>
    <message>
        <source>Choose</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The choice dialog was closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The user cancelled the choice.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::ConnectionDialog</name>
    <message>
        <source>Default (Negotiate)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Negotiate (Kerberos, else NTLM)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kerberos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NegotiateWithImplicitCredential (ticket cache)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NTLM</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Basic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Digest</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CredSSP (delegates your password)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(none: authenticate with the credential)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (this computer&apos;s culture)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (this computer&apos;s UI culture)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved Host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New Connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Connect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bytes or &quot;unlimited&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>default: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1; default: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No effect with this client: the wire form of this setting is undocumented.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (not in the certificate store)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User name: &apos;%1&apos; is not user, DOMAIN\user or user@REALM.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Session option %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: &apos;%2&apos; is not a culture name such as en-US.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Proxy: &apos;%1&apos; is not an http://HOST[:PORT] URL without a user name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ApplicationArguments: &apos;%1&apos; is not NAME=VALUE.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter a computer name or a connection URI.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ConnectionUri cannot be combined with ComputerName, Port, UseSSL or ApplicationName.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection URI is not an absolute http:// or https:// URL (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection parameters are not valid: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The port must be between 1 and 65535.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Certificate authentication works over HTTPS only: check UseSSL (or use an https:// URI).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>With a certificate the certificate is the credential: clear the user name and use Default authentication.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 authentication needs a credential: enter a user name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting to an IP address needs an explicit credential.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting to an IP address needs HTTPS or a TrustedHosts entry for %1 (Settings &gt; Trusted hosts).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ProxyCredential needs a proxy: a proxy URL or ProxyAccessType IEConfig, WinHttpConfig or AutoDetect.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A proxy URL contradicts ProxyAccessType NoProxyServer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter a name for the saved host.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A host name cannot contain &apos;/&apos; (use the folder for that).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A saved host named &apos;%1&apos; already exists in this folder.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::ConsoleTab</name>
    <message>
        <source>&amp;Reconnect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Find</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Previous</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The command history could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The session %1 no longer exists.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The command history could not be saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconnecting to %1...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>connecting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ready</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>busy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>broken</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>disconnected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>closed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::CredentialDialog</name>
    <message>
        <source>PowerShell Credential Request</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The remote computer is asking for your credentials.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The remote computer %1 is asking for your credentials.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The credential dialog was closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The user cancelled the credential request.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::GuiConnection</name>
    <message>
        <source>Encrypted (TLS)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NOT encrypted (NoEncryption)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NOT encrypted (%1 over HTTP)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Encrypted (message encryption)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection parameters are not valid: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No certificate %1 in the certificate store; import it with `psremote-cli certificate import FILE`.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Certificate Passphrase</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Passphrase for the private key of the certificate %1:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The keychain could not be used: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled: no passphrase for the certificate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The passphrase does not open the key of the certificate %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The certificate cannot be loaded: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>your password in clear text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an NTLM response that can be cracked offline to recover your password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The IP address %1 is not in your TrustedHosts list and the connection is plain HTTP.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The computer %1 is not in your TrustedHosts list and the connection is plain HTTP.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Over HTTP the server cannot be authenticated (Kerberos cannot be used with an IP address):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Over HTTP the server cannot be authenticated:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>whoever answers at %1 receives %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use HTTPS (UseSSL), or Kerberos with the computer&apos;s DNS name, or, if you trust the network path to %1, send the credentials anyway. Settings &gt; Trusted hosts keeps the consent.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send Credentials?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Send anyway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not connecting to %1: no consent to send the credentials over HTTP.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delegate Credentials?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CredSSP delegates your password to %1: the server receives it and can use it to reach other computers as you. Do this only for a server you trust completely.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Delegate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not connecting to %1: no consent to delegate the credentials.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NoEncryption: the session&apos;s messages travel unencrypted over HTTP to %1; anyone on the network path can read and change them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password for %1 on %2:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled: no password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The tab was closed.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::HostsPanel</name>
    <message>
        <source>Filter hosts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duplicate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add...</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::MainWindow</name>
    <message>
        <source>PSRemote</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hosts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved Hosts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;New Connection...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Close Tab</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Duplicate Tab</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ne&amp;xt Tab</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pre&amp;vious Tab</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Find...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S&amp;top Command</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom &amp;Out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Reset Zoom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Settings...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;About PSRemote</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Add Host...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Co&amp;nnect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Edit Host...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>D&amp;uplicate Host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>De&amp;lete Host...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>H&amp;osts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Main</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 - PSRemote</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The password could not be stored in the keychain: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete Host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the saved host &apos;%1&apos;?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close Tab</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A command is still running in %1. Stop it and close the tab?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n tab(s) still run a command. Stop them and quit?</source>
        <translation>
            <numerusform>%n tab still runs a command. Stop it and quit?</numerusform>
            <numerusform>%n tabs still run a command. Stop them and quit?</numerusform>
        </translation>
    </message>
    <message>
        <source>Culture: %1 / UI %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Authentication: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New &amp;PSSession</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot store the certificate pin in %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::ProgressPanel</name>
    <message numerus="yes">
        <source> (%n second(s) remaining)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Gui::PromptDialog</name>
    <message>
        <source>Input requested</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The prompt was closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The user cancelled the prompt.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::SavedHostStore</name>
    <message>
        <source>the file is larger than 16 MiB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not valid JSON at offset %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not a saved hosts file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>duplicate id %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n host(s) could not be read: %1</source>
        <translation>
            <numerusform>%n host could not be read: %1</numerusform>
            <numerusform>%n hosts could not be read: %1</numerusform>
        </translation>
    </message>
    <message>
        <source>The saved hosts file %1 could not be read completely (%2). A copy was kept as %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The saved hosts file %1 could not be read completely (%2), and no copy could be made; it will not be overwritten.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no saved host with id %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the saved hosts file is not written because it could not be backed up after a read error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cannot create the folder of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::SessionsPanel</name>
    <message>
        <source>Id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ComputerName</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ConfigurationName</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Availability</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Enter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;onnect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot disconnect the session: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot connect the session: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Gui::SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Font:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Text colour:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Background colour:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> lines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Scrollback:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Console</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Session options for new connections, one NAME=VALUE per line (PSSessionOption names, e.g. OperationTimeout=60000). Unlisted options keep PowerShell&apos;s defaults.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Session defaults</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hosts you accept sending credentials to over plain HTTP although the server cannot be authenticated (WinRM&apos;s TrustedHosts; shared with psremote-cli).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Add...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trusted Host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Host, IP address or pattern (*.contoso.com, server*, &lt;local&gt;):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trusted hosts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re&amp;move pins of this endpoint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pinned certificates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Session defaults: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
