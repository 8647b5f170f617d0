<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>ConnectionDialog</name>
    <message>
        <source>New Connection</source>
        <translation>Nouvelle connexion</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Connexion</translation>
    </message>
    <message>
        <source>Parameter set</source>
        <translation>Jeu de paramètres</translation>
    </message>
    <message>
        <source>By &amp;computer name</source>
        <translation>Par nom d&apos;&amp;ordinateur</translation>
    </message>
    <message>
        <source>By connection &amp;URI</source>
        <translation>Par &amp;URI de connexion</translation>
    </message>
    <message>
        <source>ComputerName</source>
        <translation>ComputerName</translation>
    </message>
    <message>
        <source>Computer &amp;name:</source>
        <translation>&amp;Nom de l&apos;ordinateur :</translation>
    </message>
    <message>
        <source>server.contoso.com</source>
        <translation>server.contoso.com</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>&amp;Port :</translation>
    </message>
    <message>
        <source>Default (5985, or 5986 with SSL)</source>
        <translation>Par défaut (5985, ou 5986 avec SSL)</translation>
    </message>
    <message>
        <source>Use&amp;SSL:</source>
        <translation>Use&amp;SSL :</translation>
    </message>
    <message>
        <source>Use HTTPS (the server certificate is verified)</source>
        <translation>Utiliser HTTPS (le certificat du serveur est vérifié)</translation>
    </message>
    <message>
        <source>&amp;Application name:</source>
        <translation>Nom de l&apos;&amp;application :</translation>
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
        <translation>U&amp;RI de connexion :</translation>
    </message>
    <message>
        <source>https://server.contoso.com:5986/wsman</source>
        <translation>https://server.contoso.com:5986/wsman</translation>
    </message>
    <message>
        <source>Redirection:</source>
        <translation>Redirection :</translation>
    </message>
    <message>
        <source>Allo&amp;w redirection</source>
        <translation>Autoriser la &amp;redirection</translation>
    </message>
    <message>
        <source>Authentication and credential</source>
        <translation>Authentification et identifiants</translation>
    </message>
    <message>
        <source>Au&amp;thentication:</source>
        <translation>Au&amp;thentification :</translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation>Nom d&apos;&amp;utilisateur :</translation>
    </message>
    <message>
        <source>user, DOMAIN\user or user@REALM</source>
        <translation>utilisateur, DOMAINE\utilisateur ou utilisateur@ROYAUME</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>&amp;Mot de passe :</translation>
    </message>
    <message>
        <source>Asked for when connecting if left empty</source>
        <translation>Demandé à la connexion s&apos;il est vide</translation>
    </message>
    <message>
        <source>Keychain:</source>
        <translation>Trousseau :</translation>
    </message>
    <message>
        <source>&amp;Remember the password in the system keychain</source>
        <translation>&amp;Retenir le mot de passe dans le trousseau du système</translation>
    </message>
    <message>
        <source>C&amp;ertificate:</source>
        <translation>C&amp;ertificat :</translation>
    </message>
    <message>
        <source>Session</source>
        <translation>Session</translation>
    </message>
    <message>
        <source>Con&amp;figuration name:</source>
        <translation>Nom de con&amp;figuration :</translation>
    </message>
    <message>
        <source>Microsoft.PowerShell</source>
        <translation>Microsoft.PowerShell</translation>
    </message>
    <message>
        <source>Network access:</source>
        <translation>Accès réseau :</translation>
    </message>
    <message>
        <source>E&amp;nableNetworkAccess</source>
        <translation>E&amp;nableNetworkAccess</translation>
    </message>
    <message>
        <source>No effect with this client: the wire form of this setting is undocumented.</source>
        <translation>Sans effet avec ce client : la forme de ce réglage sur le réseau n&apos;est pas documentée.</translation>
    </message>
    <message>
        <source>Cu&amp;lture:</source>
        <translation>Cu&amp;lture :</translation>
    </message>
    <message>
        <source>U&amp;I culture:</source>
        <translation>Culture de l&apos;&amp;interface :</translation>
    </message>
    <message>
        <source>Session options</source>
        <translation>Options de session</translation>
    </message>
    <message>
        <source>PSSessionOption fields; each shows PowerShell&apos;s default.</source>
        <translation>Champs de PSSessionOption ; chacun indique la valeur par défaut de PowerShell.</translation>
    </message>
    <message>
        <source>Pro&amp;xy (PSRemote):</source>
        <translation>Pro&amp;xy (PSRemote) :</translation>
    </message>
    <message>
        <source>http://proxy.contoso.com:3128</source>
        <translation>http://proxy.contoso.com:3128</translation>
    </message>
    <message>
        <source>ApplicationArguments:</source>
        <translation>ApplicationArguments :</translation>
    </message>
    <message>
        <source>One NAME=VALUE per line</source>
        <translation>Un NOM=VALEUR par ligne</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Enregistrer</translation>
    </message>
    <message>
        <source>&amp;Save as host</source>
        <translation>&amp;Enregistrer comme hôte</translation>
    </message>
    <message>
        <source>Na&amp;me:</source>
        <translation>No&amp;m :</translation>
    </message>
    <message>
        <source>F&amp;older:</source>
        <translation>&amp;Dossier :</translation>
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
        <translation>Qt %1 (compilé avec %2)</translation>
    </message>
    <message>
        <source>OpenSSL: not available</source>
        <translation>OpenSSL : non disponible</translation>
    </message>
    <message>
        <source>About PSRemote</source>
        <translation>À propos de PSRemote</translation>
    </message>
    <message>
        <source>&lt;h2&gt;PSRemote&lt;/h2&gt;&lt;p&gt;PowerShell remoting (WinRM / MS-PSRP) consoles in tabs.&lt;/p&gt;</source>
        <translation>&lt;h2&gt;PSRemote&lt;/h2&gt;&lt;p&gt;Consoles de communication à distance PowerShell (WinRM / MS-PSRP) dans des onglets.&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>Gui::CertificateDialog</name>
    <message>
        <source>Server Certificate Changed</source>
        <translation>Certificat du serveur modifié</translation>
    </message>
    <message>
        <source>Untrusted Server Certificate</source>
        <translation>Certificat de serveur non approuvé</translation>
    </message>
    <message>
        <source>WARNING: the certificate of %1 is not the one you pinned. Someone may be intercepting the connection, or the server got a new certificate. Not connecting.</source>
        <translation>AVERTISSEMENT : le certificat de %1 n&apos;est pas celui que vous avez épinglé. Quelqu&apos;un intercepte peut-être la connexion, ou le serveur a reçu un nouveau certificat. Pas de connexion.</translation>
    </message>
    <message>
        <source>The server %1 presented a certificate this computer does not trust (%2).</source>
        <translation>Le serveur %1 a présenté un certificat auquel cet ordinateur ne fait pas confiance (%2).</translation>
    </message>
    <message>
        <source>unknown issuer</source>
        <translation>émetteur inconnu</translation>
    </message>
    <message>
        <source>Subject:</source>
        <translation>Sujet :</translation>
    </message>
    <message>
        <source>Issuer:</source>
        <translation>Émetteur :</translation>
    </message>
    <message>
        <source>Valid from:</source>
        <translation>Valide à partir du :</translation>
    </message>
    <message>
        <source>Valid until:</source>
        <translation>Valide jusqu&apos;au :</translation>
    </message>
    <message>
        <source>SHA-256:</source>
        <translation>SHA-256 :</translation>
    </message>
    <message>
        <source>If the server really has a new certificate, check its SHA-256 with the server&apos;s administrator, remove the old pin in Settings &gt; Pinned certificates and connect again.</source>
        <translation>Si le serveur a vraiment un nouveau certificat, vérifiez son SHA-256 auprès de l&apos;administrateur du serveur, supprimez l&apos;ancien épinglage dans Paramètres &gt; Certificats épinglés et reconnectez-vous.</translation>
    </message>
    <message>
        <source>Compare the SHA-256 with the one the server&apos;s administrator gave you. &quot;Trust and connect&quot; pins this certificate for %1 from now on.</source>
        <translation>Comparez le SHA-256 avec celui que l&apos;administrateur du serveur vous a donné. « Faire confiance et se connecter » épingle désormais ce certificat pour %1.</translation>
    </message>
    <message>
        <source>&amp;Trust and connect</source>
        <translation>&amp;Faire confiance et se connecter</translation>
    </message>
</context>
<context>
    <name>Gui::ChoiceDialog</name>
    <message>
        <source>Choose</source>
        <translation>Choisir</translation>
    </message>
    <message>
        <source>The choice dialog was closed.</source>
        <translation>La boîte de dialogue de choix a été fermée.</translation>
    </message>
    <message>
        <source>The user cancelled the choice.</source>
        <translation>L&apos;utilisateur a annulé le choix.</translation>
    </message>
</context>
<context>
    <name>Gui::ConnectionDialog</name>
    <message>
        <source>Default (Negotiate)</source>
        <translation>Par défaut (Negotiate)</translation>
    </message>
    <message>
        <source>Negotiate (Kerberos, else NTLM)</source>
        <translation>Negotiate (Kerberos, sinon NTLM)</translation>
    </message>
    <message>
        <source>Kerberos</source>
        <translation>Kerberos</translation>
    </message>
    <message>
        <source>NegotiateWithImplicitCredential (ticket cache)</source>
        <translation>NegotiateWithImplicitCredential (cache de tickets)</translation>
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
        <translation>CredSSP (délègue votre mot de passe)</translation>
    </message>
    <message>
        <source>(none: authenticate with the credential)</source>
        <translation>(aucun : s&apos;authentifier avec les identifiants)</translation>
    </message>
    <message>
        <source>%1 (this computer&apos;s culture)</source>
        <translation>%1 (culture de cet ordinateur)</translation>
    </message>
    <message>
        <source>%1 (this computer&apos;s UI culture)</source>
        <translation>%1 (culture d&apos;interface de cet ordinateur)</translation>
    </message>
    <message>
        <source>Saved Host</source>
        <translation>Hôte enregistré</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Enregistrer</translation>
    </message>
    <message>
        <source>New Connection</source>
        <translation>Nouvelle connexion</translation>
    </message>
    <message>
        <source>&amp;Connect</source>
        <translation>&amp;Connecter</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>bytes or &quot;unlimited&quot;</source>
        <translation>octets ou « unlimited »</translation>
    </message>
    <message>
        <source>default: %1</source>
        <translation>par défaut : %1</translation>
    </message>
    <message>
        <source>%1; default: %2</source>
        <translation>%1 ; par défaut : %2</translation>
    </message>
    <message>
        <source>No effect with this client: the wire form of this setting is undocumented.</source>
        <translation>Sans effet avec ce client : la forme de ce réglage sur le réseau n&apos;est pas documentée.</translation>
    </message>
    <message>
        <source>%1 (not in the certificate store)</source>
        <translation>%1 (absent du magasin de certificats)</translation>
    </message>
    <message>
        <source>User name: &apos;%1&apos; is not user, DOMAIN\user or user@REALM.</source>
        <translation>Nom d&apos;utilisateur : « %1 » n&apos;est pas de la forme utilisateur, DOMAINE\utilisateur ou utilisateur@ROYAUME.</translation>
    </message>
    <message>
        <source>Session option %1: %2</source>
        <translation>Option de session %1 : %2</translation>
    </message>
    <message>
        <source>%1: &apos;%2&apos; is not a culture name such as en-US.</source>
        <translation>%1 : « %2 » n&apos;est pas un nom de culture comme fr-FR.</translation>
    </message>
    <message>
        <source>Proxy: &apos;%1&apos; is not an http://HOST[:PORT] URL without a user name.</source>
        <translation>Proxy : « %1 » n&apos;est pas une URL http://HÔTE[:PORT] sans nom d&apos;utilisateur.</translation>
    </message>
    <message>
        <source>ApplicationArguments: &apos;%1&apos; is not NAME=VALUE.</source>
        <translation>ApplicationArguments : « %1 » n&apos;est pas de la forme NOM=VALEUR.</translation>
    </message>
    <message>
        <source>Enter a computer name or a connection URI.</source>
        <translation>Saisissez un nom d&apos;ordinateur ou une URI de connexion.</translation>
    </message>
    <message>
        <source>ConnectionUri cannot be combined with ComputerName, Port, UseSSL or ApplicationName.</source>
        <translation>ConnectionUri ne peut pas être combiné avec ComputerName, Port, UseSSL ou ApplicationName.</translation>
    </message>
    <message>
        <source>The connection URI is not an absolute http:// or https:// URL (%1).</source>
        <translation>L&apos;URI de connexion n&apos;est pas une URL http:// ou https:// absolue (%1).</translation>
    </message>
    <message>
        <source>The connection parameters are not valid: %1</source>
        <translation>Les paramètres de connexion ne sont pas valides : %1</translation>
    </message>
    <message>
        <source>The port must be between 1 and 65535.</source>
        <translation>Le port doit être compris entre 1 et 65535.</translation>
    </message>
    <message>
        <source>Certificate authentication works over HTTPS only: check UseSSL (or use an https:// URI).</source>
        <translation>L&apos;authentification par certificat ne fonctionne qu&apos;en HTTPS : cochez UseSSL (ou utilisez une URI https://).</translation>
    </message>
    <message>
        <source>With a certificate the certificate is the credential: clear the user name and use Default authentication.</source>
        <translation>Avec un certificat, le certificat tient lieu d&apos;identifiants : videz le nom d&apos;utilisateur et utilisez l&apos;authentification par défaut.</translation>
    </message>
    <message>
        <source>%1 authentication needs a credential: enter a user name.</source>
        <translation>L&apos;authentification %1 nécessite des identifiants : saisissez un nom d&apos;utilisateur.</translation>
    </message>
    <message>
        <source>Connecting to an IP address needs an explicit credential.</source>
        <translation>La connexion à une adresse IP nécessite des identifiants explicites.</translation>
    </message>
    <message>
        <source>Connecting to an IP address needs HTTPS or a TrustedHosts entry for %1 (Settings &gt; Trusted hosts).</source>
        <translation>La connexion à une adresse IP nécessite HTTPS ou une entrée TrustedHosts pour %1 (Paramètres &gt; Hôtes de confiance).</translation>
    </message>
    <message>
        <source>ProxyCredential needs a proxy: a proxy URL or ProxyAccessType IEConfig, WinHttpConfig or AutoDetect.</source>
        <translation>ProxyCredential nécessite un proxy : une URL de proxy ou ProxyAccessType IEConfig, WinHttpConfig ou AutoDetect.</translation>
    </message>
    <message>
        <source>A proxy URL contradicts ProxyAccessType NoProxyServer.</source>
        <translation>Une URL de proxy contredit ProxyAccessType NoProxyServer.</translation>
    </message>
    <message>
        <source>Enter a name for the saved host.</source>
        <translation>Saisissez un nom pour l&apos;hôte enregistré.</translation>
    </message>
    <message>
        <source>A host name cannot contain &apos;/&apos; (use the folder for that).</source>
        <translation>Un nom d&apos;hôte ne peut pas contenir « / » (utilisez le dossier pour cela).</translation>
    </message>
    <message>
        <source>A saved host named &apos;%1&apos; already exists in this folder.</source>
        <translation>Un hôte enregistré nommé « %1 » existe déjà dans ce dossier.</translation>
    </message>
</context>
<context>
    <name>Gui::ConsoleTab</name>
    <message>
        <source>&amp;Reconnect</source>
        <translation>&amp;Reconnecter</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>Rechercher</translation>
    </message>
    <message>
        <source>Previous</source>
        <translation>Précédent</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>Suivant</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Fermer</translation>
    </message>
    <message>
        <source>The command history could not be read: %1</source>
        <translation>L&apos;historique des commandes n&apos;a pas pu être lu : %1</translation>
    </message>
    <message>
        <source>The session %1 no longer exists.</source>
        <translation>La session %1 n&apos;existe plus.</translation>
    </message>
    <message>
        <source>The command history could not be saved: %1</source>
        <translation>L&apos;historique des commandes n&apos;a pas pu être enregistré : %1</translation>
    </message>
    <message>
        <source>Reconnecting to %1...</source>
        <translation>Reconnexion à %1...</translation>
    </message>
    <message>
        <source>not connected</source>
        <translation>non connecté</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>connexion</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>prêt</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>occupé</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>reconnexion</translation>
    </message>
    <message>
        <source>broken</source>
        <translation>rompu</translation>
    </message>
    <message>
        <source>disconnected</source>
        <translation>déconnecté</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>fermé</translation>
    </message>
</context>
<context>
    <name>Gui::CredentialDialog</name>
    <message>
        <source>PowerShell Credential Request</source>
        <translation>Demande d&apos;informations d&apos;identification PowerShell</translation>
    </message>
    <message>
        <source>The remote computer is asking for your credentials.</source>
        <translation>L&apos;ordinateur distant demande vos informations d&apos;identification.</translation>
    </message>
    <message>
        <source>The remote computer %1 is asking for your credentials.</source>
        <translation>L&apos;ordinateur distant %1 demande vos informations d&apos;identification.</translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation>Nom d&apos;&amp;utilisateur :</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Mot de passe :</translation>
    </message>
    <message>
        <source>The credential dialog was closed.</source>
        <translation>La boîte de dialogue d&apos;identification a été fermée.</translation>
    </message>
    <message>
        <source>The user cancelled the credential request.</source>
        <translation>L&apos;utilisateur a annulé la demande d&apos;identification.</translation>
    </message>
</context>
<context>
    <name>Gui::GuiConnection</name>
    <message>
        <source>Encrypted (TLS)</source>
        <translation>Chiffré (TLS)</translation>
    </message>
    <message>
        <source>NOT encrypted (NoEncryption)</source>
        <translation>NON chiffré (NoEncryption)</translation>
    </message>
    <message>
        <source>NOT encrypted (%1 over HTTP)</source>
        <translation>NON chiffré (%1 sur HTTP)</translation>
    </message>
    <message>
        <source>Encrypted (message encryption)</source>
        <translation>Chiffré (chiffrement des messages)</translation>
    </message>
    <message>
        <source>The connection parameters are not valid: %1</source>
        <translation>Les paramètres de connexion ne sont pas valides : %1</translation>
    </message>
    <message>
        <source>No certificate %1 in the certificate store; import it with `psremote-cli certificate import FILE`.</source>
        <translation>Aucun certificat %1 dans le magasin de certificats ; importez-le avec `psremote-cli certificate import FICHIER`.</translation>
    </message>
    <message>
        <source>Certificate Passphrase</source>
        <translation>Phrase secrète du certificat</translation>
    </message>
    <message>
        <source>Passphrase for the private key of the certificate %1:</source>
        <translation>Phrase secrète de la clé privée du certificat %1 :</translation>
    </message>
    <message>
        <source>The keychain could not be used: %1</source>
        <translation>Le trousseau n&apos;a pas pu être utilisé : %1</translation>
    </message>
    <message>
        <source>Cancelled: no passphrase for the certificate.</source>
        <translation>Annulé : aucune phrase secrète pour le certificat.</translation>
    </message>
    <message>
        <source>The passphrase does not open the key of the certificate %1.</source>
        <translation>La phrase secrète n&apos;ouvre pas la clé du certificat %1.</translation>
    </message>
    <message>
        <source>The certificate cannot be loaded: %1</source>
        <translation>Le certificat ne peut pas être chargé : %1</translation>
    </message>
    <message>
        <source>your password in clear text</source>
        <translation>votre mot de passe en clair</translation>
    </message>
    <message>
        <source>an NTLM response that can be cracked offline to recover your password</source>
        <translation>une réponse NTLM qui peut être cassée hors ligne pour retrouver votre mot de passe</translation>
    </message>
    <message>
        <source>The IP address %1 is not in your TrustedHosts list and the connection is plain HTTP.</source>
        <translation>L&apos;adresse IP %1 ne figure pas dans votre liste TrustedHosts et la connexion est en HTTP simple.</translation>
    </message>
    <message>
        <source>The computer %1 is not in your TrustedHosts list and the connection is plain HTTP.</source>
        <translation>L&apos;ordinateur %1 ne figure pas dans votre liste TrustedHosts et la connexion est en HTTP simple.</translation>
    </message>
    <message>
        <source>Over HTTP the server cannot be authenticated (Kerberos cannot be used with an IP address):</source>
        <translation>En HTTP, le serveur ne peut pas être authentifié (Kerberos ne fonctionne pas avec une adresse IP) :</translation>
    </message>
    <message>
        <source>Over HTTP the server cannot be authenticated:</source>
        <translation>En HTTP, le serveur ne peut pas être authentifié :</translation>
    </message>
    <message>
        <source>whoever answers at %1 receives %2.</source>
        <translation>quiconque répond à l&apos;adresse %1 reçoit %2.</translation>
    </message>
    <message>
        <source>Use HTTPS (UseSSL), or Kerberos with the computer&apos;s DNS name, or, if you trust the network path to %1, send the credentials anyway. Settings &gt; Trusted hosts keeps the consent.</source>
        <translation>Utilisez HTTPS (UseSSL), ou Kerberos avec le nom DNS de l&apos;ordinateur, ou, si vous faites confiance au chemin réseau vers %1, envoyez tout de même les identifiants. Paramètres &gt; Hôtes de confiance conserve le consentement.</translation>
    </message>
    <message>
        <source>Send Credentials?</source>
        <translation>Envoyer les identifiants ?</translation>
    </message>
    <message>
        <source>&amp;Send anyway</source>
        <translation>&amp;Envoyer quand même</translation>
    </message>
    <message>
        <source>Not connecting to %1: no consent to send the credentials over HTTP.</source>
        <translation>Pas de connexion à %1 : aucun consentement pour envoyer les identifiants en HTTP.</translation>
    </message>
    <message>
        <source>Delegate Credentials?</source>
        <translation>Déléguer les identifiants ?</translation>
    </message>
    <message>
        <source>CredSSP delegates your password to %1: the server receives it and can use it to reach other computers as you. Do this only for a server you trust completely.</source>
        <translation>CredSSP délègue votre mot de passe à %1 : le serveur le reçoit et peut s&apos;en servir pour atteindre d&apos;autres ordinateurs en votre nom. Ne le faites que pour un serveur auquel vous faites entièrement confiance.</translation>
    </message>
    <message>
        <source>&amp;Delegate</source>
        <translation>&amp;Déléguer</translation>
    </message>
    <message>
        <source>Not connecting to %1: no consent to delegate the credentials.</source>
        <translation>Pas de connexion à %1 : aucun consentement pour déléguer les identifiants.</translation>
    </message>
    <message>
        <source>NoEncryption: the session&apos;s messages travel unencrypted over HTTP to %1; anyone on the network path can read and change them.</source>
        <translation>NoEncryption : les messages de la session transitent sans chiffrement en HTTP vers %1 ; toute personne sur le chemin réseau peut les lire et les modifier.</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Mot de passe</translation>
    </message>
    <message>
        <source>Password for %1 on %2:</source>
        <translation>Mot de passe de %1 sur %2 :</translation>
    </message>
    <message>
        <source>Cancelled: no password.</source>
        <translation>Annulé : aucun mot de passe.</translation>
    </message>
    <message>
        <source>The tab was closed.</source>
        <translation>L&apos;onglet a été fermé.</translation>
    </message>
</context>
<context>
    <name>Gui::HostsPanel</name>
    <message>
        <source>Filter hosts</source>
        <translation>Filtrer les hôtes</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>Hôte</translation>
    </message>
    <message>
        <source>Computer</source>
        <translation>Ordinateur</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Ajouter</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Modifier</translation>
    </message>
    <message>
        <source>Duplicate</source>
        <translation>Dupliquer</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Supprimer</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>Connecter</translation>
    </message>
    <message>
        <source>Edit...</source>
        <translation>Modifier...</translation>
    </message>
    <message>
        <source>Delete...</source>
        <translation>Supprimer...</translation>
    </message>
    <message>
        <source>Add...</source>
        <translation>Ajouter...</translation>
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
        <translation>Hôtes</translation>
    </message>
    <message>
        <source>Saved Hosts</source>
        <translation>Hôtes enregistrés</translation>
    </message>
    <message>
        <source>&amp;New Connection...</source>
        <translation>&amp;Nouvelle connexion...</translation>
    </message>
    <message>
        <source>&amp;Close Tab</source>
        <translation>&amp;Fermer l&apos;onglet</translation>
    </message>
    <message>
        <source>&amp;Duplicate Tab</source>
        <translation>&amp;Dupliquer l&apos;onglet</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>Ne&amp;xt Tab</source>
        <translation>Onglet &amp;suivant</translation>
    </message>
    <message>
        <source>Pre&amp;vious Tab</source>
        <translation>Onglet &amp;précédent</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Copier</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>C&amp;oller</translation>
    </message>
    <message>
        <source>&amp;Find...</source>
        <translation>&amp;Rechercher...</translation>
    </message>
    <message>
        <source>S&amp;top Command</source>
        <translation>&amp;Arrêter la commande</translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation>Zoom a&amp;vant</translation>
    </message>
    <message>
        <source>Zoom &amp;Out</source>
        <translation>Zoom a&amp;rrière</translation>
    </message>
    <message>
        <source>&amp;Reset Zoom</source>
        <translation>&amp;Taille normale</translation>
    </message>
    <message>
        <source>&amp;Settings...</source>
        <translation>&amp;Paramètres...</translation>
    </message>
    <message>
        <source>&amp;About PSRemote</source>
        <translation>À &amp;propos de PSRemote</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>À propos de &amp;Qt</translation>
    </message>
    <message>
        <source>&amp;Add Host...</source>
        <translation>&amp;Ajouter un hôte...</translation>
    </message>
    <message>
        <source>Co&amp;nnect</source>
        <translation>Co&amp;nnecter</translation>
    </message>
    <message>
        <source>&amp;Edit Host...</source>
        <translation>&amp;Modifier l&apos;hôte...</translation>
    </message>
    <message>
        <source>D&amp;uplicate Host</source>
        <translation>D&amp;upliquer l&apos;hôte</translation>
    </message>
    <message>
        <source>De&amp;lete Host...</source>
        <translation>&amp;Supprimer l&apos;hôte...</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>É&amp;dition</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Affichage</translation>
    </message>
    <message>
        <source>H&amp;osts</source>
        <translation>H&amp;ôtes</translation>
    </message>
    <message>
        <source>&amp;Session</source>
        <translation>&amp;Session</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>Ai&amp;de</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>Principale</translation>
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
        <translation>Le mot de passe n&apos;a pas pu être enregistré dans le trousseau : %1</translation>
    </message>
    <message>
        <source>Cannot write %1</source>
        <translation>Impossible d&apos;écrire %1</translation>
    </message>
    <message>
        <source>Delete Host</source>
        <translation>Supprimer l&apos;hôte</translation>
    </message>
    <message>
        <source>Delete the saved host &apos;%1&apos;?</source>
        <translation>Supprimer l&apos;hôte enregistré « %1 » ?</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>&amp;Supprimer</translation>
    </message>
    <message>
        <source>Close Tab</source>
        <translation>Fermer l&apos;onglet</translation>
    </message>
    <message>
        <source>A command is still running in %1. Stop it and close the tab?</source>
        <translation>Une commande est encore en cours dans %1. L&apos;arrêter et fermer l&apos;onglet ?</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quitter</translation>
    </message>
    <message numerus="yes">
        <source>%n tab(s) still run a command. Stop them and quit?</source>
        <translation>
            <numerusform>%n onglet exécute encore une commande. L&apos;arrêter et quitter ?</numerusform>
            <numerusform>%n onglets exécutent encore une commande. Les arrêter et quitter ?</numerusform>
        </translation>
    </message>
    <message>
        <source>Culture: %1 / UI %2</source>
        <translation>Culture : %1 / interface %2</translation>
    </message>
    <message>
        <source>Authentication: %1</source>
        <translation>Authentification : %1</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sessions</translation>
    </message>
    <message>
        <source>New &amp;PSSession</source>
        <translation>Nouvelle &amp;PSSession</translation>
    </message>
    <message>
        <source>Cannot store the certificate pin in %1</source>
        <translation>Impossible d&apos;enregistrer l&apos;épinglage du certificat dans %1</translation>
    </message>
</context>
<context>
    <name>Gui::ProgressPanel</name>
    <message numerus="yes">
        <source> (%n second(s) remaining)</source>
        <translation>
            <numerusform> (%n seconde restante)</numerusform>
            <numerusform> (%n secondes restantes)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Gui::PromptDialog</name>
    <message>
        <source>Input requested</source>
        <translation>Saisie demandée</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Nom d&apos;utilisateur</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Mot de passe</translation>
    </message>
    <message>
        <source>The prompt was closed.</source>
        <translation>L&apos;invite a été fermée.</translation>
    </message>
    <message>
        <source>The user cancelled the prompt.</source>
        <translation>L&apos;utilisateur a annulé l&apos;invite.</translation>
    </message>
</context>
<context>
    <name>Gui::SavedHostStore</name>
    <message>
        <source>the file is larger than 16 MiB</source>
        <translation>le fichier dépasse 16 Mio</translation>
    </message>
    <message>
        <source>not valid JSON at offset %1: %2</source>
        <translation>JSON non valide à la position %1 : %2</translation>
    </message>
    <message>
        <source>not a saved hosts file</source>
        <translation>pas un fichier d&apos;hôtes enregistrés</translation>
    </message>
    <message>
        <source>duplicate id %1</source>
        <translation>identifiant %1 en double</translation>
    </message>
    <message numerus="yes">
        <source>%n host(s) could not be read: %1</source>
        <translation>
            <numerusform>%n hôte n&apos;a pas pu être lu : %1</numerusform>
            <numerusform>%n hôtes n&apos;ont pas pu être lus : %1</numerusform>
        </translation>
    </message>
    <message>
        <source>The saved hosts file %1 could not be read completely (%2). A copy was kept as %3.</source>
        <translation>Le fichier des hôtes enregistrés %1 n&apos;a pas pu être lu entièrement (%2). Une copie a été conservée sous %3.</translation>
    </message>
    <message>
        <source>The saved hosts file %1 could not be read completely (%2), and no copy could be made; it will not be overwritten.</source>
        <translation>Le fichier des hôtes enregistrés %1 n&apos;a pas pu être lu entièrement (%2) et aucune copie n&apos;a pu être faite ; il ne sera pas écrasé.</translation>
    </message>
    <message>
        <source>no saved host with id %1</source>
        <translation>aucun hôte enregistré avec l&apos;identifiant %1</translation>
    </message>
    <message>
        <source>the saved hosts file is not written because it could not be backed up after a read error</source>
        <translation>le fichier des hôtes enregistrés n&apos;est pas écrit, car il n&apos;a pas pu être sauvegardé après une erreur de lecture</translation>
    </message>
    <message>
        <source>cannot create the folder of %1</source>
        <translation>impossible de créer le dossier de %1</translation>
    </message>
    <message>
        <source>cannot write %1: %2</source>
        <translation>impossible d&apos;écrire %1 : %2</translation>
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
        <translation>Nom</translation>
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
        <translation>État</translation>
    </message>
    <message>
        <source>Availability</source>
        <translation>Disponibilité</translation>
    </message>
    <message>
        <source>&amp;Enter</source>
        <translation>&amp;Entrer</translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation>&amp;Déconnecter</translation>
    </message>
    <message>
        <source>C&amp;onnect</source>
        <translation>C&amp;onnecter</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>&amp;Supprimer</translation>
    </message>
    <message>
        <source>Cannot disconnect the session: %1</source>
        <translation>Impossible de déconnecter la session : %1</translation>
    </message>
    <message>
        <source>Cannot connect the session: %1</source>
        <translation>Impossible de connecter la session : %1</translation>
    </message>
</context>
<context>
    <name>Gui::SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>&amp;Font:</source>
        <translation>&amp;Police :</translation>
    </message>
    <message>
        <source>&amp;Text colour:</source>
        <translation>Couleur du &amp;texte :</translation>
    </message>
    <message>
        <source>&amp;Background colour:</source>
        <translation>Couleur de &amp;fond :</translation>
    </message>
    <message>
        <source> lines</source>
        <translation> lignes</translation>
    </message>
    <message>
        <source>&amp;Scrollback:</source>
        <translation>&amp;Historique :</translation>
    </message>
    <message>
        <source>Console</source>
        <translation>Console</translation>
    </message>
    <message>
        <source>Session options for new connections, one NAME=VALUE per line (PSSessionOption names, e.g. OperationTimeout=60000). Unlisted options keep PowerShell&apos;s defaults.</source>
        <translation>Options de session des nouvelles connexions, un NOM=VALEUR par ligne (noms de PSSessionOption, p. ex. OperationTimeout=60000). Les options non listées gardent les valeurs par défaut de PowerShell.</translation>
    </message>
    <message>
        <source>Session defaults</source>
        <translation>Valeurs par défaut</translation>
    </message>
    <message>
        <source>Hosts you accept sending credentials to over plain HTTP although the server cannot be authenticated (WinRM&apos;s TrustedHosts; shared with psremote-cli).</source>
        <translation>Hôtes auxquels vous acceptez d&apos;envoyer des identifiants en HTTP simple bien que le serveur ne puisse pas être authentifié (TrustedHosts de WinRM ; partagé avec psremote-cli).</translation>
    </message>
    <message>
        <source>&amp;Add...</source>
        <translation>&amp;Ajouter...</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>&amp;Retirer</translation>
    </message>
    <message>
        <source>Trusted Host</source>
        <translation>Hôte de confiance</translation>
    </message>
    <message>
        <source>Host, IP address or pattern (*.contoso.com, server*, &lt;local&gt;):</source>
        <translation>Hôte, adresse IP ou motif (*.contoso.com, server*, &lt;local&gt;) :</translation>
    </message>
    <message>
        <source>Trusted hosts</source>
        <translation>Hôtes de confiance</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>Point de terminaison</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Re&amp;move pins of this endpoint</source>
        <translation>Re&amp;tirer les épinglages de ce point de terminaison</translation>
    </message>
    <message>
        <source>Pinned certificates</source>
        <translation>Certificats épinglés</translation>
    </message>
    <message>
        <source>Session defaults: %1</source>
        <translation>Valeurs par défaut : %1</translation>
    </message>
    <message>
        <source>Cannot write %1</source>
        <translation>Impossible d&apos;écrire %1</translation>
    </message>
</context>
</TS>
