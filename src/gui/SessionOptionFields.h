#pragma once

#include "wsman/SessionOption.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QStringView>

namespace Gui {

// How a PSSessionOption field is edited and stored.
enum class SessionOptionKind { Bool, Choice, Milliseconds, Count, Size, Text };

struct SessionOptionField {
    QString name; // PowerShell's property name, as SessionOption::setFromString takes it
    SessionOptionKind kind = SessionOptionKind::Text;
    QStringList choices; // Choice only, in PowerShell's spelling
};

// Every PSSessionOption field the Session options page and saved hosts carry as NAME=VALUE text,
// in PowerShell's order. Culture, UICulture and ApplicationArguments are handled apart (per-host
// culture overrides, a key/value list).
const QList<SessionOptionField> &sessionOptionFields();

// The value of `name` in `options` as setFromString() reads it back ("true", "180000",
// "unlimited", "Negotiate"...); empty for an unknown name.
QString sessionOptionValue(const Wsman::SessionOption &options, QStringView name);

} // namespace Gui
