#include "gui/SettingsDialog.h"

#include "wsman/CertificateStore.h"
#include "wsman/TrustedHosts.h"

#include <QColorDialog>
#include <QDialogButtonBox>
#include <QFontComboBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

ConsoleSettings ConsoleSettings::load()
{
    QSettings settings;
    ConsoleSettings s;
    QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    s.font = settings.value(u"console/font"_s, fixed).value<QFont>();
    s.foreground = QColor(settings.value(u"console/foreground"_s, u"#cccccc"_s).toString());
    s.background = QColor(settings.value(u"console/background"_s, u"#012456"_s).toString());
    s.scrollbackLines = qBound(100, settings.value(u"console/scrollbackLines"_s, 10000).toInt(), 1000000);
    return s;
}

void ConsoleSettings::save() const
{
    QSettings settings;
    settings.setValue(u"console/font"_s, font);
    settings.setValue(u"console/foreground"_s, foreground.name());
    settings.setValue(u"console/background"_s, background.name());
    settings.setValue(u"console/scrollbackLines"_s, scrollbackLines);
}

Wsman::SessionOption SettingsDialog::defaultSessionOption()
{
    Wsman::SessionOption options;
    const QStringList lines = QSettings().value(u"defaults/sessionOptions"_s).toStringList();
    for (const QString &line : lines)
        (void)options.setFromAssignment(line);
    return options;
}

SettingsDialog::SettingsDialog(QWidget *parent) : QDialog(parent)
{
    setObjectName(u"settingsDialog"_s);
    setWindowTitle(tr("Settings"));
    auto *layout = new QVBoxLayout(this);
    auto *pages = new QTabWidget(this);
    layout->addWidget(pages);

    const ConsoleSettings console = ConsoleSettings::load();
    auto *consolePage = new QWidget(pages);
    auto *consoleForm = new QFormLayout(consolePage);
    m_font = new QFontComboBox(consolePage);
    m_font->setFontFilters(QFontComboBox::MonospacedFonts);
    m_font->setCurrentFont(console.font);
    m_fontSize = new QSpinBox(consolePage);
    m_fontSize->setRange(6, 72);
    m_fontSize->setValue(console.font.pointSize() > 0 ? console.font.pointSize() : 10);
    auto *fontLine = new QHBoxLayout;
    fontLine->addWidget(m_font, 1);
    fontLine->addWidget(m_fontSize);
    consoleForm->addRow(tr("&Font:"), fontLine);
    m_foreground = new QPushButton(consolePage);
    m_background = new QPushButton(consolePage);
    setColourButton(m_foreground, console.foreground);
    setColourButton(m_background, console.background);
    for (QPushButton *button : {m_foreground, m_background})
        connect(button, &QPushButton::clicked, this, [this, button] {
            const QColor chosen = QColorDialog::getColor(button->property("colour").value<QColor>(), this);
            if (chosen.isValid())
                setColourButton(button, chosen);
        });
    consoleForm->addRow(tr("&Text colour:"), m_foreground);
    consoleForm->addRow(tr("&Background colour:"), m_background);
    m_scrollback = new QSpinBox(consolePage);
    m_scrollback->setObjectName(u"scrollbackSpin"_s);
    m_scrollback->setRange(100, 1000000);
    m_scrollback->setSingleStep(1000);
    m_scrollback->setValue(console.scrollbackLines);
    m_scrollback->setSuffix(tr(" lines"));
    consoleForm->addRow(tr("&Scrollback:"), m_scrollback);
    pages->addTab(consolePage, tr("Console"));

    auto *defaultsPage = new QWidget(pages);
    auto *defaultsLayout = new QVBoxLayout(defaultsPage);
    auto *defaultsIntro = new QLabel(tr("Session options for new connections, one NAME=VALUE per line (PSSessionOption "
                                        "names, e.g. OperationTimeout=60000). Unlisted options keep PowerShell's "
                                        "defaults."),
                                     defaultsPage);
    defaultsIntro->setWordWrap(true);
    defaultsLayout->addWidget(defaultsIntro);
    m_defaults = new QPlainTextEdit(defaultsPage);
    m_defaults->setObjectName(u"defaultSessionOptionsEdit"_s);
    m_defaults->setPlainText(QSettings().value(u"defaults/sessionOptions"_s).toStringList().join(u'\n'));
    defaultsLayout->addWidget(m_defaults);
    pages->addTab(defaultsPage, tr("Session defaults"));

    auto *trustedPage = new QWidget(pages);
    auto *trustedLayout = new QVBoxLayout(trustedPage);
    auto *trustedIntro = new QLabel(tr("Hosts you accept sending credentials to over plain HTTP although the server "
                                       "cannot be authenticated (WinRM's TrustedHosts; shared with psremote-cli)."),
                                    trustedPage);
    trustedIntro->setWordWrap(true);
    trustedLayout->addWidget(trustedIntro);
    m_trusted = new QListWidget(trustedPage);
    m_trusted->setObjectName(u"trustedHostsList"_s);
    m_trusted->addItems(Wsman::TrustedHosts::load().patterns());
    trustedLayout->addWidget(m_trusted);
    auto *trustedButtons = new QHBoxLayout;
    auto *addTrusted = new QPushButton(tr("&Add..."), trustedPage);
    auto *removeTrusted = new QPushButton(tr("&Remove"), trustedPage);
    trustedButtons->addWidget(addTrusted);
    trustedButtons->addWidget(removeTrusted);
    trustedButtons->addStretch(1);
    trustedLayout->addLayout(trustedButtons);
    connect(addTrusted, &QPushButton::clicked, this, [this] {
        bool ok = false;
        const QString pattern = QInputDialog::getText(this, tr("Trusted Host"),
                                                      tr("Host, IP address or pattern (*.contoso.com, server*, <local>):"),
                                                      QLineEdit::Normal, QString(), &ok)
                                    .trimmed();
        if (!ok || pattern.isEmpty())
            return;
        if (auto problem = Wsman::TrustedHosts::checkPattern(pattern)) {
            m_error->setText(*problem);
            return;
        }
        if (m_trusted->findItems(pattern, Qt::MatchFixedString).isEmpty())
            m_trusted->addItem(pattern);
    });
    connect(removeTrusted, &QPushButton::clicked, this, [this] { delete m_trusted->currentItem(); });
    pages->addTab(trustedPage, tr("Trusted hosts"));

    auto *pinsPage = new QWidget(pages);
    auto *pinsLayout = new QVBoxLayout(pinsPage);
    m_pins = new QTreeWidget(pinsPage);
    m_pins->setObjectName(u"pinsTree"_s);
    m_pins->setHeaderLabels({tr("Endpoint"), tr("SHA-256")});
    const QMap<QString, QList<QByteArray>> pins = Wsman::CertificateStore().allPins();
    for (auto it = pins.begin(); it != pins.end(); ++it)
        for (const QByteArray &digest : it.value())
            new QTreeWidgetItem(m_pins, {it.key(), Wsman::CertificateStore::formatSha256(digest)});
    pinsLayout->addWidget(m_pins);
    auto *removePin = new QPushButton(tr("Re&move pins of this endpoint"), pinsPage);
    connect(removePin, &QPushButton::clicked, this, [this] {
        QTreeWidgetItem *item = m_pins->currentItem();
        if (!item)
            return;
        const QString endpoint = item->text(0);
        m_removedPins.append(endpoint);
        for (int i = m_pins->topLevelItemCount() - 1; i >= 0; --i)
            if (m_pins->topLevelItem(i)->text(0) == endpoint)
                delete m_pins->takeTopLevelItem(i);
    });
    pinsLayout->addWidget(removePin);
    pages->addTab(pinsPage, tr("Pinned certificates"));

    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(u"color: #b00020;"_s);
    layout->addWidget(m_error);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    layout->addWidget(buttons);
}

void SettingsDialog::setColourButton(QPushButton *button, const QColor &colour)
{
    button->setProperty("colour", colour);
    button->setText(colour.name());
    button->setStyleSheet(u"background-color: %1; color: %2;"_s.arg(colour.name(),
                                                                      colour.lightness() > 128 ? u"black"_s : u"white"_s));
}

bool SettingsDialog::validateDefaults(QString *error) const
{
    Wsman::SessionOption probe;
    const QStringList lines = m_defaults->toPlainText().split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        if (auto e = probe.setFromAssignment(line.trimmed())) {
            *error = tr("Session defaults: %1").arg(e->detail);
            return false;
        }
    }
    return true;
}

void SettingsDialog::accept()
{
    QString error;
    if (!validateDefaults(&error)) {
        m_error->setText(error);
        return;
    }
    ConsoleSettings console;
    console.font = m_font->currentFont();
    console.font.setPointSize(m_fontSize->value());
    console.foreground = m_foreground->property("colour").value<QColor>();
    console.background = m_background->property("colour").value<QColor>();
    console.scrollbackLines = m_scrollback->value();
    console.save();
    QStringList lines;
    for (const QString &line : m_defaults->toPlainText().split(u'\n', Qt::SkipEmptyParts))
        lines.append(line.trimmed());
    QSettings().setValue(u"defaults/sessionOptions"_s, lines);

    Wsman::TrustedHosts trusted;
    for (int i = 0; i < m_trusted->count(); ++i)
        trusted.add(m_trusted->item(i)->text());
    if (!trusted.save()) {
        m_error->setText(tr("Cannot write %1").arg(Wsman::sharedSettingsFilePath()));
        return;
    }
    Wsman::CertificateStore store;
    for (const QString &endpoint : std::as_const(m_removedPins))
        store.removePins(endpoint);
    QDialog::accept();
}

} // namespace Gui
