#include "gui/TabHostUi.h"

#include "gui/ChoiceDialog.h"
#include "gui/CredentialDialog.h"
#include "gui/InputLine.h"
#include "gui/OutputView.h"
#include "gui/ProgressPanel.h"
#include "gui/PromptDialog.h"

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

// System.ConsoleColor
constexpr int DarkGray = 8;
constexpr int Cyan = 11;
constexpr int Red = 12;
constexpr int Yellow = 14;
// System.Management.Automation.Host.ReadKeyOptions.NoEcho
constexpr qint32 NoEcho = 2;
// BufferSize height a console reports at most (System.Console limits it to Int16).
constexpr qint32 MaximumBufferHeight = 32766;

} // namespace

TabHostUi::TabHostUi(OutputView &view, InputLine &input, ProgressPanel &progress, QWidget &dialogParent)
    : m_view(view), m_input(input), m_progress(progress), m_dialogParent(dialogParent)
{
    m_raw.foregroundColor = view.defaultForeground();
    m_raw.backgroundColor = view.defaultBackground();
    onViewResized(view.columns(), view.rows());
    connect(&view, &OutputView::sizeInCharactersChanged, this, &TabHostUi::onViewResized);
}

TabHostUi::~TabHostUi()
{
    closeDialogs();
}

void TabHostUi::setDefaultColors(int foreground, int background)
{
    m_view.setDefaultColors(foreground, background);
    m_raw.foregroundColor = m_view.defaultForeground();
    m_raw.backgroundColor = m_view.defaultBackground();
}

void TabHostUi::onViewResized(int columns, int rows)
{
    m_raw.windowSize = Psrp::Size{columns, rows};
    m_raw.maxWindowSize = m_raw.windowSize;
    m_raw.maxPhysicalWindowSize = m_raw.windowSize;
    m_raw.bufferSize = Psrp::Size{columns, static_cast<qint32>(std::clamp<qsizetype>(m_view.maximumLines(), rows, MaximumBufferHeight))};
}

Session::RawUiState TabHostUi::rawUi() const
{
    Session::RawUiState s = m_raw;
    s.cursorPosition = Psrp::Coordinates{0, static_cast<qint32>(std::min<qsizetype>(m_view.lineCount(), MaximumBufferHeight))};
    return s;
}

void TabHostUi::rawUiChanged(Psrp::HostMethodId setter, const Session::RawUiState &state)
{
    m_raw = state;
    switch (setter) {
    case Psrp::HostMethodId::SetForegroundColor:
    case Psrp::HostMethodId::SetBackgroundColor:
        m_view.setDefaultColors(state.foregroundColor, state.backgroundColor);
        m_raw.foregroundColor = m_view.defaultForeground();
        m_raw.backgroundColor = m_view.defaultBackground();
        break;
    case Psrp::HostMethodId::SetWindowTitle:
        Q_EMIT windowTitleRequested(state.windowTitle);
        break;
    default:
        break;
    }
}

void TabHostUi::write(const Session::HostText &text)
{
    int fg = text.foregroundColor.value_or(OutputView::DefaultColor);
    const int bg = text.backgroundColor.value_or(OutputView::DefaultColor);
    QString body = text.text;
    switch (text.stream) {
    case Session::TextStream::Output:
    case Session::TextStream::Information:
        break;
    case Session::TextStream::Error:
        fg = Red;
        break;
    case Session::TextStream::Warning:
        fg = Yellow;
        body = u"WARNING: "_s + body;
        break;
    case Session::TextStream::Verbose:
        fg = Cyan;
        body = u"VERBOSE: "_s + body;
        break;
    case Session::TextStream::Debug:
        fg = Cyan;
        body = u"DEBUG: "_s + body;
        break;
    }
    if (text.stream != Session::TextStream::Output && text.stream != Session::TextStream::Information)
        m_view.endPartialLine();
    m_view.append(body, text.newline, fg, bg);
}

void TabHostUi::progressChanged(const QList<Session::ProgressItem> &active)
{
    m_progress.setItems(active);
}

void TabHostUi::promptChanged(const QString &prompt)
{
    m_input.setPrompt(prompt);
}

void TabHostUi::stateChanged(Session::SessionState state)
{
    m_state = state;
    if (state == Session::SessionState::Busy)
        return;
    // The remote records end with their command; the session's own reconnect item (negative
    // sourceId) stays until the session withdraws it.
    QList<Session::ProgressItem> kept = m_progress.items();
    kept.removeIf([](const Session::ProgressItem &item) { return item.sourceId >= 0; });
    if (kept.size() != m_progress.items().size())
        m_progress.setItems(kept);
}

void TabHostUi::note(Session::NoteKind kind, const QString &text)
{
    m_view.endPartialLine();
    const int fg = kind == Session::NoteKind::Error ? Red : kind == Session::NoteKind::Warning ? Yellow : DarkGray;
    m_view.append(text, true, fg);
}

void TabHostUi::cancelInput()
{
    m_input.cancelRead();
    closeDialogs();
    m_view.endPartialLine();
}

void TabHostUi::notifyApplication(bool begin)
{
    Q_EMIT applicationRunning(begin);
}

void TabHostUi::flushInputBuffer()
{
    // No type-ahead buffer: keys typed while a command runs stay in the editor, as drafts.
}

void TabHostUi::connectionChanged(Session::ConnectionCondition condition)
{
    Q_EMIT connectionConditionChanged(condition);
}

void TabHostUi::readLine(Session::Reply<QString> reply)
{
    m_input.readLine(QString(), [this, reply](const QString &line) {
        if (!reply.isPending())
            return;
        m_view.append(line, true);
        reply.complete(line);
    });
}

void TabHostUi::readLineAsSecureString(Session::Reply<Wsman::Secret> reply)
{
    m_input.readSecret(QString(), [this, reply](Wsman::Secret secret) {
        if (!reply.isPending())
            return;
        m_view.append(QString(), true);
        reply.complete(std::move(secret));
    });
}

void TabHostUi::readKey(qint32 options, Session::Reply<Psrp::KeyInfo> reply)
{
    m_input.readKey(QString(), [this, reply, options](const Psrp::KeyInfo &key) {
        if (!reply.isPending())
            return;
        if (!(options & NoEcho) && key.character >= 0x20)
            m_view.append(QString(QChar(key.character)), false);
        reply.complete(key);
    });
}

void TabHostUi::showDialog(QDialog *dialog)
{
    m_dialogs.removeAll(nullptr);
    m_dialogs.append(dialog);
    dialog->setWindowFlag(Qt::Dialog);
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
}

void TabHostUi::prompt(const Session::PromptRequest &request, Session::Reply<std::vector<Session::PromptAnswer>> reply)
{
    showDialog(new PromptDialog(request, std::move(reply), &m_dialogParent));
}

void TabHostUi::promptForCredential(const Session::CredentialRequest &request, Session::Reply<Session::Credential> reply)
{
    showDialog(new CredentialDialog(request, std::move(reply), m_computerName, &m_dialogParent));
}

void TabHostUi::promptForChoice(const Session::ChoiceRequest &request, Session::Reply<QList<qint32>> reply)
{
    showDialog(new ChoiceDialog(request, std::move(reply), &m_dialogParent));
}

QList<QDialog *> TabHostUi::openDialogs() const
{
    QList<QDialog *> out;
    for (const QPointer<QDialog> &d : m_dialogs)
        if (d && d->isVisible())
            out.append(d.data());
    return out;
}

void TabHostUi::closeDialogs()
{
    const QList<QPointer<QDialog>> dialogs = std::exchange(m_dialogs, {});
    for (const QPointer<QDialog> &d : dialogs)
        if (d)
            d->reject();
}

} // namespace Gui
