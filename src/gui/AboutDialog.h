#pragma once

#include <QDialog>
#include <QString>

namespace Gui {

// The About box: PSRemote's version and those of Qt and OpenSSL it runs with, and the licence.
class AboutDialog : public QDialog {
    Q_OBJECT
public:
    explicit AboutDialog(QWidget *parent = nullptr);

    // "PSRemote 0.1.0", "Qt 6.4.2", "OpenSSL 3.0.x ...", one per line.
    static QString versionText();
};

} // namespace Gui
