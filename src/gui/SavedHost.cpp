#include "gui/SavedHost.h"

#include "gui/SessionOptionFields.h"

#include <QJsonArray>
#include <QUrl>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

QString normalizeFolder(QStringView folder)
{
    QStringList parts;
    for (QStringView part : folder.split(u'/')) {
        part = part.trimmed();
        if (!part.isEmpty())
            parts.append(part.toString());
    }
    return parts.join(u'/');
}

QString SavedHost::path() const
{
    return folder.isEmpty() ? name : folder + u'/' + name;
}

QString SavedHost::targetLabel() const
{
    if (connection.computerName)
        return *connection.computerName;
    if (connection.connectionUri)
        return QUrl(*connection.connectionUri).host();
    return name;
}

QJsonObject SavedHost::toJson() const
{
    QJsonObject o;
    o.insert(u"id"_s, id);
    o.insert(u"name"_s, name);
    if (!folder.isEmpty())
        o.insert(u"folder"_s, folder);
    const Wsman::ConnectionInfo &c = connection;
    if (c.computerName)
        o.insert(u"computerName"_s, *c.computerName);
    if (c.port)
        o.insert(u"port"_s, *c.port);
    if (c.useSsl)
        o.insert(u"useSsl"_s, *c.useSsl);
    if (c.applicationName)
        o.insert(u"applicationName"_s, *c.applicationName);
    if (c.connectionUri)
        o.insert(u"connectionUri"_s, *c.connectionUri);
    if (c.allowRedirection)
        o.insert(u"allowRedirection"_s, true);
    if (!c.configurationName.isEmpty())
        o.insert(u"configurationName"_s, c.configurationName);
    o.insert(u"authentication"_s, Wsman::authenticationMechanismName(c.authentication));
    if (c.userName)
        o.insert(u"userName"_s, c.userName->toString());
    if (!c.certificateThumbprint.isEmpty())
        o.insert(u"certificateThumbprint"_s, c.certificateThumbprint);
    if (enableNetworkAccess)
        o.insert(u"enableNetworkAccess"_s, true);
    o.insert(u"rememberPassword"_s, rememberPassword);
    if (culture)
        o.insert(u"culture"_s, *culture);
    if (uiCulture)
        o.insert(u"uiCulture"_s, *uiCulture);

    // Only what differs from PowerShell's defaults, so a host follows them otherwise.
    const Wsman::SessionOption defaults;
    QJsonObject options;
    for (const SessionOptionField &field : sessionOptionFields()) {
        const QString value = sessionOptionValue(sessionOption, field.name);
        if (value != sessionOptionValue(defaults, field.name))
            options.insert(field.name, value);
    }
    if (!options.isEmpty())
        o.insert(u"sessionOptions"_s, options);
    if (sessionOption.proxy.isValid())
        o.insert(u"proxy"_s, sessionOption.proxy.toString());
    if (!sessionOption.applicationArguments.isEmpty()) {
        QJsonArray arguments;
        for (const auto &[key, value] : sessionOption.applicationArguments)
            arguments.append(QJsonObject{{u"name"_s, key}, {u"value"_s, value}});
        o.insert(u"applicationArguments"_s, arguments);
    }
    return o;
}

std::optional<SavedHost> SavedHost::fromJson(const QJsonObject &o, QString *why)
{
    auto fail = [why](const QString &text) -> std::optional<SavedHost> {
        if (why)
            *why = text;
        return std::nullopt;
    };
    SavedHost h;
    h.id = o.value(u"id"_s).toString();
    h.name = o.value(u"name"_s).toString().trimmed();
    if (h.id.isEmpty() || h.name.isEmpty())
        return fail(u"a host without id or name"_s);
    h.folder = normalizeFolder(o.value(u"folder"_s).toString());
    Wsman::ConnectionInfo &c = h.connection;
    if (o.contains(u"computerName"_s))
        c.computerName = o.value(u"computerName"_s).toString();
    if (o.contains(u"port"_s))
        c.port = o.value(u"port"_s).toInt();
    if (o.contains(u"useSsl"_s))
        c.useSsl = o.value(u"useSsl"_s).toBool();
    if (o.contains(u"applicationName"_s))
        c.applicationName = o.value(u"applicationName"_s).toString();
    if (o.contains(u"connectionUri"_s))
        c.connectionUri = o.value(u"connectionUri"_s).toString();
    c.allowRedirection = o.value(u"allowRedirection"_s).toBool();
    c.configurationName = o.value(u"configurationName"_s).toString();
    if (const auto mechanism = Wsman::parseAuthenticationMechanism(o.value(u"authentication"_s).toString(u"default"_s)))
        c.authentication = mechanism.value();
    else
        return fail(h.name + u": "_s + mechanism.error().detail);
    if (o.contains(u"userName"_s)) {
        auto user = Wsman::UserName::parse(o.value(u"userName"_s).toString());
        if (!user)
            return fail(h.name + u": "_s + user.error().detail);
        c.userName = user.value();
    }
    c.certificateThumbprint = o.value(u"certificateThumbprint"_s).toString();
    h.enableNetworkAccess = o.value(u"enableNetworkAccess"_s).toBool();
    h.rememberPassword = o.value(u"rememberPassword"_s).toBool();
    if (o.contains(u"culture"_s))
        h.culture = o.value(u"culture"_s).toString();
    if (o.contains(u"uiCulture"_s))
        h.uiCulture = o.value(u"uiCulture"_s).toString();
    const QJsonObject options = o.value(u"sessionOptions"_s).toObject();
    for (auto it = options.begin(); it != options.end(); ++it) {
        if (auto error = h.sessionOption.setFromString(it.key(), it.value().toVariant().toString()))
            return fail(h.name + u": "_s + error->detail);
    }
    if (o.contains(u"proxy"_s))
        h.sessionOption.proxy = QUrl(o.value(u"proxy"_s).toString());
    for (const QJsonValue &v : o.value(u"applicationArguments"_s).toArray()) {
        const QJsonObject a = v.toObject();
        h.sessionOption.applicationArguments.append({a.value(u"name"_s).toString(), a.value(u"value"_s).toString()});
    }
    return h;
}

} // namespace Gui
