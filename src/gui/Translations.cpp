#include "gui/Translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

Translations::~Translations()
{
    uninstall();
}

void Translations::uninstall()
{
    for (const auto &translator : m_translators)
        QCoreApplication::removeTranslator(translator.get());
    m_translators.clear();
}

bool Translations::install(const QLocale &locale)
{
    uninstall();
    bool ours = false;
    auto own = std::make_unique<QTranslator>();
    if (own->load(locale, u"psremote"_s, u"_"_s, u":/i18n"_s)) {
        QCoreApplication::installTranslator(own.get());
        m_translators.push_back(std::move(own));
        ours = true;
    }
    auto qt = std::make_unique<QTranslator>();
    if (qt->load(locale, u"qtbase"_s, u"_"_s, QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
        QCoreApplication::installTranslator(qt.get());
        m_translators.push_back(std::move(qt));
    }
    return ours;
}

} // namespace Gui
