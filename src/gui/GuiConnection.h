#pragma once

#include "gui/SavedHost.h"
#include "wsman/ConnectionInfo.h"
#include "wsman/RunspacePoolClient.h"
#include "wsman/Secret.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

class QWidget;

namespace Credentials {
class CredentialStore;
}

namespace Gui {

class ConsoleTab;

// What to connect to, from a saved host, the connection dialog or the command line.
struct ConnectionRequest {
    SavedHost host;                           // id empty: not a saved host
    std::shared_ptr<Wsman::Secret> password;  // typed in the dialog; null or empty: ask
    // Command-line consent (psremote-cli's options): trusted for this run, CredSSP delegation.
    QStringList trustedHosts;
    bool allowDelegation = false;
    std::optional<QByteArray> pinCertificate;
    QString traceFile;
    bool persistent = false; // New-PSSession: kept in the Sessions panel after the tab leaves it
};

// What the status bar shows about a tab's connection.
struct ConnectionSummary {
    QString culture;
    QString uiCulture;
    QString transport;      // "HTTPS server:5986"
    QString authentication; // "negotiate", "certificate"
    QString encryption;     // sentence
    bool encrypted = true;
};

// The cultures sent for `host`: its overrides, else the local QLocale (as PowerShell forwards
// the client thread's culture and UI culture).
std::pair<QString, QString> culturesFor(const SavedHost &host, const QLocale &locale);
ConnectionSummary summarize(const Wsman::ClientOptions &options, const Wsman::ConnectionTarget &target);

// Prepares one connection for a ConsoleTab, asynchronously and without nested event loops:
// client certificate (passphrase from the keychain, else asked), TrustedHosts and CredSSP
// consent dialogs with the CLI's explanations, the NoEncryption warning, the password (from the
// keychain when the host remembers it; on NotFound or any keychain error asked in a dialog that
// shows the keychain's own message), culture, authenticator and redirect hook; then
// ConsoleTab::start. When "remember password" is on, stores a typed password once the tab's
// session is Ready. A child of the tab (gone with it); deletes itself when done.
class GuiConnection : public QObject {
    Q_OBJECT
public:
    GuiConnection(ConnectionRequest request, Credentials::CredentialStore *credentials, ConsoleTab *tab,
                  QWidget *dialogParent);
    ~GuiConnection() override;

    void start();
    const ConnectionSummary &summary() const { return m_summary; }

Q_SIGNALS:
    void started(const Gui::ConnectionSummary &summary); // ConsoleTab::start was called
    void cancelled(const QString &why);                  // refused, cancelled or failed before starting
    void warning(const QString &text);                   // e.g. NoEncryption over HTTP
    void passwordStored(bool ok, const QString &message);

private:
    void stepCertificate();
    void stepCertificatePassphrase(const QString &keychainMessage);
    // `typed`: the user typed the passphrase; once it opens the key it is remembered in the
    // keychain when the host remembers its secrets.
    void loadCertificate(const Wsman::Secret &passphrase, bool typed = false);
    void stepTrustedHosts();
    void stepDelegation();
    void stepPassword();
    void askPassword(const QString &keychainMessage);
    void finish();
    void cancel(const QString &why);
    void askYesNo(const QString &title, const QString &text, const QString &yes, std::function<void()> onYes,
                  const QString &noReason);

    ConnectionRequest m_request;
    Credentials::CredentialStore *m_credentials;
    QPointer<ConsoleTab> m_tab;
    QPointer<QWidget> m_dialogParent;
    Wsman::ConnectionTarget m_target;
    Wsman::ClientOptions m_options;
    Wsman::Secret m_password;
    bool m_storePassword = false;
    ConnectionSummary m_summary;
};

} // namespace Gui
