#pragma once

#include "session/HostUi.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <optional>
#include <vector>

namespace SessionTest {

// A HostUi for tests: records every notification and answers questions from scripted queues,
// asynchronously (next event loop turn) as a GUI dialog would. A question without a scripted
// answer stays pending (kept in `held*`) until the test answers or the session abandons it.
class ScriptedUi : public Session::HostUi {
public:
    Session::RawUiState raw;
    QList<Session::HostText> writes;
    QList<std::pair<Session::NoteKind, QString>> notes;
    QStringList prompts;
    QList<Session::SessionState> states;
    QList<QList<Session::ProgressItem>> progress;
    QList<Psrp::HostMethodId> rawSetters;
    QList<Session::ConnectionCondition> conditions;
    // Writes, notes, conditions and progress changes in arrival order ("write:", "note:",
    // "condition:", "progress:" + the activities shown, '|'-separated).
    QStringList timeline;
    QList<Session::CredentialRequest> credentialRequests;
    QList<Session::ChoiceRequest> choiceRequests;
    QList<Session::PromptRequest> promptRequests;
    int cancels = 0;
    int applicationNotes = 0;
    int flushes = 0;

    QStringList lines;         // ReadLine answers
    QStringList secureLines;   // ReadLineAsSecureString answers
    QStringList credentials;   // "user/password" per PromptForCredential
    QList<QList<qint32>> choices;
    QStringList promptTexts;   // per Prompt field, in order: text, secret, or "user/password"
    QList<char16_t> keys;
    QList<Session::Reply<QString>> heldLines;

    Session::RawUiState rawUi() const override { return raw; }
    void rawUiChanged(Psrp::HostMethodId setter, const Session::RawUiState &state) override
    {
        rawSetters.append(setter);
        raw = state;
    }
    void write(const Session::HostText &text) override
    {
        writes.append(text);
        timeline.append(QStringLiteral("write:") + text.text);
    }
    void progressChanged(const QList<Session::ProgressItem> &active) override
    {
        progress.append(active);
        QStringList activities;
        for (const auto &item : active)
            activities.append(item.record.activity);
        timeline.append(QStringLiteral("progress:") + activities.join(u'|'));
    }
    void connectionChanged(Session::ConnectionCondition condition) override
    {
        conditions.append(condition);
        timeline.append(QStringLiteral("condition:") + Session::connectionConditionName(condition));
    }
    void promptChanged(const QString &prompt) override { prompts.append(prompt); }
    void stateChanged(Session::SessionState state) override { states.append(state); }
    void note(Session::NoteKind kind, const QString &text) override
    {
        notes.append({kind, text});
        timeline.append(QStringLiteral("note:") + text);
    }
    void cancelInput() override { ++cancels; }
    void notifyApplication(bool) override { ++applicationNotes; }
    void flushInputBuffer() override { ++flushes; }

    void readLine(Session::Reply<QString> reply) override
    {
        if (lines.isEmpty()) {
            heldLines.append(reply);
            return;
        }
        const QString line = lines.takeFirst();
        QTimer::singleShot(0, [reply, line] { reply.complete(line); });
    }
    void readLineAsSecureString(Session::Reply<Wsman::Secret> reply) override
    {
        if (secureLines.isEmpty()) {
            reply.cancel();
            return;
        }
        const QString text = secureLines.takeFirst();
        QTimer::singleShot(0, [reply, text] { reply.complete(Wsman::Secret(text)); });
    }
    void readKey(qint32, Session::Reply<Psrp::KeyInfo> reply) override
    {
        Psrp::KeyInfo key;
        key.character = keys.isEmpty() ? u'\r' : keys.takeFirst();
        key.virtualKeyCode = QChar::toUpper(key.character);
        QTimer::singleShot(0, [reply, key] { reply.complete(key); });
    }
    void prompt(const Session::PromptRequest &request, Session::Reply<std::vector<Session::PromptAnswer>> reply) override
    {
        promptRequests.append(request);
        auto answers = std::make_shared<std::vector<Session::PromptAnswer>>();
        for (const Psrp::FieldDescription &field : request.fields) {
            const QString t = promptTexts.isEmpty() ? QString() : promptTexts.takeFirst();
            Session::PromptAnswer a;
            if (field.isCredential()) {
                a.userName = t.section(u'/', 0, 0);
                a.secret = Wsman::Secret(t.section(u'/', 1));
            } else if (field.isSecureString()) {
                a.secret = Wsman::Secret(t);
            } else {
                a.text = t;
            }
            answers->push_back(std::move(a));
        }
        QTimer::singleShot(0, [reply, answers] { reply.complete(std::move(*answers)); });
    }
    void promptForCredential(const Session::CredentialRequest &request, Session::Reply<Session::Credential> reply) override
    {
        credentialRequests.append(request);
        if (credentials.isEmpty()) {
            reply.cancel(QStringLiteral("no credential"));
            return;
        }
        const QString c = credentials.takeFirst();
        QTimer::singleShot(0, [reply, c] {
            reply.complete(Session::Credential{c.section(u'/', 0, 0), Wsman::Secret(c.section(u'/', 1))});
        });
    }
    void promptForChoice(const Session::ChoiceRequest &request, Session::Reply<QList<qint32>> reply) override
    {
        choiceRequests.append(request);
        const QList<qint32> chosen = choices.isEmpty() ? request.defaultChoices : choices.takeFirst();
        QTimer::singleShot(0, [reply, chosen] { reply.complete(chosen); });
    }

    // Every text written so far, one entry per write.
    QStringList texts(std::optional<Session::TextStream> stream = std::nullopt) const
    {
        QStringList out;
        for (const auto &w : writes)
            if (!stream || w.stream == *stream)
                out.append(w.text);
        return out;
    }
    QString allText() const { return texts().join(u'\n'); }
    // The index of the first timeline entry starting with `prefix`, -1 if none.
    qsizetype firstIndex(const QString &prefix) const
    {
        for (qsizetype i = 0; i < timeline.size(); ++i)
            if (timeline.at(i).startsWith(prefix))
                return i;
        return -1;
    }
    QString noteText() const
    {
        QStringList out;
        for (const auto &n : notes)
            out.append(n.second);
        return out.join(u'\n');
    }
};

} // namespace SessionTest
