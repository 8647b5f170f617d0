#include "gui/OutputView.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QTimer>

#include <algorithm>
#include <array>
#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

constexpr int MinimumPointSize = 4;
constexpr int MaximumZoom = 40;

// An SGR colour code (30-37, 90-97, 40-47, 100-107) as System.ConsoleColor.
int sgrToConsole(int ansi)
{
    // ANSI order black, red, green, yellow, blue, magenta, cyan, white -> ConsoleColor indexes.
    static constexpr std::array<int, 8> dark = {0, 4, 2, 6, 1, 5, 3, 7};
    static constexpr std::array<int, 8> bright = {8, 12, 10, 14, 9, 13, 11, 15};
    if (ansi >= 30 && ansi <= 37)
        return dark[static_cast<size_t>(ansi - 30)];
    if (ansi >= 90 && ansi <= 97)
        return bright[static_cast<size_t>(ansi - 90)];
    return OutputView::DefaultColor;
}

} // namespace

OutputView::OutputView(QWidget *parent) : QAbstractScrollArea(parent)
{
    setBaseFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setFocusPolicy(Qt::ClickFocus);
    viewport()->setCursor(Qt::IBeamCursor);
    viewport()->setAutoFillBackground(false);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
    connect(verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        m_follow = value >= verticalScrollBar()->maximum();
    });
}

OutputView::~OutputView() = default;

QColor OutputView::consoleColor(int index)
{
    static constexpr std::array<QRgb, 16> campbell = {
        0x0C0C0C, 0x0037DA, 0x13A10E, 0x3A96DD, 0xC50F1F, 0x881798, 0xC19C00, 0xCCCCCC,
        0x767676, 0x3B78FF, 0x16C60C, 0x61D6D6, 0xE74856, 0xB4009E, 0xF9F1A5, 0xF2F2F2,
    };
    return QColor(campbell[static_cast<size_t>(std::clamp(index, 0, 15))]);
}

QColor OutputView::color(int index) const
{
    const QColor &o = m_overrides[static_cast<size_t>(std::clamp(index, 0, 15))];
    return o.isValid() ? o : consoleColor(index);
}

void OutputView::setColorOverride(int index, const QColor &color)
{
    m_overrides[static_cast<size_t>(std::clamp(index, 0, 15))] = color;
    viewport()->update();
}

void OutputView::clearColorOverrides()
{
    m_overrides.fill(QColor());
    viewport()->update();
}

int OutputView::nearestConsoleColor(const QColor &color, int avoid)
{
    int best = avoid == 0 ? 1 : 0;
    int bestDistance = std::numeric_limits<int>::max();
    for (int i = 0; i < 16; ++i) {
        if (i == avoid)
            continue;
        const QColor c = consoleColor(i);
        const int dr = c.red() - color.red();
        const int dg = c.green() - color.green();
        const int db = c.blue() - color.blue();
        const int distance = dr * dr + dg * dg + db * db;
        if (distance < bestDistance) {
            bestDistance = distance;
            best = i;
        }
    }
    return best;
}

void OutputView::append(const QString &text, bool newline, int foreground, int background)
{
    int fg = foreground;
    int bg = background;
    qsizetype start = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == u'\n') {
            appendPiece(QStringView(text).mid(start, i - start), fg, bg);
            newLine();
            start = i + 1;
        } else if (c == u'\x1b' && i + 1 < text.size() && text.at(i + 1) == u'[') {
            // ECMA-48 CSI: SGR colours are applied, every other sequence is dropped.
            appendPiece(QStringView(text).mid(start, i - start), fg, bg);
            qsizetype j = i + 2;
            while (j < text.size() && (text.at(j).isDigit() || text.at(j) == u';'))
                ++j;
            if (j < text.size() && text.at(j) == u'm') {
                const auto params = QStringView(text).mid(i + 2, j - i - 2).split(u';');
                for (const auto &p : params) {
                    const int n = p.isEmpty() ? 0 : p.toInt();
                    if (n == 0) {
                        fg = foreground;
                        bg = background;
                    } else if (n == 39) {
                        fg = foreground;
                    } else if (n == 49) {
                        bg = background;
                    } else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) {
                        fg = sgrToConsole(n);
                    } else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) {
                        bg = sgrToConsole(n - 10);
                    }
                }
            }
            i = std::min(j, text.size() - 1);
            start = j + 1;
        }
    }
    if (start < text.size())
        appendPiece(QStringView(text).mid(start), fg, bg);
    if (newline)
        newLine();
    trim();
    scheduleUpdate();
}

void OutputView::appendPiece(QStringView piece, int fg, int bg)
{
    const int f = fg == DefaultColor ? m_defaultFg : fg;
    qsizetype i = 0;
    while (i < piece.size()) {
        if (!m_open || m_lines.empty()) {
            m_lines.emplace_back();
            m_open = true;
        }
        Line *line = &m_lines.back();
        if (line->text.size() >= MaximumLineLength) {
            m_lines.emplace_back();
            line = &m_lines.back();
        }
        const qsizetype at = line->text.size();
        const QChar c = piece.at(i);
        if (c == u'\t') {
            line->text.append(QString(8 - at % 8, u' '));
            ++i;
        } else if (c.unicode() < 0x20) {
            ++i;
            continue;
        } else {
            qsizetype j = i;
            const qsizetype room = MaximumLineLength - at;
            while (j < piece.size() && j - i < room && piece.at(j).unicode() >= 0x20)
                ++j;
            line->text.append(piece.mid(i, j - i));
            i = j;
        }
        const qint32 len = static_cast<qint32>(line->text.size() - at);
        if (!line->spans.isEmpty() && line->spans.back().fg == f && line->spans.back().bg == bg
            && line->spans.back().start + line->spans.back().length == at) {
            line->spans.back().length += len;
        } else {
            line->spans.append(Span{static_cast<qint32>(at), len, static_cast<qint8>(f), static_cast<qint8>(bg)});
        }
        m_widest = std::max(m_widest, line->text.size());
    }
}

void OutputView::newLine()
{
    if (!m_open)
        m_lines.emplace_back();
    m_open = false;
}

void OutputView::endPartialLine()
{
    if (m_open) {
        m_open = false;
        scheduleUpdate();
    }
}

void OutputView::trim()
{
    while (static_cast<qsizetype>(m_lines.size()) > m_maxLines) {
        m_lines.pop_front();
        ++m_dropped;
    }
}

void OutputView::clear()
{
    m_dropped += lineCount();
    m_lines.clear();
    m_open = false;
    m_widest = 0;
    clearSelection();
    scheduleUpdate();
}

void OutputView::setDefaultColors(int foreground, int background)
{
    m_defaultFg = std::clamp(foreground, 0, 15);
    m_defaultBg = std::clamp(background, 0, 15);
    viewport()->update();
}

void OutputView::setMaximumLines(qsizetype lines)
{
    m_maxLines = std::max<qsizetype>(lines, 1);
    trim();
    scheduleUpdate();
}

QString OutputView::lineText(qsizetype index) const
{
    if (index < 0 || index >= lineCount())
        return {};
    return m_lines[static_cast<size_t>(index)].text;
}

QString OutputView::text() const
{
    QStringList out;
    for (const Line &l : m_lines)
        out.append(l.text);
    return out.join(u'\n');
}

int OutputView::foregroundAt(qsizetype line, qsizetype column) const
{
    if (line < 0 || line >= lineCount())
        return -1;
    for (const Span &s : m_lines[static_cast<size_t>(line)].spans)
        if (column >= s.start && column < s.start + s.length)
            return s.fg;
    return -1;
}

int OutputView::backgroundAt(qsizetype line, qsizetype column) const
{
    if (line < 0 || line >= lineCount())
        return -1;
    for (const Span &s : m_lines[static_cast<size_t>(line)].spans)
        if (column >= s.start && column < s.start + s.length)
            return s.bg == DefaultColor ? m_defaultBg : s.bg;
    return -1;
}

void OutputView::scheduleUpdate()
{
    if (m_updateScheduled)
        return;
    m_updateScheduled = true;
    QTimer::singleShot(0, this, &OutputView::flushUpdate);
}

void OutputView::flushUpdate()
{
    m_updateScheduled = false;
    const bool follow = m_follow;
    const int value = verticalScrollBar()->value();
    updateScrollBars();
    if (follow) {
        verticalScrollBar()->setValue(verticalScrollBar()->maximum());
    } else {
        // Keep the lines a reader scrolled back to on screen while the oldest are dropped.
        const qint64 shift = m_dropped - m_droppedAtFlush;
        verticalScrollBar()->setValue(static_cast<int>(std::max<qint64>(0, value - shift)));
        m_follow = false;
    }
    m_droppedAtFlush = m_dropped;
    viewport()->update();
}

void OutputView::updateMetrics()
{
    const QFontMetrics fm(font());
    m_charWidth = std::max(1, fm.horizontalAdvance(u'M'));
    m_lineHeight = std::max(1, fm.lineSpacing());
    m_ascent = fm.ascent();
    updateScrollBars();
    viewport()->update();
    Q_EMIT sizeInCharactersChanged(columns(), rows());
}

void OutputView::updateScrollBars()
{
    QScrollBar *v = verticalScrollBar();
    v->setRange(0, static_cast<int>(std::max<qsizetype>(0, lineCount() - rows())));
    v->setPageStep(std::max(1, rows()));
    v->setSingleStep(1);
    QScrollBar *h = horizontalScrollBar();
    h->setRange(0, static_cast<int>(std::max<qsizetype>(0, m_widest - columns() + 1)));
    h->setPageStep(std::max(1, columns()));
}

int OutputView::columns() const
{
    return std::max(1, viewport()->width() / m_charWidth);
}

int OutputView::rows() const
{
    return std::max(1, viewport()->height() / m_lineHeight);
}

void OutputView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    const bool follow = m_follow;
    updateScrollBars();
    if (follow)
        verticalScrollBar()->setValue(verticalScrollBar()->maximum());
    Q_EMIT sizeInCharactersChanged(columns(), rows());
}

void OutputView::scrollContentsBy(int, int)
{
    viewport()->update();
}

int OutputView::effectiveFg(int fg) const
{
    return fg == DefaultColor ? m_defaultFg : fg;
}

int OutputView::effectiveBg(int bg) const
{
    return bg == DefaultColor ? m_defaultBg : bg;
}

void OutputView::paintEvent(QPaintEvent *)
{
    QPainter p(viewport());
    p.setFont(font());
    p.fillRect(viewport()->rect(), color(m_defaultBg));
    const qsizetype first = verticalScrollBar()->value();
    const qsizetype firstColumn = horizontalScrollBar()->value();
    const qsizetype visibleColumns = columns() + 2;
    const int x0 = 0;
    const Pos selFrom = std::min(m_anchor, m_cursor);
    const Pos selTo = std::max(m_anchor, m_cursor);
    const bool selection = hasSelection();
    QColor highlight = palette().color(QPalette::Highlight);
    highlight.setAlpha(170);
    const QColor findColor(0x80, 0x60, 0x00, 200);

    auto columnX = [&](qsizetype column) { return x0 + static_cast<int>((column - firstColumn) * m_charWidth); };

    for (qsizetype row = 0; row <= rows(); ++row) {
        const qsizetype index = first + row;
        if (index >= lineCount())
            break;
        const Line &line = m_lines[static_cast<size_t>(index)];
        const int y = static_cast<int>(row) * m_lineHeight;
        const qsizetype lastColumn = firstColumn + visibleColumns;
        for (const Span &s : line.spans) {
            if (s.bg == DefaultColor || s.start + s.length < firstColumn || s.start > lastColumn)
                continue;
            p.fillRect(QRect(columnX(s.start), y, s.length * m_charWidth, m_lineHeight), color(s.bg));
        }
        if (!m_findText.isEmpty()) {
            qsizetype at = line.text.indexOf(m_findText, 0, Qt::CaseInsensitive);
            while (at >= 0) {
                p.fillRect(QRect(columnX(at), y, static_cast<int>(m_findText.size()) * m_charWidth, m_lineHeight), findColor);
                at = line.text.indexOf(m_findText, at + m_findText.size(), Qt::CaseInsensitive);
            }
        }
        const qint64 absolute = m_dropped + index;
        if (selection && absolute >= selFrom.line && absolute <= selTo.line) {
            const qsizetype from = absolute == selFrom.line ? selFrom.column : 0;
            const qsizetype to = absolute == selTo.line ? selTo.column : line.text.size() + 1;
            if (to > from)
                p.fillRect(QRect(columnX(from), y, static_cast<int>(to - from) * m_charWidth, m_lineHeight), highlight);
        }
        for (const Span &s : line.spans) {
            const qsizetype from = std::max<qsizetype>(s.start, firstColumn);
            const qsizetype to = std::min<qsizetype>(s.start + s.length, lastColumn);
            if (to <= from)
                continue;
            p.setPen(color(effectiveFg(s.fg)));
            p.drawText(columnX(from), y + m_ascent, line.text.mid(from, to - from));
        }
    }
}

OutputView::Pos OutputView::posAt(const QPoint &point) const
{
    const qsizetype row = std::max(0, point.y()) / m_lineHeight;
    qsizetype index = std::min<qsizetype>(verticalScrollBar()->value() + row, std::max<qsizetype>(0, lineCount() - 1));
    const qsizetype column = horizontalScrollBar()->value() + (std::max(0, point.x()) + m_charWidth / 2) / m_charWidth;
    const qsizetype length = index < lineCount() ? m_lines[static_cast<size_t>(index)].text.size() : 0;
    return Pos{m_dropped + index, std::min(column, length)};
}

void OutputView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton) {
        QAbstractScrollArea::mousePressEvent(event);
        return;
    }
    m_anchor = m_cursor = posAt(event->position().toPoint());
    m_selecting = true;
    viewport()->update();
    Q_EMIT selectionChanged();
}

void OutputView::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_selecting)
        return;
    const QPoint pt = event->position().toPoint();
    if (pt.y() < 0)
        verticalScrollBar()->setValue(verticalScrollBar()->value() - 1);
    else if (pt.y() > viewport()->height())
        verticalScrollBar()->setValue(verticalScrollBar()->value() + 1);
    m_cursor = posAt(pt);
    viewport()->update();
    Q_EMIT selectionChanged();
}

void OutputView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton && m_selecting) {
        m_selecting = false;
        m_cursor = posAt(event->position().toPoint());
        if (hasSelection() && QApplication::clipboard()->supportsSelection())
            QApplication::clipboard()->setText(selectedText(), QClipboard::Selection);
        viewport()->update();
        Q_EMIT selectionChanged();
    }
}

void OutputView::mouseDoubleClickEvent(QMouseEvent *event)
{
    const Pos at = posAt(event->position().toPoint());
    const qsizetype index = at.line - m_dropped;
    if (index < 0 || index >= lineCount())
        return;
    const QString &t = m_lines[static_cast<size_t>(index)].text;
    auto isWord = [&](qsizetype i) { return i >= 0 && i < t.size() && !t.at(i).isSpace(); };
    qsizetype from = at.column;
    qsizetype to = at.column;
    while (isWord(from - 1))
        --from;
    while (isWord(to))
        ++to;
    m_anchor = Pos{at.line, from};
    m_cursor = Pos{at.line, to};
    viewport()->update();
    Q_EMIT selectionChanged();
}

void OutputView::keyPressEvent(QKeyEvent *event)
{
    if (event->matches(QKeySequence::Copy)) {
        copy();
        return;
    }
    if (event->matches(QKeySequence::SelectAll)) {
        selectAll();
        return;
    }
    QAbstractScrollArea::keyPressEvent(event);
}

bool OutputView::hasSelection() const
{
    return m_anchor != m_cursor && std::max(m_anchor, m_cursor).line >= m_dropped;
}

QString OutputView::selectedText() const
{
    if (!hasSelection())
        return {};
    Pos from = std::min(m_anchor, m_cursor);
    const Pos to = std::max(m_anchor, m_cursor);
    if (from.line < m_dropped)
        from = Pos{m_dropped, 0};
    QStringList out;
    for (qint64 l = from.line; l <= to.line && l - m_dropped < lineCount(); ++l) {
        const QString &t = m_lines[static_cast<size_t>(l - m_dropped)].text;
        const qsizetype a = l == from.line ? std::min(from.column, t.size()) : 0;
        const qsizetype b = l == to.line ? std::min(to.column, t.size()) : t.size();
        out.append(t.mid(a, b - a));
    }
    return out.join(u'\n');
}

void OutputView::selectAll()
{
    if (m_lines.empty())
        return;
    m_anchor = Pos{m_dropped, 0};
    m_cursor = Pos{m_dropped + lineCount() - 1, m_lines.back().text.size()};
    viewport()->update();
    Q_EMIT selectionChanged();
}

void OutputView::clearSelection()
{
    m_anchor = m_cursor = Pos{};
    viewport()->update();
    Q_EMIT selectionChanged();
}

void OutputView::copy() const
{
    if (hasSelection())
        QApplication::clipboard()->setText(selectedText());
}

bool OutputView::find(const QString &text, bool backward)
{
    if (text != m_findText) {
        m_findText = text;
        viewport()->update();
    }
    if (text.isEmpty() || m_lines.empty())
        return false;
    const qsizetype count = lineCount();
    // Start after (or before) the current match, or from the end when there is none.
    Pos start = backward ? Pos{m_dropped + count - 1, m_lines.back().text.size()} : Pos{m_dropped, 0};
    if (hasSelection())
        start = backward ? std::min(m_anchor, m_cursor) : std::max(m_anchor, m_cursor);
    qsizetype index = std::clamp<qsizetype>(start.line - m_dropped, 0, count - 1);
    qsizetype column = start.column;
    for (qsizetype n = 0; n <= count; ++n) {
        const QString &t = m_lines[static_cast<size_t>(index)].text;
        qsizetype at = -1;
        if (backward) {
            const qsizetype from = column - text.size();
            at = from < 0 ? -1 : t.lastIndexOf(text, from, Qt::CaseInsensitive);
        } else {
            at = t.indexOf(text, column, Qt::CaseInsensitive);
        }
        if (at >= 0) {
            m_anchor = Pos{m_dropped + index, at};
            m_cursor = Pos{m_dropped + index, at + text.size()};
            scrollToLine(m_dropped + index);
            viewport()->update();
            Q_EMIT selectionChanged();
            return true;
        }
        if (backward) {
            index = index == 0 ? count - 1 : index - 1;
            column = m_lines[static_cast<size_t>(index)].text.size();
        } else {
            index = index + 1 == count ? 0 : index + 1;
            column = 0;
        }
    }
    return false;
}

void OutputView::clearFind()
{
    m_findText.clear();
    viewport()->update();
}

void OutputView::scrollToLine(qint64 absoluteLine)
{
    updateScrollBars();
    const qsizetype index = absoluteLine - m_dropped;
    QScrollBar *v = verticalScrollBar();
    if (index < v->value() || index >= v->value() + rows())
        v->setValue(static_cast<int>(std::max<qsizetype>(0, index - rows() / 2)));
}

void OutputView::setBaseFont(const QFont &font)
{
    m_baseFont = font;
    m_baseFont.setStyleHint(QFont::Monospace);
    m_baseFont.setFixedPitch(true);
    m_zoom = 0;
    setFont(m_baseFont);
    updateMetrics();
}

void OutputView::zoomIn()
{
    if (m_zoom >= MaximumZoom)
        return;
    ++m_zoom;
    QFont f = m_baseFont;
    f.setPointSizeF(m_baseFont.pointSizeF() + m_zoom);
    setFont(f);
    updateMetrics();
}

void OutputView::zoomOut()
{
    if (m_baseFont.pointSizeF() + m_zoom - 1 < MinimumPointSize)
        return;
    --m_zoom;
    QFont f = m_baseFont;
    f.setPointSizeF(m_baseFont.pointSizeF() + m_zoom);
    setFont(f);
    updateMetrics();
}

void OutputView::resetZoom()
{
    m_zoom = 0;
    setFont(m_baseFont);
    updateMetrics();
}

} // namespace Gui
