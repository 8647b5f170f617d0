#pragma once

#include "psrp/HostMethod.h"

#include <QList>
#include <QString>

#include <optional>

namespace Cli {

// PowerShell console conventions shared by `invoke` and `enter`'s terminal: ChoiceDescription
// hot keys and PromptForChoice menus, System.ConsoleColor as SGR parameters.

// The hot key of a ChoiceDescription label ("&Yes" -> "Y"), else its first letter.
QString choiceHotKey(const QString &label);
// The label without its '&'.
QString choiceText(const QString &label);

// PowerShell's console menu: "[Y] Yes  [N] No  (default is "Y"): "; with `multiple`, a second
// line "Choices (separated by commas): ".
QString choiceMenu(const QList<Psrp::ChoiceDescription> &choices, const QList<qint32> &defaults,
                   bool multiple);
// The indexes an answer to choiceMenu() names (hot keys or labels, case-insensitive, separated
// by commas or blanks; empty: the defaults); nullopt when invalid (PowerShell asks again).
std::optional<QList<qint32>> parseChoiceAnswer(const QList<Psrp::ChoiceDescription> &choices,
                                               const QList<qint32> &defaults, bool multiple,
                                               const QString &answer);

// System.ConsoleColor 0..15 as SGR parameters ("31", "101"); empty outside that range.
QString foregroundSgr(qint32 consoleColor);
QString backgroundSgr(qint32 consoleColor);

} // namespace Cli
