#pragma once

#include <QLocale>
#include <QTranslator>

#include <memory>
#include <vector>

namespace Gui {

// The translators of one UI language: PSRemote's catalogue (:/i18n/psremote_<lang>.qm, built
// by qt_add_translations) and Qt's own (qtbase_<lang>.qm from Qt's translations folder).
// Installed on the application while alive; owned by main() (or a test).
class Translations {
public:
    Translations() = default;
    ~Translations();
    Translations(const Translations &) = delete;
    Translations &operator=(const Translations &) = delete;

    // Replaces what was installed; true when PSRemote's catalogue for `locale` was found.
    bool install(const QLocale &locale);
    void uninstall();

private:
    std::vector<std::unique_ptr<QTranslator>> m_translators;
};

} // namespace Gui
