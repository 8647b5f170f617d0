#pragma once

#include <QAbstractScrollArea>
#include <QColor>
#include <QFont>
#include <QString>
#include <QVarLengthArray>

#include <array>
#include <deque>

namespace Gui {

// The console's output: a bounded ring of styled lines painted directly (only the visible rows),
// no text document. Appends are O(1) and repaint once per event-loop turn; the oldest lines are
// dropped past maximumLines(). Mouse selection, copy, Find with highlighting, zoom. Colours are
// System.ConsoleColor indexes (0..15) shown with the Windows Terminal "Campbell" palette.
class OutputView : public QAbstractScrollArea {
    Q_OBJECT
public:
    static constexpr qsizetype DefaultMaximumLines = 10000;
    static constexpr qsizetype MaximumLineLength = 65536; // longer lines are broken
    static constexpr int DefaultColor = -1;

    explicit OutputView(QWidget *parent = nullptr);
    ~OutputView() override;

    static QColor consoleColor(int index); // System.ConsoleColor -> RGB (Campbell)
    // The colour this view paints for an index: the Campbell one unless the console settings
    // replaced it (as a console's colour scheme does; the remote side still sees the index).
    QColor color(int index) const;
    void setColorOverride(int index, const QColor &color);
    void clearColorOverrides();
    // The index whose Campbell colour is closest to `color` (never `avoid`).
    static int nearestConsoleColor(const QColor &color, int avoid = -1);

    // Appends text in the given colours (DefaultColor: the current default); '\n' ends a line,
    // `newline` ends the last one. Without it the next append continues the same line.
    void append(const QString &text, bool newline, int foreground = DefaultColor, int background = DefaultColor);
    // Ends an open partial line (before echoing input or a note).
    void endPartialLine();
    void clear();

    // The colours plain output uses (RawUI ForegroundColor / BackgroundColor).
    void setDefaultColors(int foreground, int background);
    int defaultForeground() const { return m_defaultFg; }
    int defaultBackground() const { return m_defaultBg; }

    void setMaximumLines(qsizetype lines);
    qsizetype maximumLines() const { return m_maxLines; }
    qsizetype lineCount() const { return static_cast<qsizetype>(m_lines.size()); }
    QString lineText(qsizetype index) const;
    QString text() const; // every kept line, '\n'-joined
    // The colour index shown at a character (DefaultColor resolved); -1 when out of range.
    int foregroundAt(qsizetype line, qsizetype column) const;
    int backgroundAt(qsizetype line, qsizetype column) const;
    // Lines appended since construction, kept or dropped.
    qint64 totalLines() const { return m_dropped + lineCount(); }

    bool hasSelection() const;
    QString selectedText() const;
    void selectAll();
    void clearSelection();
    void copy() const;

    // Find: selects and shows the next (or previous) occurrence, case-insensitively, wrapping;
    // every visible occurrence is highlighted until the search text changes or is cleared.
    bool find(const QString &text, bool backward = false);
    QString findText() const { return m_findText; }
    void clearFind();

    void zoomIn();
    void zoomOut();
    void resetZoom();
    int zoomSteps() const { return m_zoom; }
    void setBaseFont(const QFont &font);

    // The visible size in character cells (font metrics).
    int columns() const;
    int rows() const;
    bool isFollowingTail() const { return m_follow; }

Q_SIGNALS:
    void sizeInCharactersChanged(int columns, int rows);
    void selectionChanged();

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    struct Span {
        qint32 start = 0;
        qint32 length = 0;
        qint8 fg = DefaultColor;
        qint8 bg = DefaultColor;
    };
    struct Line {
        QString text;
        QVarLengthArray<Span, 1> spans;
    };
    struct Pos {
        qint64 line = 0; // absolute: m_dropped + index
        qsizetype column = 0;
        auto operator<=>(const Pos &) const = default;
    };

    void appendPiece(QStringView piece, int fg, int bg);
    void newLine();
    void trim();
    void scheduleUpdate();
    void flushUpdate();
    void updateMetrics();
    void updateScrollBars();
    Pos posAt(const QPoint &point) const;
    void scrollToLine(qint64 absoluteLine);
    int effectiveFg(int fg) const;
    int effectiveBg(int bg) const;

    std::deque<Line> m_lines;
    qint64 m_dropped = 0;
    qint64 m_droppedAtFlush = 0;
    bool m_open = false; // the last line is partial
    qsizetype m_maxLines = DefaultMaximumLines;
    qsizetype m_widest = 0;
    int m_defaultFg = 7;
    int m_defaultBg = 0;
    std::array<QColor, 16> m_overrides; // invalid: Campbell

    QFont m_baseFont;
    int m_zoom = 0;
    int m_charWidth = 8;
    int m_lineHeight = 16;
    int m_ascent = 12;
    bool m_updateScheduled = false;
    bool m_follow = true;

    Pos m_anchor;
    Pos m_cursor;
    bool m_selecting = false;
    QString m_findText;
};

} // namespace Gui
