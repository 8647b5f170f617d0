#pragma once

#include "session/InteractiveSession.h"
#include "wsman/RunspacePoolClient.h"

#include <QString>
#include <QWidget>

namespace Gui {

// One remote console in a tab: the output view, the input line after the remote prompt, the
// tab's HostUi (prompts, credentials, choices, progress) and the InteractiveSession it owns.
// Agreed interface between the application shell and the console; the console engineer owns the
// implementation and may add to it, but keeps these members.
class ConsoleTab : public QWidget {
    Q_OBJECT
public:
    explicit ConsoleTab(QWidget *parent = nullptr);
    ~ConsoleTab() override;

    // Starts entering a new (temporary) session; `title` is the host as the tab shows it.
    void start(Wsman::ClientOptions options, Session::EnterOptions enter, const QString &title);

    QString title() const;
    Session::SessionState state() const;
    bool isBusy() const; // a command is running (closing the tab should ask first)

    void interrupt();    // Ctrl+C semantics of the session (stop, then abandon)
    void closeSession(); // leave and close the session (exit)

    void copy();
    void paste();
    void find();
    void zoomIn();
    void zoomOut();
    void resetZoom();

Q_SIGNALS:
    void titleChanged(const QString &title);
    void stateChanged(Session::SessionState state);
    void windowTitleRequested(const QString &title); // the remote host set $host.UI.RawUI.WindowTitle
    void finished(); // the session left (exit, Exit-PSSession) or could not open / broke for good
};

} // namespace Gui
