<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>ConnectionDialog</name>
    <message>
        <source>New Connection</source>
        <translation>Neue Verbindung</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Parameter set</source>
        <translation>Parametersatz</translation>
    </message>
    <message>
        <source>By &amp;computer name</source>
        <translation>Nach &amp;Computername</translation>
    </message>
    <message>
        <source>By connection &amp;URI</source>
        <translation>Nach Verbindungs-&amp;URI</translation>
    </message>
    <message>
        <source>ComputerName</source>
        <translation>ComputerName</translation>
    </message>
    <message>
        <source>Computer &amp;name:</source>
        <translation>Computer&amp;name:</translation>
    </message>
    <message>
        <source>server.contoso.com</source>
        <translation>server.contoso.com</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>&amp;Port:</translation>
    </message>
    <message>
        <source>Default (5985, or 5986 with SSL)</source>
        <translation>Standard (5985, mit SSL 5986)</translation>
    </message>
    <message>
        <source>Use&amp;SSL:</source>
        <translation>Use&amp;SSL:</translation>
    </message>
    <message>
        <source>Use HTTPS (the server certificate is verified)</source>
        <translation>HTTPS verwenden (das Serverzertifikat wird geprüft)</translation>
    </message>
    <message>
        <source>&amp;Application name:</source>
        <translation>&amp;Anwendungsname:</translation>
    </message>
    <message>
        <source>WSMAN</source>
        <translation>WSMAN</translation>
    </message>
    <message>
        <source>ConnectionUri</source>
        <translation>ConnectionUri</translation>
    </message>
    <message>
        <source>Connection U&amp;RI:</source>
        <translation>Verbindungs-U&amp;RI:</translation>
    </message>
    <message>
        <source>https://server.contoso.com:5986/wsman</source>
        <translation>https://server.contoso.com:5986/wsman</translation>
    </message>
    <message>
        <source>Redirection:</source>
        <translation>Umleitung:</translation>
    </message>
    <message>
        <source>Allo&amp;w redirection</source>
        <translation>Umleitung &amp;zulassen</translation>
    </message>
    <message>
        <source>Authentication and credential</source>
        <translation>Authentifizierung und Anmeldeinformationen</translation>
    </message>
    <message>
        <source>Au&amp;thentication:</source>
        <translation>Au&amp;thentifizierung:</translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation>&amp;Benutzername:</translation>
    </message>
    <message>
        <source>user, DOMAIN\user or user@REALM</source>
        <translation>benutzer, DOMÄNE\benutzer oder benutzer@REALM</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>Kenn&amp;wort:</translation>
    </message>
    <message>
        <source>Asked for when connecting if left empty</source>
        <translation>Wird beim Verbinden abgefragt, wenn leer</translation>
    </message>
    <message>
        <source>Keychain:</source>
        <translation>Schlüsselbund:</translation>
    </message>
    <message>
        <source>&amp;Remember the password in the system keychain</source>
        <translation>Kennwort im System-Schlüsselbund &amp;merken</translation>
    </message>
    <message>
        <source>C&amp;ertificate:</source>
        <translation>Z&amp;ertifikat:</translation>
    </message>
    <message>
        <source>Session</source>
        <translation>Sitzung</translation>
    </message>
    <message>
        <source>Con&amp;figuration name:</source>
        <translation>Kon&amp;figurationsname:</translation>
    </message>
    <message>
        <source>Microsoft.PowerShell</source>
        <translation>Microsoft.PowerShell</translation>
    </message>
    <message>
        <source>Network access:</source>
        <translation>Netzwerkzugriff:</translation>
    </message>
    <message>
        <source>E&amp;nableNetworkAccess</source>
        <translation>E&amp;nableNetworkAccess</translation>
    </message>
    <message>
        <source>No effect with this client: the wire form of this setting is undocumented.</source>
        <translation>Ohne Wirkung in diesem Client: Die Übertragungsform dieser Einstellung ist nicht dokumentiert.</translation>
    </message>
    <message>
        <source>Cu&amp;lture:</source>
        <translation>Ku&amp;ltur:</translation>
    </message>
    <message>
        <source>U&amp;I culture:</source>
        <translation>U&amp;I-Kultur:</translation>
    </message>
    <message>
        <source>Session options</source>
        <translation>Sitzungsoptionen</translation>
    </message>
    <message>
        <source>PSSessionOption fields; each shows PowerShell&apos;s default.</source>
        <translation>PSSessionOption-Felder; jedes zeigt den Standardwert von PowerShell.</translation>
    </message>
    <message>
        <source>Pro&amp;xy (PSRemote):</source>
        <translation>Pro&amp;xy (PSRemote):</translation>
    </message>
    <message>
        <source>http://proxy.contoso.com:3128</source>
        <translation>http://proxy.contoso.com:3128</translation>
    </message>
    <message>
        <source>ApplicationArguments:</source>
        <translation>ApplicationArguments:</translation>
    </message>
    <message>
        <source>One NAME=VALUE per line</source>
        <translation>Ein NAME=WERT pro Zeile</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>&amp;Save as host</source>
        <translation>Als Host &amp;speichern</translation>
    </message>
    <message>
        <source>Na&amp;me:</source>
        <translation>Na&amp;me:</translation>
    </message>
    <message>
        <source>F&amp;older:</source>
        <translation>&amp;Ordner:</translation>
    </message>
</context>
<context>
    <name>Gui::AboutDialog</name>
    <message>
        <source>PSRemote %1</source>
        <translation>PSRemote %1</translation>
    </message>
    <message>
        <source>Qt %1 (built with %2)</source>
        <translation>Qt %1 (erstellt mit %2)</translation>
    </message>
    <message>
        <source>OpenSSL: not available</source>
        <translation>OpenSSL: nicht verfügbar</translation>
    </message>
    <message>
        <source>About PSRemote</source>
        <translation>Über PSRemote</translation>
    </message>
    <message>
        <source>&lt;h2&gt;PSRemote&lt;/h2&gt;&lt;p&gt;PowerShell remoting (WinRM / MS-PSRP) consoles in tabs.&lt;/p&gt;</source>
        <translation>&lt;h2&gt;PSRemote&lt;/h2&gt;&lt;p&gt;PowerShell-Remoting-Konsolen (WinRM / MS-PSRP) in Tabs.&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>Gui::CertificateDialog</name>
    <message>
        <source>Server Certificate Changed</source>
        <translation>Serverzertifikat geändert</translation>
    </message>
    <message>
        <source>Untrusted Server Certificate</source>
        <translation>Nicht vertrauenswürdiges Serverzertifikat</translation>
    </message>
    <message>
        <source>WARNING: the certificate of %1 is not the one you pinned. Someone may be intercepting the connection, or the server got a new certificate. Not connecting.</source>
        <translation>WARNUNG: Das Zertifikat von %1 ist nicht das angeheftete. Jemand könnte die Verbindung abfangen, oder der Server hat ein neues Zertifikat erhalten. Es wird keine Verbindung hergestellt.</translation>
    </message>
    <message>
        <source>The server %1 presented a certificate this computer does not trust (%2).</source>
        <translation>Der Server %1 hat ein Zertifikat vorgelegt, dem dieser Computer nicht vertraut (%2).</translation>
    </message>
    <message>
        <source>unknown issuer</source>
        <translation>unbekannter Aussteller</translation>
    </message>
    <message>
        <source>Subject:</source>
        <translation>Antragsteller:</translation>
    </message>
    <message>
        <source>Issuer:</source>
        <translation>Aussteller:</translation>
    </message>
    <message>
        <source>Valid from:</source>
        <translation>Gültig ab:</translation>
    </message>
    <message>
        <source>Valid until:</source>
        <translation>Gültig bis:</translation>
    </message>
    <message>
        <source>SHA-256:</source>
        <translation>SHA-256:</translation>
    </message>
    <message>
        <source>If the server really has a new certificate, check its SHA-256 with the server&apos;s administrator, remove the old pin in Settings &gt; Pinned certificates and connect again.</source>
        <translation>Falls der Server wirklich ein neues Zertifikat hat, prüfen Sie dessen SHA-256 mit dem Administrator des Servers, entfernen Sie die alte Anheftung unter Einstellungen &gt; Angeheftete Zertifikate und verbinden Sie sich erneut.</translation>
    </message>
    <message>
        <source>Compare the SHA-256 with the one the server&apos;s administrator gave you. &quot;Trust and connect&quot; pins this certificate for %1 from now on.</source>
        <translation>Vergleichen Sie den SHA-256 mit dem, den Ihnen der Administrator des Servers genannt hat. „Vertrauen und verbinden“ heftet dieses Zertifikat ab jetzt für %1 an.</translation>
    </message>
    <message>
        <source>&amp;Trust and connect</source>
        <translation>&amp;Vertrauen und verbinden</translation>
    </message>
</context>
<context>
    <name>Gui::ChoiceDialog</name>
    <message>
        <source>Choose</source>
        <translation>Auswählen</translation>
    </message>
    <message>
        <source>The choice dialog was closed.</source>
        <translation>Der Auswahldialog wurde geschlossen.</translation>
    </message>
    <message>
        <source>The user cancelled the choice.</source>
        <translation>Der Benutzer hat die Auswahl abgebrochen.</translation>
    </message>
</context>
<context>
    <name>Gui::ConnectionDialog</name>
    <message>
        <source>Default (Negotiate)</source>
        <translation>Standard (Negotiate)</translation>
    </message>
    <message>
        <source>Negotiate (Kerberos, else NTLM)</source>
        <translation>Negotiate (Kerberos, sonst NTLM)</translation>
    </message>
    <message>
        <source>Kerberos</source>
        <translation>Kerberos</translation>
    </message>
    <message>
        <source>NegotiateWithImplicitCredential (ticket cache)</source>
        <translation>NegotiateWithImplicitCredential (Ticket-Cache)</translation>
    </message>
    <message>
        <source>NTLM</source>
        <translation>NTLM</translation>
    </message>
    <message>
        <source>Basic</source>
        <translation>Basic</translation>
    </message>
    <message>
        <source>Digest</source>
        <translation>Digest</translation>
    </message>
    <message>
        <source>CredSSP (delegates your password)</source>
        <translation>CredSSP (delegiert Ihr Kennwort)</translation>
    </message>
    <message>
        <source>(none: authenticate with the credential)</source>
        <translation>(keins: mit den Anmeldeinformationen authentifizieren)</translation>
    </message>
    <message>
        <source>%1 (this computer&apos;s culture)</source>
        <translation>%1 (Kultur dieses Computers)</translation>
    </message>
    <message>
        <source>%1 (this computer&apos;s UI culture)</source>
        <translation>%1 (UI-Kultur dieses Computers)</translation>
    </message>
    <message>
        <source>Saved Host</source>
        <translation>Gespeicherter Host</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Speichern</translation>
    </message>
    <message>
        <source>New Connection</source>
        <translation>Neue Verbindung</translation>
    </message>
    <message>
        <source>&amp;Connect</source>
        <translation>&amp;Verbinden</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>bytes or &quot;unlimited&quot;</source>
        <translation>Bytes oder „unlimited“</translation>
    </message>
    <message>
        <source>default: %1</source>
        <translation>Standard: %1</translation>
    </message>
    <message>
        <source>%1; default: %2</source>
        <translation>%1; Standard: %2</translation>
    </message>
    <message>
        <source>No effect with this client: the wire form of this setting is undocumented.</source>
        <translation>Ohne Wirkung in diesem Client: Die Übertragungsform dieser Einstellung ist nicht dokumentiert.</translation>
    </message>
    <message>
        <source>%1 (not in the certificate store)</source>
        <translation>%1 (nicht im Zertifikatspeicher)</translation>
    </message>
    <message>
        <source>User name: &apos;%1&apos; is not user, DOMAIN\user or user@REALM.</source>
        <translation>Benutzername: „%1“ ist nicht benutzer, DOMÄNE\benutzer oder benutzer@REALM.</translation>
    </message>
    <message>
        <source>Session option %1: %2</source>
        <translation>Sitzungsoption %1: %2</translation>
    </message>
    <message>
        <source>%1: &apos;%2&apos; is not a culture name such as en-US.</source>
        <translation>%1: „%2“ ist kein Kulturname wie de-DE.</translation>
    </message>
    <message>
        <source>Proxy: &apos;%1&apos; is not an http://HOST[:PORT] URL without a user name.</source>
        <translation>Proxy: „%1“ ist keine http://HOST[:PORT]-URL ohne Benutzernamen.</translation>
    </message>
    <message>
        <source>ApplicationArguments: &apos;%1&apos; is not NAME=VALUE.</source>
        <translation>ApplicationArguments: „%1“ ist nicht NAME=WERT.</translation>
    </message>
    <message>
        <source>Enter a computer name or a connection URI.</source>
        <translation>Geben Sie einen Computernamen oder eine Verbindungs-URI ein.</translation>
    </message>
    <message>
        <source>ConnectionUri cannot be combined with ComputerName, Port, UseSSL or ApplicationName.</source>
        <translation>ConnectionUri kann nicht mit ComputerName, Port, UseSSL oder ApplicationName kombiniert werden.</translation>
    </message>
    <message>
        <source>The connection URI is not an absolute http:// or https:// URL (%1).</source>
        <translation>Die Verbindungs-URI ist keine absolute http://- oder https://-URL (%1).</translation>
    </message>
    <message>
        <source>The connection parameters are not valid: %1</source>
        <translation>Die Verbindungsparameter sind ungültig: %1</translation>
    </message>
    <message>
        <source>The port must be between 1 and 65535.</source>
        <translation>Der Port muss zwischen 1 und 65535 liegen.</translation>
    </message>
    <message>
        <source>Certificate authentication works over HTTPS only: check UseSSL (or use an https:// URI).</source>
        <translation>Zertifikatauthentifizierung funktioniert nur über HTTPS: Aktivieren Sie UseSSL (oder verwenden Sie eine https://-URI).</translation>
    </message>
    <message>
        <source>With a certificate the certificate is the credential: clear the user name and use Default authentication.</source>
        <translation>Mit einem Zertifikat ist das Zertifikat die Anmeldeinformation: Leeren Sie den Benutzernamen und verwenden Sie die Standardauthentifizierung.</translation>
    </message>
    <message>
        <source>%1 authentication needs a credential: enter a user name.</source>
        <translation>Die Authentifizierung %1 benötigt Anmeldeinformationen: Geben Sie einen Benutzernamen ein.</translation>
    </message>
    <message>
        <source>Connecting to an IP address needs an explicit credential.</source>
        <translation>Eine Verbindung zu einer IP-Adresse benötigt explizite Anmeldeinformationen.</translation>
    </message>
    <message>
        <source>Connecting to an IP address needs HTTPS or a TrustedHosts entry for %1 (Settings &gt; Trusted hosts).</source>
        <translation>Eine Verbindung zu einer IP-Adresse benötigt HTTPS oder einen TrustedHosts-Eintrag für %1 (Einstellungen &gt; Vertrauenswürdige Hosts).</translation>
    </message>
    <message>
        <source>ProxyCredential needs a proxy: a proxy URL or ProxyAccessType IEConfig, WinHttpConfig or AutoDetect.</source>
        <translation>ProxyCredential benötigt einen Proxy: eine Proxy-URL oder ProxyAccessType IEConfig, WinHttpConfig oder AutoDetect.</translation>
    </message>
    <message>
        <source>A proxy URL contradicts ProxyAccessType NoProxyServer.</source>
        <translation>Eine Proxy-URL widerspricht ProxyAccessType NoProxyServer.</translation>
    </message>
    <message>
        <source>Enter a name for the saved host.</source>
        <translation>Geben Sie einen Namen für den gespeicherten Host ein.</translation>
    </message>
    <message>
        <source>A host name cannot contain &apos;/&apos; (use the folder for that).</source>
        <translation>Ein Hostname darf kein „/“ enthalten (verwenden Sie dafür den Ordner).</translation>
    </message>
    <message>
        <source>A saved host named &apos;%1&apos; already exists in this folder.</source>
        <translation>In diesem Ordner gibt es bereits einen gespeicherten Host „%1“.</translation>
    </message>
</context>
<context>
    <name>Gui::ConsoleTab</name>
    <message>
        <source>&amp;Reconnect</source>
        <translation>&amp;Erneut verbinden</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>Suchen</translation>
    </message>
    <message>
        <source>Previous</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>Weiter</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>The command history could not be read: %1</source>
        <translation>Der Befehlsverlauf konnte nicht gelesen werden: %1</translation>
    </message>
    <message>
        <source>The session %1 no longer exists.</source>
        <translation>Die Sitzung %1 existiert nicht mehr.</translation>
    </message>
    <message>
        <source>The command history could not be saved: %1</source>
        <translation>Der Befehlsverlauf konnte nicht gespeichert werden: %1</translation>
    </message>
    <message>
        <source>Reconnecting to %1...</source>
        <translation>Erneut mit %1 verbinden...</translation>
    </message>
    <message>
        <source>not connected</source>
        <translation>nicht verbunden</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>verbindet</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>bereit</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>beschäftigt</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>verbindet erneut</translation>
    </message>
    <message>
        <source>broken</source>
        <translation>unterbrochen</translation>
    </message>
    <message>
        <source>disconnected</source>
        <translation>getrennt</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>geschlossen</translation>
    </message>
</context>
<context>
    <name>Gui::CredentialDialog</name>
    <message>
        <source>PowerShell Credential Request</source>
        <translation>PowerShell-Anmeldeinformationsanforderung</translation>
    </message>
    <message>
        <source>The remote computer is asking for your credentials.</source>
        <translation>Der Remotecomputer fragt nach Ihren Anmeldeinformationen.</translation>
    </message>
    <message>
        <source>The remote computer %1 is asking for your credentials.</source>
        <translation>Der Remotecomputer %1 fragt nach Ihren Anmeldeinformationen.</translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation>&amp;Benutzername:</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Kennwort:</translation>
    </message>
    <message>
        <source>The credential dialog was closed.</source>
        <translation>Der Anmeldedialog wurde geschlossen.</translation>
    </message>
    <message>
        <source>The user cancelled the credential request.</source>
        <translation>Der Benutzer hat die Anmeldeanforderung abgebrochen.</translation>
    </message>
</context>
<context>
    <name>Gui::GuiConnection</name>
    <message>
        <source>Encrypted (TLS)</source>
        <translation>Verschlüsselt (TLS)</translation>
    </message>
    <message>
        <source>NOT encrypted (NoEncryption)</source>
        <translation>NICHT verschlüsselt (NoEncryption)</translation>
    </message>
    <message>
        <source>NOT encrypted (%1 over HTTP)</source>
        <translation>NICHT verschlüsselt (%1 über HTTP)</translation>
    </message>
    <message>
        <source>Encrypted (message encryption)</source>
        <translation>Verschlüsselt (Nachrichtenverschlüsselung)</translation>
    </message>
    <message>
        <source>The connection parameters are not valid: %1</source>
        <translation>Die Verbindungsparameter sind ungültig: %1</translation>
    </message>
    <message>
        <source>No certificate %1 in the certificate store; import it with `psremote-cli certificate import FILE`.</source>
        <translation>Kein Zertifikat %1 im Zertifikatspeicher; importieren Sie es mit `psremote-cli certificate import DATEI`.</translation>
    </message>
    <message>
        <source>Certificate Passphrase</source>
        <translation>Zertifikat-Passphrase</translation>
    </message>
    <message>
        <source>Passphrase for the private key of the certificate %1:</source>
        <translation>Passphrase für den privaten Schlüssel des Zertifikats %1:</translation>
    </message>
    <message>
        <source>The keychain could not be used: %1</source>
        <translation>Der Schlüsselbund konnte nicht verwendet werden: %1</translation>
    </message>
    <message>
        <source>Cancelled: no passphrase for the certificate.</source>
        <translation>Abgebrochen: keine Passphrase für das Zertifikat.</translation>
    </message>
    <message>
        <source>The passphrase does not open the key of the certificate %1.</source>
        <translation>Die Passphrase öffnet den Schlüssel des Zertifikats %1 nicht.</translation>
    </message>
    <message>
        <source>The certificate cannot be loaded: %1</source>
        <translation>Das Zertifikat kann nicht geladen werden: %1</translation>
    </message>
    <message>
        <source>your password in clear text</source>
        <translation>Ihr Kennwort im Klartext</translation>
    </message>
    <message>
        <source>an NTLM response that can be cracked offline to recover your password</source>
        <translation>eine NTLM-Antwort, aus der Ihr Kennwort offline errechnet werden kann</translation>
    </message>
    <message>
        <source>The IP address %1 is not in your TrustedHosts list and the connection is plain HTTP.</source>
        <translation>Die IP-Adresse %1 steht nicht in Ihrer TrustedHosts-Liste, und die Verbindung ist unverschlüsseltes HTTP.</translation>
    </message>
    <message>
        <source>The computer %1 is not in your TrustedHosts list and the connection is plain HTTP.</source>
        <translation>Der Computer %1 steht nicht in Ihrer TrustedHosts-Liste, und die Verbindung ist unverschlüsseltes HTTP.</translation>
    </message>
    <message>
        <source>Over HTTP the server cannot be authenticated (Kerberos cannot be used with an IP address):</source>
        <translation>Über HTTP kann der Server nicht authentifiziert werden (Kerberos funktioniert nicht mit einer IP-Adresse):</translation>
    </message>
    <message>
        <source>Over HTTP the server cannot be authenticated:</source>
        <translation>Über HTTP kann der Server nicht authentifiziert werden:</translation>
    </message>
    <message>
        <source>whoever answers at %1 receives %2.</source>
        <translation>Wer unter %1 antwortet, erhält %2.</translation>
    </message>
    <message>
        <source>Use HTTPS (UseSSL), or Kerberos with the computer&apos;s DNS name, or, if you trust the network path to %1, send the credentials anyway. Settings &gt; Trusted hosts keeps the consent.</source>
        <translation>Verwenden Sie HTTPS (UseSSL) oder Kerberos mit dem DNS-Namen des Computers, oder senden Sie die Anmeldeinformationen trotzdem, wenn Sie dem Netzwerkweg zu %1 vertrauen. Unter Einstellungen &gt; Vertrauenswürdige Hosts bleibt die Zustimmung erhalten.</translation>
    </message>
    <message>
        <source>Send Credentials?</source>
        <translation>Anmeldeinformationen senden?</translation>
    </message>
    <message>
        <source>&amp;Send anyway</source>
        <translation>Trotzdem &amp;senden</translation>
    </message>
    <message>
        <source>Not connecting to %1: no consent to send the credentials over HTTP.</source>
        <translation>Keine Verbindung zu %1: keine Zustimmung, die Anmeldeinformationen über HTTP zu senden.</translation>
    </message>
    <message>
        <source>Delegate Credentials?</source>
        <translation>Anmeldeinformationen delegieren?</translation>
    </message>
    <message>
        <source>CredSSP delegates your password to %1: the server receives it and can use it to reach other computers as you. Do this only for a server you trust completely.</source>
        <translation>CredSSP delegiert Ihr Kennwort an %1: Der Server erhält es und kann damit in Ihrem Namen andere Computer erreichen. Tun Sie das nur bei einem Server, dem Sie vollständig vertrauen.</translation>
    </message>
    <message>
        <source>&amp;Delegate</source>
        <translation>&amp;Delegieren</translation>
    </message>
    <message>
        <source>Not connecting to %1: no consent to delegate the credentials.</source>
        <translation>Keine Verbindung zu %1: keine Zustimmung, die Anmeldeinformationen zu delegieren.</translation>
    </message>
    <message>
        <source>NoEncryption: the session&apos;s messages travel unencrypted over HTTP to %1; anyone on the network path can read and change them.</source>
        <translation>NoEncryption: Die Nachrichten der Sitzung gehen unverschlüsselt über HTTP an %1; jeder auf dem Netzwerkweg kann sie lesen und ändern.</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Kennwort</translation>
    </message>
    <message>
        <source>Password for %1 on %2:</source>
        <translation>Kennwort für %1 auf %2:</translation>
    </message>
    <message>
        <source>Cancelled: no password.</source>
        <translation>Abgebrochen: kein Kennwort.</translation>
    </message>
    <message>
        <source>The tab was closed.</source>
        <translation>Der Tab wurde geschlossen.</translation>
    </message>
</context>
<context>
    <name>Gui::HostsPanel</name>
    <message>
        <source>Filter hosts</source>
        <translation>Hosts filtern</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>Host</translation>
    </message>
    <message>
        <source>Computer</source>
        <translation>Computer</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Hinzufügen</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Bearbeiten</translation>
    </message>
    <message>
        <source>Duplicate</source>
        <translation>Duplizieren</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>Verbinden</translation>
    </message>
    <message>
        <source>Edit...</source>
        <translation>Bearbeiten...</translation>
    </message>
    <message>
        <source>Delete...</source>
        <translation>Löschen...</translation>
    </message>
    <message>
        <source>Add...</source>
        <translation>Hinzufügen...</translation>
    </message>
</context>
<context>
    <name>Gui::MainWindow</name>
    <message>
        <source>PSRemote</source>
        <translation>PSRemote</translation>
    </message>
    <message>
        <source>Hosts</source>
        <translation>Hosts</translation>
    </message>
    <message>
        <source>Saved Hosts</source>
        <translation>Gespeicherte Hosts</translation>
    </message>
    <message>
        <source>&amp;New Connection...</source>
        <translation>&amp;Neue Verbindung...</translation>
    </message>
    <message>
        <source>&amp;Close Tab</source>
        <translation>Tab &amp;schließen</translation>
    </message>
    <message>
        <source>&amp;Duplicate Tab</source>
        <translation>Tab &amp;duplizieren</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>Ne&amp;xt Tab</source>
        <translation>&amp;Nächster Tab</translation>
    </message>
    <message>
        <source>Pre&amp;vious Tab</source>
        <translation>&amp;Vorheriger Tab</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Kopieren</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>E&amp;infügen</translation>
    </message>
    <message>
        <source>&amp;Find...</source>
        <translation>&amp;Suchen...</translation>
    </message>
    <message>
        <source>S&amp;top Command</source>
        <translation>Befehl an&amp;halten</translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation>Ver&amp;größern</translation>
    </message>
    <message>
        <source>Zoom &amp;Out</source>
        <translation>Ver&amp;kleinern</translation>
    </message>
    <message>
        <source>&amp;Reset Zoom</source>
        <translation>&amp;Originalgröße</translation>
    </message>
    <message>
        <source>&amp;Settings...</source>
        <translation>&amp;Einstellungen...</translation>
    </message>
    <message>
        <source>&amp;About PSRemote</source>
        <translation>Ü&amp;ber PSRemote</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>Über &amp;Qt</translation>
    </message>
    <message>
        <source>&amp;Add Host...</source>
        <translation>Host &amp;hinzufügen...</translation>
    </message>
    <message>
        <source>Co&amp;nnect</source>
        <translation>&amp;Verbinden</translation>
    </message>
    <message>
        <source>&amp;Edit Host...</source>
        <translation>Host &amp;bearbeiten...</translation>
    </message>
    <message>
        <source>D&amp;uplicate Host</source>
        <translation>Host d&amp;uplizieren</translation>
    </message>
    <message>
        <source>De&amp;lete Host...</source>
        <translation>Host &amp;löschen...</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>H&amp;osts</source>
        <translation>H&amp;osts</translation>
    </message>
    <message>
        <source>&amp;Session</source>
        <translation>&amp;Sitzung</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>Haupt</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>%1 - PSRemote</source>
        <translation>%1 - PSRemote</translation>
    </message>
    <message>
        <source>The password could not be stored in the keychain: %1</source>
        <translation>Das Kennwort konnte nicht im Schlüsselbund gespeichert werden: %1</translation>
    </message>
    <message>
        <source>Cannot write %1</source>
        <translation>%1 kann nicht geschrieben werden</translation>
    </message>
    <message>
        <source>Delete Host</source>
        <translation>Host löschen</translation>
    </message>
    <message>
        <source>Delete the saved host &apos;%1&apos;?</source>
        <translation>Den gespeicherten Host „%1“ löschen?</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>&amp;Löschen</translation>
    </message>
    <message>
        <source>Close Tab</source>
        <translation>Tab schließen</translation>
    </message>
    <message>
        <source>A command is still running in %1. Stop it and close the tab?</source>
        <translation>In %1 läuft noch ein Befehl. Anhalten und den Tab schließen?</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
    <message numerus="yes">
        <source>%n tab(s) still run a command. Stop them and quit?</source>
        <translation>
            <numerusform>In %n Tab läuft noch ein Befehl. Anhalten und beenden?</numerusform>
            <numerusform>In %n Tabs laufen noch Befehle. Anhalten und beenden?</numerusform>
        </translation>
    </message>
    <message>
        <source>Culture: %1 / UI %2</source>
        <translation>Kultur: %1 / UI %2</translation>
    </message>
    <message>
        <source>Authentication: %1</source>
        <translation>Authentifizierung: %1</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sitzungen</translation>
    </message>
    <message>
        <source>New &amp;PSSession</source>
        <translation>Neue &amp;PSSession</translation>
    </message>
    <message>
        <source>Cannot store the certificate pin in %1</source>
        <translation>Die Zertifikatsanheftung kann nicht in %1 gespeichert werden</translation>
    </message>
</context>
<context>
    <name>Gui::ProgressPanel</name>
    <message numerus="yes">
        <source> (%n second(s) remaining)</source>
        <translation>
            <numerusform> (%n Sekunde verbleibend)</numerusform>
            <numerusform> (%n Sekunden verbleibend)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Gui::PromptDialog</name>
    <message>
        <source>Input requested</source>
        <translation>Eingabe angefordert</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Benutzername</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Kennwort</translation>
    </message>
    <message>
        <source>The prompt was closed.</source>
        <translation>Die Eingabeaufforderung wurde geschlossen.</translation>
    </message>
    <message>
        <source>The user cancelled the prompt.</source>
        <translation>Der Benutzer hat die Eingabe abgebrochen.</translation>
    </message>
</context>
<context>
    <name>Gui::SavedHostStore</name>
    <message>
        <source>the file is larger than 16 MiB</source>
        <translation>die Datei ist größer als 16 MiB</translation>
    </message>
    <message>
        <source>not valid JSON at offset %1: %2</source>
        <translation>kein gültiges JSON an Position %1: %2</translation>
    </message>
    <message>
        <source>not a saved hosts file</source>
        <translation>keine Datei gespeicherter Hosts</translation>
    </message>
    <message>
        <source>duplicate id %1</source>
        <translation>doppelte ID %1</translation>
    </message>
    <message numerus="yes">
        <source>%n host(s) could not be read: %1</source>
        <translation>
            <numerusform>%n Host konnte nicht gelesen werden: %1</numerusform>
            <numerusform>%n Hosts konnten nicht gelesen werden: %1</numerusform>
        </translation>
    </message>
    <message>
        <source>The saved hosts file %1 could not be read completely (%2). A copy was kept as %3.</source>
        <translation>Die Datei der gespeicherten Hosts %1 konnte nicht vollständig gelesen werden (%2). Eine Kopie wurde als %3 aufbewahrt.</translation>
    </message>
    <message>
        <source>The saved hosts file %1 could not be read completely (%2), and no copy could be made; it will not be overwritten.</source>
        <translation>Die Datei der gespeicherten Hosts %1 konnte nicht vollständig gelesen werden (%2), und es konnte keine Kopie angelegt werden; sie wird nicht überschrieben.</translation>
    </message>
    <message>
        <source>no saved host with id %1</source>
        <translation>kein gespeicherter Host mit der ID %1</translation>
    </message>
    <message>
        <source>the saved hosts file is not written because it could not be backed up after a read error</source>
        <translation>die Datei der gespeicherten Hosts wird nicht geschrieben, da sie nach einem Lesefehler nicht gesichert werden konnte</translation>
    </message>
    <message>
        <source>cannot create the folder of %1</source>
        <translation>der Ordner von %1 kann nicht angelegt werden</translation>
    </message>
    <message>
        <source>cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
</context>
<context>
    <name>Gui::SessionsPanel</name>
    <message>
        <source>Id</source>
        <translation>Id</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>ComputerName</source>
        <translation>ComputerName</translation>
    </message>
    <message>
        <source>ConfigurationName</source>
        <translation>ConfigurationName</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Availability</source>
        <translation>Verfügbarkeit</translation>
    </message>
    <message>
        <source>&amp;Enter</source>
        <translation>&amp;Betreten</translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation>&amp;Trennen</translation>
    </message>
    <message>
        <source>C&amp;onnect</source>
        <translation>&amp;Verbinden</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>&amp;Entfernen</translation>
    </message>
    <message>
        <source>Cannot disconnect the session: %1</source>
        <translation>Die Sitzung kann nicht getrennt werden: %1</translation>
    </message>
    <message>
        <source>Cannot connect the session: %1</source>
        <translation>Die Sitzung kann nicht verbunden werden: %1</translation>
    </message>
</context>
<context>
    <name>Gui::SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>&amp;Font:</source>
        <translation>&amp;Schrift:</translation>
    </message>
    <message>
        <source>&amp;Text colour:</source>
        <translation>&amp;Textfarbe:</translation>
    </message>
    <message>
        <source>&amp;Background colour:</source>
        <translation>&amp;Hintergrundfarbe:</translation>
    </message>
    <message>
        <source> lines</source>
        <translation> Zeilen</translation>
    </message>
    <message>
        <source>&amp;Scrollback:</source>
        <translation>&amp;Verlauf:</translation>
    </message>
    <message>
        <source>Console</source>
        <translation>Konsole</translation>
    </message>
    <message>
        <source>Session options for new connections, one NAME=VALUE per line (PSSessionOption names, e.g. OperationTimeout=60000). Unlisted options keep PowerShell&apos;s defaults.</source>
        <translation>Sitzungsoptionen für neue Verbindungen, ein NAME=WERT pro Zeile (PSSessionOption-Namen, z. B. OperationTimeout=60000). Nicht aufgeführte Optionen behalten die Standardwerte von PowerShell.</translation>
    </message>
    <message>
        <source>Session defaults</source>
        <translation>Sitzungsstandards</translation>
    </message>
    <message>
        <source>Hosts you accept sending credentials to over plain HTTP although the server cannot be authenticated (WinRM&apos;s TrustedHosts; shared with psremote-cli).</source>
        <translation>Hosts, an die Sie Anmeldeinformationen über unverschlüsseltes HTTP senden, obwohl der Server nicht authentifiziert werden kann (TrustedHosts von WinRM; gemeinsam mit psremote-cli).</translation>
    </message>
    <message>
        <source>&amp;Add...</source>
        <translation>&amp;Hinzufügen...</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>&amp;Entfernen</translation>
    </message>
    <message>
        <source>Trusted Host</source>
        <translation>Vertrauenswürdiger Host</translation>
    </message>
    <message>
        <source>Host, IP address or pattern (*.contoso.com, server*, &lt;local&gt;):</source>
        <translation>Host, IP-Adresse oder Muster (*.contoso.com, server*, &lt;local&gt;):</translation>
    </message>
    <message>
        <source>Trusted hosts</source>
        <translation>Vertrauenswürdige Hosts</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>Endpunkt</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Re&amp;move pins of this endpoint</source>
        <translation>Pins dieses Endpunkts ent&amp;fernen</translation>
    </message>
    <message>
        <source>Pinned certificates</source>
        <translation>Angeheftete Zertifikate</translation>
    </message>
    <message>
        <source>Session defaults: %1</source>
        <translation>Sitzungsstandards: %1</translation>
    </message>
    <message>
        <source>Cannot write %1</source>
        <translation>%1 kann nicht geschrieben werden</translation>
    </message>
</context>
</TS>
