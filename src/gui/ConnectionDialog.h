#pragma once

#include "gui/SavedHost.h"
#include "wsman/Secret.h"
#include "wsman/TrustedHosts.h"

#include <QDialog>
#include <QHash>
#include <QStringList>

#include <memory>

class QWidget;

namespace Ui {
class ConnectionDialog;
}

namespace Gui {

class SavedHostStore;

// Enter-PSSession's parameters as a dialog (forms/ConnectionDialog.ui): the ComputerName or
// ConnectionUri parameter set, authentication and credential, certificate, configuration,
// culture overrides, every PSSessionOption field, and "Save as host". Validates inline as
// PowerShell does before anything connects; OK stays disabled while a rule is broken. Reads the
// store for folder names and name clashes; owns no host. A modal-or-not child of its parent.
class ConnectionDialog : public QDialog {
    Q_OBJECT
public:
    enum class Mode {
        Connect,  // New connection: "Connect", optional "Save as host"
        EditHost, // Add / edit a saved host: "Save", the host name required, no password
    };

    ConnectionDialog(Mode mode, const SavedHostStore *store, QWidget *parent = nullptr);
    ~ConnectionDialog() override;

    void setHost(const SavedHost &host);
    // The fields as a saved host (id of setHost() kept). Fields that do not parse keep their
    // defaults: check errors() first.
    SavedHost host() const;
    bool saveAsHost() const;
    // The password typed (empty: ask when connecting). Handed over once.
    Wsman::Secret takePassword();

    // The rules broken by the current fields, one sentence each; empty when it may connect/save.
    QStringList errors() const;

    // The rules on their own: what PowerShell refuses before connecting, plus the save rules
    // when `saving` (a name, unique in its folder).
    static QStringList validate(const SavedHost &host, const QStringList &fieldErrors, bool saving,
                                const SavedHostStore *store, const Wsman::TrustedHosts &trusted);

    void accept() override;

private:
    void buildSessionOptionsPage();
    void updateState();
    QStringList fieldErrors() const;
    QString sessionOptionText(const QString &name) const;

    std::unique_ptr<Ui::ConnectionDialog> m_ui;
    Mode m_mode;
    const SavedHostStore *m_store;
    QString m_id;
    Wsman::TrustedHosts m_trusted;
    QHash<QString, QWidget *> m_optionEditors; // PSSessionOption name -> its editor
};

} // namespace Gui
