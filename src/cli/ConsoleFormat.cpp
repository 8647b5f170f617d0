#include "cli/ConsoleFormat.h"

#include <QRegularExpression>
#include <QStringList>

using namespace Qt::Literals::StringLiterals;

namespace Cli {

QString choiceHotKey(const QString &label)
{
    const qsizetype amp = label.indexOf(u'&');
    if (amp >= 0 && amp + 1 < label.size())
        return label.mid(amp + 1, 1).toUpper();
    return label.left(1).toUpper();
}

QString choiceText(const QString &label)
{
    QString text = label;
    text.remove(u'&');
    return text;
}

QString choiceMenu(const QList<Psrp::ChoiceDescription> &choices, const QList<qint32> &defaults,
                   bool multiple)
{
    QString menu;
    for (const Psrp::ChoiceDescription &c : choices)
        menu += u"[%1] %2  "_s.arg(choiceHotKey(c.label), choiceText(c.label));
    QStringList keys;
    for (qint32 d : defaults)
        if (d >= 0 && d < choices.size())
            keys.append(choiceHotKey(choices.at(d).label));
    if (!keys.isEmpty())
        menu += u"(default is \"%1\")"_s.arg(keys.join(u','));
    menu += multiple ? u"\nChoices (separated by commas): "_s : u": "_s;
    return menu;
}

std::optional<QList<qint32>> parseChoiceAnswer(const QList<Psrp::ChoiceDescription> &choices,
                                               const QList<qint32> &defaults, bool multiple,
                                               const QString &answer)
{
    static const QRegularExpression separators(u"[,\\s]+"_s);
    const QStringList words = answer.split(separators, Qt::SkipEmptyParts);
    QList<qint32> chosen;
    for (const QString &word : words) {
        qint32 found = -1;
        for (qsizetype i = 0; i < choices.size() && found < 0; ++i) {
            const QString &label = choices.at(i).label;
            if (word.compare(choiceHotKey(label), Qt::CaseInsensitive) == 0 ||
                word.compare(choiceText(label), Qt::CaseInsensitive) == 0)
                found = qint32(i);
        }
        if (found < 0)
            return std::nullopt;
        chosen.append(found);
    }
    if (words.isEmpty())
        chosen = defaults;
    if (!multiple && chosen.size() != 1)
        return std::nullopt;
    return chosen;
}

QString foregroundSgr(qint32 consoleColor)
{
    static constexpr int Codes[16] = {30, 34, 32, 36, 31, 35, 33, 37,
                                      90, 94, 92, 96, 91, 95, 93, 97};
    return consoleColor >= 0 && consoleColor <= 15 ? QString::number(Codes[consoleColor])
                                                   : QString();
}

QString backgroundSgr(qint32 consoleColor)
{
    static constexpr int Codes[16] = {40,  44,  42,  46,  41,  45,  43,  47,
                                      100, 104, 102, 106, 101, 105, 103, 107};
    return consoleColor >= 0 && consoleColor <= 15 ? QString::number(Codes[consoleColor])
                                                   : QString();
}

} // namespace Cli
