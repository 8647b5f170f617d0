// gui_output_benchmark [SCROLLBACK [LINES [BATCH]]]: appends LINES (default 100,000) mixed-colour
// lines to a ConsoleTab's output view through TabHostUi::write (the path InteractiveSession
// uses), BATCH lines per event-loop turn (default 500, about one network message), offscreen.
// A 1 ms QTimer watchdog records the longest gap between its ticks (the worst event-loop stall);
// resident memory is read from /proc/self/statm before and after. Without arguments it runs
// itself once per scrollback size (10,000 and 100,000) so each figure has a fresh process.
// Prints figures only: no assertion on time.
#include "gui/ConsoleTab.h"
#include "gui/OutputView.h"
#include "gui/TabHostUi.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTimer>

#include <unistd.h>

#include <algorithm>
#include <cstdio>

using namespace Qt::Literals::StringLiterals;

namespace {

double residentMiB()
{
    QFile statm(u"/proc/self/statm"_s);
    if (!statm.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() > 1 ? fields.at(1).toDouble() * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0) : -1;
}

Session::HostText line(qint64 i)
{
    static const Session::TextStream streams[] = {Session::TextStream::Output, Session::TextStream::Output,
                                                  Session::TextStream::Error, Session::TextStream::Warning,
                                                  Session::TextStream::Verbose, Session::TextStream::Debug};
    Session::HostText t;
    t.stream = streams[i % 6];
    t.text = u"%1 Get-Process output line with some width to it: Handles NPM(K) PM(K) WS(K) CPU(s) Id SI ProcessName"_s.arg(i, 6);
    if (i % 7 == 0)
        t.foregroundColor = static_cast<qint32>(i % 16);
    if (i % 11 == 0)
        t.backgroundColor = static_cast<qint32>((i / 11) % 16);
    return t;
}

int runOne(qsizetype scrollback, qint64 lines, qint64 batch)
{
    Gui::ConsoleTab tab;
    tab.setScrollbackLines(scrollback);
    tab.resize(1000, 700);
    tab.show();
    QCoreApplication::processEvents();
    const double before = residentMiB();

    QElapsedTimer clock;
    clock.start();
    qint64 lastTick = clock.nsecsElapsed();
    qint64 maxGap = 0;
    QTimer watchdog;
    watchdog.setTimerType(Qt::PreciseTimer);
    watchdog.setInterval(1);
    QObject::connect(&watchdog, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        maxGap = std::max(maxGap, now - lastTick);
        lastTick = now;
    });
    watchdog.start();

    Gui::TabHostUi *ui = tab.hostUi();
    qint64 written = 0;
    qint64 doneAt = -1;
    QTimer feeder;
    feeder.setInterval(0);
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        const qint64 end = std::min(lines, written + batch);
        for (; written < end; ++written)
            ui->write(line(written));
        if (written == lines) {
            feeder.stop();
            doneAt = clock.nsecsElapsed();
        }
    });
    feeder.start();
    QEventLoop loop;
    QTimer settle;
    settle.setSingleShot(true);
    QObject::connect(&settle, &QTimer::timeout, &loop, &QEventLoop::quit);
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, [&] {
        if (doneAt >= 0 && !settle.isActive() && poll.isActive()) {
            poll.stop();
            settle.start(300); // let the last repaints run while the watchdog keeps watching
        }
    });
    poll.start(5);
    loop.exec();
    watchdog.stop();
    const double after = residentMiB();

    std::printf("scrollback %lld lines, %lld lines appended in batches of %lld: %.0f ms total, longest event-loop "
                "stall %.1f ms; kept %lld lines; resident memory %.1f MiB before, %.1f MiB after (+%.1f MiB)\n",
                static_cast<long long>(scrollback), static_cast<long long>(lines), static_cast<long long>(batch),
                static_cast<double>(doneAt) / 1e6, static_cast<double>(maxGap) / 1e6,
                static_cast<long long>(tab.outputView()->lineCount()), before, after, after - before);
    return tab.outputView()->totalLines() == lines ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments().mid(1);
    if (args.isEmpty()) {
        int status = 0;
        for (const QString &scrollback : {u"10000"_s, u"100000"_s}) {
            std::fflush(stdout);
            status |= QProcess::execute(QCoreApplication::applicationFilePath(), {scrollback});
        }
        return status;
    }
    const qsizetype scrollback = args.value(0).toLongLong();
    const qint64 lines = args.size() > 1 ? args.at(1).toLongLong() : 100000;
    const qint64 batch = args.size() > 2 ? args.at(2).toLongLong() : 500;
    if (scrollback <= 0 || lines <= 0 || batch <= 0) {
        std::fprintf(stderr, "usage: gui_output_benchmark [SCROLLBACK [LINES [BATCH]]]\n");
        return 2;
    }
    return runOne(scrollback, lines, batch);
}
