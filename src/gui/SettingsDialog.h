#pragma once

#include "wsman/SessionOption.h"

#include <QColor>
#include <QDialog>
#include <QFont>

class QFontComboBox;
class QListWidget;
class QPlainTextEdit;
class QLabel;
class QPushButton;
class QSpinBox;
class QTreeWidget;

namespace Gui {

// The console's look as the user set it (QSettings group "console"); the console reads it.
struct ConsoleSettings {
    QFont font;
    QColor foreground;
    QColor background;
    int scrollbackLines = 10000;

    static ConsoleSettings load();
    void save() const;
};

// Settings: console font, colours and scrollback, the default session options for new
// connections, the shared TrustedHosts list and the pinned server certificates (both in the
// settings file shared with psremote-cli). Changes are written on OK. A dialog child of the
// main window.
class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(QWidget *parent = nullptr);

    // The PSSessionOption defaults for new connections (QSettings "defaults/sessionOptions",
    // NAME=VALUE lines); PowerShell's where unset.
    static Wsman::SessionOption defaultSessionOption();

    void accept() override;

private:
    void setColourButton(QPushButton *button, const QColor &colour);
    bool validateDefaults(QString *error) const;

    QFontComboBox *m_font;
    QSpinBox *m_fontSize;
    QPushButton *m_foreground;
    QPushButton *m_background;
    QSpinBox *m_scrollback;
    QPlainTextEdit *m_defaults;
    QListWidget *m_trusted;
    QTreeWidget *m_pins;
    QLabel *m_error;
    QStringList m_removedPins;
};

} // namespace Gui
