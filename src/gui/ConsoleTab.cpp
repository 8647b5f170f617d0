#include "gui/ConsoleTab.h"

#include "gui/InputLine.h"
#include "gui/OutputView.h"
#include "gui/ProgressPanel.h"
#include "gui/TabHostUi.h"
#include "session/CommandHistory.h"
#include "session/SessionManager.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {
constexpr int EchoColor = 7; // System.ConsoleColor Gray: the echoed command line
}

ConsoleTab::ConsoleTab(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);

    auto *statusRow = new QWidget(this);
    auto *statusLayout = new QHBoxLayout(statusRow);
    statusLayout->setContentsMargins(0, 0, 0, 0);
    m_status = new QLabel(statusRow);
    m_status->setObjectName(u"connectionState"_s);
    m_status->setTextFormat(Qt::PlainText);
    m_reconnect = new QPushButton(tr("&Reconnect"), statusRow);
    m_reconnect->setObjectName(u"reconnect"_s);
    m_reconnect->hide();
    connect(m_reconnect, &QPushButton::clicked, this, &ConsoleTab::reconnect);
    statusLayout->addWidget(m_status, 1);
    statusLayout->addWidget(m_reconnect);
    layout->addWidget(statusRow);

    m_findBar = new QWidget(this);
    auto *findLayout = new QHBoxLayout(m_findBar);
    findLayout->setContentsMargins(0, 0, 0, 0);
    m_findField = new QLineEdit(m_findBar);
    m_findField->setObjectName(u"find"_s);
    m_findField->setPlaceholderText(tr("Find"));
    m_findField->installEventFilter(this);
    auto *previous = new QToolButton(m_findBar);
    previous->setText(tr("Previous"));
    auto *next = new QToolButton(m_findBar);
    next->setText(tr("Next"));
    auto *close = new QToolButton(m_findBar);
    close->setText(tr("Close"));
    findLayout->addWidget(m_findField, 1);
    findLayout->addWidget(previous);
    findLayout->addWidget(next);
    findLayout->addWidget(close);
    connect(m_findField, &QLineEdit::returnPressed, this, [this] { findNext(false); });
    connect(previous, &QToolButton::clicked, this, [this] { findNext(true); });
    connect(next, &QToolButton::clicked, this, [this] { findNext(false); });
    connect(close, &QToolButton::clicked, this, [this] {
        m_findBar->hide();
        m_view->clearFind();
        m_input->focusInput();
    });
    m_findBar->hide();
    layout->addWidget(m_findBar);

    m_view = new OutputView(this);
    m_view->setObjectName(u"output"_s);
    m_view->installEventFilter(this);
    layout->addWidget(m_view, 1);
    m_progress = new ProgressPanel(this);
    m_progress->setObjectName(u"progress"_s);
    layout->addWidget(m_progress);
    m_input = new InputLine(this);
    m_input->setObjectName(u"inputLine"_s);
    m_input->editor()->setFont(m_view->font());
    m_input->secretField()->setFont(m_view->font());
    layout->addWidget(m_input);
    setFocusProxy(m_input);

    m_ui = std::make_unique<TabHostUi>(*m_view, *m_input, *m_progress, *this);
    connect(m_ui.get(), &TabHostUi::windowTitleRequested, this, &ConsoleTab::windowTitleRequested);
    connect(m_ui.get(), &TabHostUi::connectionConditionChanged, this, &ConsoleTab::updateCondition);
    connect(m_input, &InputLine::commandEntered, this, &ConsoleTab::onCommand);
    connect(m_input, &InputLine::ctrlC, this, &ConsoleTab::onCtrlC);
    connect(m_input, &InputLine::completionRequested, this, [this](const QString &text, int cursor) {
        if (!m_session)
            return;
        QPointer<ConsoleTab> self(this);
        m_session->complete(text, cursor, [self, text](std::optional<Session::Completion> completion) {
            if (self && completion)
                self->m_input->showCompletion(text, *completion);
        });
    });
    applySettings(ConsoleSettings::load());
    updateCondition();
}

ConsoleTab::~ConsoleTab()
{
    // The session abandons its questions first, then the dialogs and widgets go.
    m_session.reset();
    m_ui.reset();
}

void ConsoleTab::start(Wsman::ClientOptions options, Session::EnterOptions enter, const QString &title)
{
    m_options = std::move(options);
    m_enter = std::move(enter);
    m_title = title;
    setupHistory(m_enter.computerName.isEmpty() ? title : m_enter.computerName);
    Q_EMIT titleChanged(m_title);
    enterSession();
}

void ConsoleTab::setupHistory(const QString &key)
{
    m_history = std::make_unique<Session::CommandHistory>(
        key, m_historyDirectory.isEmpty() ? Session::CommandHistory::defaultDirectory() : m_historyDirectory);
    QString error;
    if (!m_history->load(&error))
        m_ui->note(Session::NoteKind::Warning, tr("The command history could not be read: %1").arg(error));
    m_input->setHistory(m_history.get());
}

void ConsoleTab::setSessionManager(Session::SessionManager *manager, bool persistent)
{
    m_manager = manager;
    m_persistent = persistent && manager;
}

void ConsoleTab::attachSession(Session::SessionManager *manager, int id, const QString &title)
{
    m_manager = manager;
    m_persistent = true;
    m_managedId = id;
    const std::optional<Session::PSSessionInfo> info = manager->find(id);
    m_title = title;
    m_enter.computerName = info ? info->computerName : title;
    setupHistory(m_enter.computerName);
    Q_EMIT titleChanged(m_title);
    enterSession();
}

void ConsoleTab::attachManaged()
{
    Wsman::RunspacePoolClient *client = m_manager ? m_manager->client(m_managedId) : nullptr;
    if (!client) {
        m_ui->note(Session::NoteKind::Error, tr("The session %1 no longer exists.").arg(m_managedId));
        m_lastFailure.reset();
        updateCondition();
        return;
    }
    m_session->attach(client, m_enter);
    updateCondition();
}

void ConsoleTab::enterSession()
{
    if (m_session) {
        m_session->disconnect(this);
        m_session.reset();
    }
    m_finishedSent = false;
    m_lastFailure.reset();
    m_ui->setComputerName(m_enter.computerName.isEmpty() ? m_title : m_enter.computerName);
    m_session = std::make_unique<Session::InteractiveSession>(*m_ui);
    Session::InteractiveSession *s = m_session.get();
    connect(s, &Session::InteractiveSession::stateChanged, this, &ConsoleTab::onSessionState);
    connect(s, &Session::InteractiveSession::lineStarted, this, [this](const QString &line) {
        if (!m_history)
            return;
        m_history->add(line);
        QString error;
        if (!m_history->save(&error))
            m_ui->note(Session::NoteKind::Warning, tr("The command history could not be saved: %1").arg(error));
    });
    connect(s, &Session::InteractiveSession::left, this, [this] {
        if (!m_finishedSent) {
            m_finishedSent = true;
            Q_EMIT finished();
        }
    });
    if (m_persistent && m_manager) {
        // Dossier 2.5.1: the pool's HostInfo is this console's (a later attach cannot change it).
        m_options.hostInfo = m_ui->rawUi().hostInfo();
        if (m_managedId == 0) {
            m_opening = true;
            m_managedId = m_manager->create(m_options);
            connect(m_manager, &Session::SessionManager::sessionOpened, this, [this](int id) {
                if (id != m_managedId || !m_opening)
                    return;
                m_opening = false;
                attachManaged();
            });
            connect(m_manager, &Session::SessionManager::sessionFailed, this, [this](int id, const Wsman::ClientError &error) {
                if (id != m_managedId || !m_opening)
                    return;
                m_opening = false;
                m_lastFailure = error;
                m_ui->note(Session::NoteKind::Error, error.detail);
                Q_EMIT failed(error);
                updateCondition();
                if (!m_finishedSent) {
                    m_finishedSent = true;
                    Q_EMIT finished();
                }
            });
            if (Wsman::RunspacePoolClient *client = m_manager->client(m_managedId))
                connect(client, &Wsman::RunspacePoolClient::failed, this,
                        [this](const Wsman::ClientError &error) { m_lastFailure = error; });
        } else {
            attachManaged();
        }
        updateCondition();
        return;
    }
    m_session->enter(m_options, m_enter);
    if (Wsman::RunspacePoolClient *client = m_session->client()) {
        connect(client, &Wsman::RunspacePoolClient::failed, this, [this](const Wsman::ClientError &error) {
            m_lastFailure = error;
            Q_EMIT failed(error);
        });
    }
    updateCondition();
}

void ConsoleTab::reconnect()
{
    if (m_title.isEmpty() && m_enter.computerName.isEmpty())
        return;
    m_view->endPartialLine();
    m_ui->note(Session::NoteKind::Info, tr("Reconnecting to %1...").arg(m_title));
    // Users-and-peers 0.3: the server keeps a Disconnected session; reconnecting resumes the same
    // shell and the running line. A Lost or broken one starts anew.
    if (m_session && m_session->connectionCondition() == Session::ConnectionCondition::Disconnected
        && m_session->reconnect().ok()) {
        m_finishedSent = false;
        m_lastFailure.reset();
        updateCondition();
        return;
    }
    if (m_persistent && m_manager && m_managedId != 0) {
        const std::optional<Session::PSSessionInfo> info = m_manager->find(m_managedId);
        if (!info || info->state == Session::PSSessionState::Broken || info->state == Session::PSSessionState::Closed) {
            m_manager->remove(m_managedId);
            m_managedId = 0; // a new session replaces the broken one
        }
    }
    enterSession();
}

bool ConsoleTab::canReconnect() const
{
    return (m_session || m_persistent)
        && (m_condition == Condition::Broken || m_condition == Condition::Disconnected || m_condition == Condition::Closed);
}

void ConsoleTab::onSessionState(Session::SessionState state)
{
    updateCondition();
    Q_EMIT stateChanged(state);
    if ((state == Session::SessionState::Broken || state == Session::SessionState::Closed) && !m_finishedSent) {
        m_finishedSent = true;
        Q_EMIT finished();
    }
    if (state == Session::SessionState::Ready)
        m_input->focusInput();
}

void ConsoleTab::updateCondition()
{
    Condition c = Condition::Idle;
    Session::SessionState current = state();
    if (m_opening)
        current = Session::SessionState::Connecting;
    else if (m_persistent && current == Session::SessionState::Idle && m_lastFailure)
        current = Session::SessionState::Broken;
    switch (current) {
    case Session::SessionState::Idle: c = Condition::Idle; break;
    case Session::SessionState::Connecting: c = Condition::Connecting; break;
    case Session::SessionState::Ready: c = Condition::Ready; break;
    case Session::SessionState::Busy: c = Condition::Busy; break;
    case Session::SessionState::Broken: c = Condition::Broken; break;
    case Session::SessionState::Closed: c = Condition::Closed; break;
    }
    switch (m_session ? m_session->connectionCondition() : Session::ConnectionCondition::Connected) {
    case Session::ConnectionCondition::Connected:
    case Session::ConnectionCondition::Lost:
        break;
    case Session::ConnectionCondition::Reconnecting:
    case Session::ConnectionCondition::Disconnecting:
        if (c != Condition::Broken && c != Condition::Closed)
            c = Condition::Reconnecting;
        break;
    case Session::ConnectionCondition::Disconnected:
        if (c != Condition::Connecting) // not while reconnect() resumes it
            c = Condition::Disconnected;
        break;
    }
    QString text = conditionText(c);
    if (c == Condition::Broken && m_session && !m_session->failureText().isEmpty())
        text += u": "_s + m_session->failureText();
    m_status->setText(m_title.isEmpty() ? text : m_title + u" - "_s + text);
    const bool changed = c != m_condition;
    m_condition = c;
    m_reconnect->setVisible(canReconnect());
    if (changed)
        Q_EMIT conditionChanged(c);
}

QString ConsoleTab::conditionText(Condition condition)
{
    switch (condition) {
    case Condition::Idle: return tr("not connected");
    case Condition::Connecting: return tr("connecting");
    case Condition::Ready: return tr("ready");
    case Condition::Busy: return tr("busy");
    case Condition::Reconnecting: return tr("reconnecting");
    case Condition::Broken: return tr("broken");
    case Condition::Disconnected: return tr("disconnected");
    case Condition::Closed: return tr("closed");
    }
    return {};
}

QString ConsoleTab::title() const
{
    return m_title;
}

Session::SessionState ConsoleTab::state() const
{
    return m_session ? m_session->state() : Session::SessionState::Idle;
}

bool ConsoleTab::isBusy() const
{
    return state() == Session::SessionState::Busy;
}

void ConsoleTab::echoCommand(const QString &line)
{
    m_view->endPartialLine();
    const QStringList lines = line.split(u'\n');
    for (qsizetype i = 0; i < lines.size(); ++i)
        m_view->append((i == 0 ? m_input->prompt() : u">> "_s) + lines.at(i), true, EchoColor);
}

bool ConsoleTab::runLine(const QString &line)
{
    if (!m_session || state() != Session::SessionState::Ready)
        return false;
    echoCommand(line);
    if (line.trimmed().isEmpty())
        return true;
    const auto r = m_session->runLine(line);
    if (!r.ok()) {
        m_ui->note(Session::NoteKind::Error, r.error().detail);
        return false;
    }
    return true;
}

void ConsoleTab::onCommand(const QString &line)
{
    if (!m_session || state() != Session::SessionState::Ready)
        return; // the text stays in the editor until the prompt is back
    if (runLine(line))
        m_input->setText(QString());
}

void ConsoleTab::onCtrlC()
{
    if (m_view->hasSelection()) {
        m_view->copy();
        m_view->clearSelection();
        return;
    }
    interrupt();
}

void ConsoleTab::interrupt()
{
    if (!m_session)
        return;
    if (m_session->interrupt() == Session::InterruptResult::Ignored) {
        // At the prompt Ctrl+C abandons the line being edited, as in a console.
        if (!m_input->text().isEmpty()) {
            echoCommand(m_input->text());
            m_input->setText(QString());
        }
    }
}

void ConsoleTab::closeSession()
{
    if (m_session && state() != Session::SessionState::Closed && state() != Session::SessionState::Broken)
        m_session->exit();
}

void ConsoleTab::copy()
{
    if (m_view->hasSelection())
        m_view->copy();
    else if (m_input->hasSelectedText())
        m_input->copy();
}

void ConsoleTab::paste()
{
    m_input->insertText(QApplication::clipboard()->text());
    m_input->focusInput();
}

void ConsoleTab::find()
{
    m_findBar->show();
    if (m_view->hasSelection() && !m_view->selectedText().contains(u'\n'))
        m_findField->setText(m_view->selectedText());
    m_findField->setFocus();
    m_findField->selectAll();
}

void ConsoleTab::findNext(bool backward)
{
    const bool found = m_view->find(m_findField->text(), backward);
    QPalette p = m_findField->palette();
    p.setColor(QPalette::Base, found || m_findField->text().isEmpty() ? palette().color(QPalette::Base) : QColor(0xFF, 0xCC, 0xCC));
    m_findField->setPalette(p);
}

void ConsoleTab::zoomIn()
{
    m_view->zoomIn();
    m_input->editor()->setFont(m_view->font());
    m_input->secretField()->setFont(m_view->font());
}

void ConsoleTab::zoomOut()
{
    m_view->zoomOut();
    m_input->editor()->setFont(m_view->font());
    m_input->secretField()->setFont(m_view->font());
}

void ConsoleTab::resetZoom()
{
    m_view->resetZoom();
    m_input->editor()->setFont(m_view->font());
    m_input->secretField()->setFont(m_view->font());
}

void ConsoleTab::applySettings(const ConsoleSettings &settings)
{
    m_view->setBaseFont(settings.font);
    m_input->editor()->setFont(m_view->font());
    m_input->secretField()->setFont(m_view->font());
    m_view->setMaximumLines(settings.scrollbackLines);
    m_view->clearColorOverrides();
    const int fg = OutputView::nearestConsoleColor(settings.foreground);
    const int bg = OutputView::nearestConsoleColor(settings.background, fg);
    m_view->setColorOverride(fg, settings.foreground);
    m_view->setColorOverride(bg, settings.background);
    m_ui->setDefaultColors(fg, bg);
    QPalette palette = m_input->palette();
    for (QPalette::ColorRole role : {QPalette::Base, QPalette::Window})
        palette.setColor(role, settings.background);
    for (QPalette::ColorRole role : {QPalette::Text, QPalette::WindowText})
        palette.setColor(role, settings.foreground);
    m_input->setPalette(palette);
    m_input->setAutoFillBackground(true);
}

void ConsoleTab::addPinnedCertificate(const QByteArray &sha256)
{
    if (!m_options.pinnedSha256.contains(sha256))
        m_options.pinnedSha256.append(sha256);
}

void ConsoleTab::setScrollbackLines(qsizetype lines)
{
    m_view->setMaximumLines(lines);
}

void ConsoleTab::setHistoryDirectory(const QString &directory)
{
    m_historyDirectory = directory;
}

bool ConsoleTab::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() != QEvent::KeyPress)
        return QWidget::eventFilter(watched, event);
    auto *key = static_cast<QKeyEvent *>(event);
    if (watched == m_findField) {
        if (key->key() == Qt::Key_Escape) {
            m_findBar->hide();
            m_view->clearFind();
            m_input->focusInput();
            return true;
        }
        if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) && (key->modifiers() & Qt::ShiftModifier)) {
            findNext(true);
            return true;
        }
        return false;
    }
    if (watched == m_view) {
        if (key->key() == Qt::Key_C && key->modifiers() == Qt::ControlModifier) {
            onCtrlC();
            return true;
        }
        // Typing while the output has focus goes to the input line.
        if (!key->text().isEmpty() && key->text().at(0).isPrint()
            && !(key->modifiers() & (Qt::ControlModifier | Qt::AltModifier))) {
            m_input->focusInput();
            QWidget *target = m_input->mode() == InputLine::Mode::ReadSecret ? static_cast<QWidget *>(m_input->secretField())
                                                                            : m_input->editor();
            QKeyEvent copyEvent(key->type(), key->key(), key->modifiers(), key->text());
            QApplication::sendEvent(target, &copyEvent);
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace Gui
