#pragma once

#include "wsman/ConnectionInfo.h"
#include "wsman/SessionOption.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace Gui {

// One saved host: its place in the Hosts panel, every Enter-PSSession parameter and
// PSSessionOption field, the culture overrides and whether its password is remembered (in the
// keychain, under CredentialStore::hostPasswordKey(id, user)). Never holds a secret. A plain
// value type.
struct SavedHost {
    QString id;     // stable (a UUID without braces): names the keychain item
    QString name;
    QString folder; // "" at the top, "Servers/Lab" nested
    Wsman::ConnectionInfo connection;
    Wsman::SessionOption sessionOption; // culture and uiCulture ignored: see the overrides
    // nullopt: the local culture (QLocale) at connect time, as PowerShell does.
    std::optional<QString> culture;
    std::optional<QString> uiCulture;
    bool enableNetworkAccess = false; // saved, no effect: its wire form is undocumented
    bool rememberPassword = false;

    // "Folder/Name", or "Name" at the top.
    QString path() const;
    // What the tab shows: the computer name or the URI's host.
    QString targetLabel() const;

    QJsonObject toJson() const;
    // nullopt when the object is not a saved host (no id or name, an invalid field value).
    static std::optional<SavedHost> fromJson(const QJsonObject &object, QString *why = nullptr);
};

// A folder path normalised: blanks around parts and empty parts dropped ("/a// b/" -> "a/b").
QString normalizeFolder(QStringView folder);

} // namespace Gui
