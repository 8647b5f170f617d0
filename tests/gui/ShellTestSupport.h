#pragma once

// Shared by the application shell's tests: settings isolated in temporary XDG folders (set for
// the whole process before any QSettings exists; ctest runs each test in a process of its own),
// the application identity the shell uses, and event-loop waiting.
#include "wsman/TrustedHosts.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QTemporaryDir>
#include <QWidget>

#include <gtest/gtest.h>

#include <functional>

namespace ShellTest {

class IsolatedSettings : public ::testing::Environment {
public:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        qputenv("XDG_CONFIG_HOME", (m_dir.path() + QStringLiteral("/config")).toLocal8Bit());
        qputenv("XDG_DATA_HOME", (m_dir.path() + QStringLiteral("/data")).toLocal8Bit());
        qputenv("XDG_CACHE_HOME", (m_dir.path() + QStringLiteral("/cache")).toLocal8Bit());
        QCoreApplication::setOrganizationName(Wsman::SettingsOrganization);
        QCoreApplication::setApplicationName(Wsman::SettingsApplication);
    }
    // GoogleTest never destroys its environments: the folder goes here, or it stays in /tmp.
    void TearDown() override { m_dir.remove(); }

private:
    QTemporaryDir m_dir;
};

// Spins the event loop until `done` or the guard (a hang guard, never a timing assertion).
inline bool waitFor(const std::function<bool()> &done, int guardMs = 15000)
{
    QDeadlineTimer deadline(guardMs);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    return true;
}

// The first visible top-level widget of type T with that object name (dialogs opened with open()).
template <typename T>
T *findTopLevel(const QString &objectName)
{
    for (QWidget *w : QApplication::topLevelWidgets()) {
        if (auto *t = qobject_cast<T *>(w); t && t->isVisible() && (objectName.isEmpty() || t->objectName() == objectName))
            return t;
    }
    return nullptr;
}

} // namespace ShellTest
