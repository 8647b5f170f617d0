#include "gui/ConnectionDialog.h"

#include "ui_ConnectionDialog.h"

#include "gui/SavedHostStore.h"
#include "gui/SessionOptionFields.h"
#include "wsman/AuthenticatorFactories.h"
#include "wsman/CertificateStore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QUrl>

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

struct MechanismEntry {
    Wsman::AuthenticationMechanism mechanism;
    const char *label;
};

// Enter-PSSession -Authentication values, plus NTLM (PowerShell only reaches it through Negotiate).
constexpr MechanismEntry Mechanisms[] = {
    {Wsman::AuthenticationMechanism::Default, QT_TRANSLATE_NOOP("Gui::ConnectionDialog", "Default (Negotiate)")},
    {Wsman::AuthenticationMechanism::Negotiate, QT_TRANSLATE_NOOP("Gui::ConnectionDialog", "Negotiate (Kerberos, else NTLM)")},
    {Wsman::AuthenticationMechanism::Kerberos, QT_TRANSLATE_NOOP("Gui::ConnectionDialog", "Kerberos")},
    {Wsman::AuthenticationMechanism::NegotiateWithImplicitCredential,
     QT_TRANSLATE_NOOP("Gui::ConnectionDialog", "NegotiateWithImplicitCredential (ticket cache)")},
    {Wsman::AuthenticationMechanism::Ntlm, QT_TRANSLATE_NOOP("Gui::ConnectionDialog", "NTLM")},
    {Wsman::AuthenticationMechanism::Basic, QT_TRANSLATE_NOOP("Gui::ConnectionDialog", "Basic")},
    {Wsman::AuthenticationMechanism::Digest, QT_TRANSLATE_NOOP("Gui::ConnectionDialog", "Digest")},
    {Wsman::AuthenticationMechanism::CredSsp, QT_TRANSLATE_NOOP("Gui::ConnectionDialog", "CredSSP (delegates your password)")},
};

} // namespace

ConnectionDialog::ConnectionDialog(Mode mode, const SavedHostStore *store, QWidget *parent)
    : QDialog(parent), m_ui(std::make_unique<Ui::ConnectionDialog>()), m_mode(mode), m_store(store),
      m_trusted(Wsman::TrustedHosts::load())
{
    m_ui->setupUi(this);
    for (const MechanismEntry &entry : Mechanisms)
        m_ui->authenticationCombo->addItem(tr(entry.label), int(entry.mechanism));
    m_ui->certificateCombo->addItem(tr("(none: authenticate with the credential)"), QString());
    for (const Wsman::StoredCertificate &c : Wsman::CertificateStore().list())
        m_ui->certificateCombo->addItem(u"%1 (%2)"_s.arg(c.name, c.thumbprint), c.thumbprint);
    const QString local = Wsman::SessionOption::systemCultureName();
    m_ui->cultureEdit->setPlaceholderText(tr("%1 (this computer's culture)").arg(local));
    m_ui->uiCultureEdit->setPlaceholderText(tr("%1 (this computer's UI culture)").arg(local));
    if (store) {
        m_ui->folderCombo->addItem(QString());
        m_ui->folderCombo->addItems(store->folders());
    }
    buildSessionOptionsPage();
    // Each form label's mnemonic ("Computer &name:") focuses the field of its row.
    for (QFormLayout *form : findChildren<QFormLayout *>()) {
        for (int row = 0; row < form->rowCount(); ++row) {
            QLayoutItem *label = form->itemAt(row, QFormLayout::LabelRole);
            QLayoutItem *field = form->itemAt(row, QFormLayout::FieldRole);
            auto *text = label ? qobject_cast<QLabel *>(label->widget()) : nullptr;
            QWidget *buddy = field ? field->widget() : nullptr;
            if (buddy && buddy->focusPolicy() == Qt::NoFocus && buddy->layout() && buddy->layout()->count() > 0)
                buddy = buddy->layout()->itemAt(0)->widget(); // a row holding a check box and its note
            if (text && buddy && !text->buddy())
                text->setBuddy(buddy);
        }
    }
    // Wide enough for the longest translated row without a horizontal scroll bar.
    resize(std::max(width(), m_ui->connectionPage->sizeHint().width() + 80), height());

    if (mode == Mode::EditHost) {
        setWindowTitle(tr("Saved Host"));
        m_ui->saveAsHostCheck->setChecked(true);
        m_ui->saveAsHostCheck->hide();
        m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("&Save"));
    } else {
        setWindowTitle(tr("New Connection"));
        m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    }

    const auto update = [this] { updateState(); };
    for (QLineEdit *edit : findChildren<QLineEdit *>())
        connect(edit, &QLineEdit::textChanged, this, update);
    for (QCheckBox *check : findChildren<QCheckBox *>())
        connect(check, &QCheckBox::toggled, this, update);
    for (QComboBox *combo : findChildren<QComboBox *>()) {
        connect(combo, &QComboBox::currentIndexChanged, this, update);
        if (combo->isEditable())
            connect(combo, &QComboBox::editTextChanged, this, update);
    }
    connect(m_ui->portSpin, &QSpinBox::valueChanged, this, update);
    connect(m_ui->byComputerNameRadio, &QRadioButton::toggled, this, update);
    connect(m_ui->applicationArgumentsEdit, &QPlainTextEdit::textChanged, this, update);
    connect(m_ui->buttonBox, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(m_ui->buttonBox, &QDialogButtonBox::rejected, this, &ConnectionDialog::reject);
    updateState();
}

ConnectionDialog::~ConnectionDialog() = default;

void ConnectionDialog::buildSessionOptionsPage()
{
    const Wsman::SessionOption defaults;
    int row = 0;
    for (const SessionOptionField &field : sessionOptionFields()) {
        const QString defaultValue = sessionOptionValue(defaults, field.name);
        QWidget *editor = nullptr;
        switch (field.kind) {
        case SessionOptionKind::Bool: {
            auto *check = new QCheckBox(m_ui->sessionOptionsContents);
            check->setChecked(defaultValue == u"true");
            editor = check;
            break;
        }
        case SessionOptionKind::Choice: {
            auto *combo = new QComboBox(m_ui->sessionOptionsContents);
            combo->addItems(field.choices);
            combo->setCurrentText(defaultValue);
            editor = combo;
            break;
        }
        default: {
            auto *edit = new QLineEdit(defaultValue, m_ui->sessionOptionsContents);
            editor = edit;
            break;
        }
        }
        editor->setObjectName(u"option_"_s + field.name);
        QString unit;
        if (field.kind == SessionOptionKind::Milliseconds)
            unit = tr("ms");
        else if (field.kind == SessionOptionKind::Size)
            unit = tr("bytes or \"unlimited\"");
        auto *line = new QWidget(m_ui->sessionOptionsContents);
        auto *layout = new QHBoxLayout(line);
        layout->setContentsMargins(0, 0, 0, 0);
        layout->addWidget(editor, 1);
        auto *defaultLabel = new QLabel(unit.isEmpty() ? tr("default: %1").arg(defaultValue)
                                                       : tr("%1; default: %2").arg(unit, defaultValue),
                                        line);
        layout->addWidget(defaultLabel);
        m_ui->sessionOptionsForm->insertRow(row, field.name + u':', line);
        if (field.name == u"OutputBufferingMode") {
            auto *note = new QLabel(tr("No effect with this client: the wire form of this setting is undocumented."),
                                    m_ui->sessionOptionsContents);
            note->setObjectName(u"outputBufferingModeNote"_s);
            note->setWordWrap(true);
            m_ui->sessionOptionsForm->insertRow(++row, QString(), note);
        }
        m_optionEditors.insert(field.name, editor);
        ++row;
    }
}

QString ConnectionDialog::sessionOptionText(const QString &name) const
{
    QWidget *editor = m_optionEditors.value(name);
    if (auto *check = qobject_cast<QCheckBox *>(editor))
        return check->isChecked() ? u"true"_s : u"false"_s;
    if (auto *combo = qobject_cast<QComboBox *>(editor))
        return combo->currentText();
    if (auto *edit = qobject_cast<QLineEdit *>(editor))
        return edit->text().trimmed();
    return {};
}

void ConnectionDialog::setHost(const SavedHost &h)
{
    m_id = h.id;
    const Wsman::ConnectionInfo &c = h.connection;
    const bool byUri = c.connectionUri.has_value();
    m_ui->byConnectionUriRadio->setChecked(byUri);
    m_ui->byComputerNameRadio->setChecked(!byUri);
    m_ui->computerNameEdit->setText(c.computerName.value_or(QString()));
    m_ui->portSpin->setValue(c.port.value_or(0));
    m_ui->useSslCheck->setChecked(c.useSsl.value_or(false));
    m_ui->applicationNameEdit->setText(c.applicationName.value_or(QString()));
    m_ui->connectionUriEdit->setText(c.connectionUri.value_or(QString()));
    m_ui->allowRedirectionCheck->setChecked(c.allowRedirection);
    const int mechanism = m_ui->authenticationCombo->findData(int(c.authentication));
    m_ui->authenticationCombo->setCurrentIndex(qMax(0, mechanism));
    m_ui->userNameEdit->setText(c.userName ? c.userName->toString() : QString());
    m_ui->rememberPasswordCheck->setChecked(h.rememberPassword);
    int certificate = m_ui->certificateCombo->findData(c.certificateThumbprint);
    if (certificate < 0) {
        m_ui->certificateCombo->addItem(tr("%1 (not in the certificate store)").arg(c.certificateThumbprint),
                                        c.certificateThumbprint);
        certificate = m_ui->certificateCombo->count() - 1;
    }
    m_ui->certificateCombo->setCurrentIndex(certificate);
    m_ui->configurationNameEdit->setText(c.configurationName);
    m_ui->enableNetworkAccessCheck->setChecked(h.enableNetworkAccess);
    m_ui->cultureEdit->setText(h.culture.value_or(QString()));
    m_ui->uiCultureEdit->setText(h.uiCulture.value_or(QString()));
    for (const SessionOptionField &field : sessionOptionFields()) {
        const QString value = sessionOptionValue(h.sessionOption, field.name);
        QWidget *editor = m_optionEditors.value(field.name);
        if (auto *check = qobject_cast<QCheckBox *>(editor))
            check->setChecked(value == u"true");
        else if (auto *combo = qobject_cast<QComboBox *>(editor))
            combo->setCurrentText(value);
        else if (auto *edit = qobject_cast<QLineEdit *>(editor))
            edit->setText(value);
    }
    m_ui->proxyEdit->setText(h.sessionOption.proxy.isValid() ? h.sessionOption.proxy.toString() : QString());
    QStringList arguments;
    for (const auto &[key, value] : h.sessionOption.applicationArguments)
        arguments.append(key + u'=' + value);
    m_ui->applicationArgumentsEdit->setPlainText(arguments.join(u'\n'));
    m_ui->hostNameEdit->setText(h.name);
    m_ui->folderCombo->setCurrentText(h.folder);
    updateState();
}

SavedHost ConnectionDialog::host() const
{
    SavedHost h;
    h.id = m_id;
    h.name = m_ui->hostNameEdit->text().trimmed();
    h.folder = normalizeFolder(m_ui->folderCombo->currentText());
    Wsman::ConnectionInfo &c = h.connection;
    if (m_ui->byComputerNameRadio->isChecked()) {
        if (!m_ui->computerNameEdit->text().trimmed().isEmpty())
            c.computerName = m_ui->computerNameEdit->text().trimmed();
        if (m_ui->portSpin->value() > 0)
            c.port = m_ui->portSpin->value();
        if (m_ui->useSslCheck->isChecked())
            c.useSsl = true;
        if (!m_ui->applicationNameEdit->text().trimmed().isEmpty())
            c.applicationName = m_ui->applicationNameEdit->text().trimmed();
    } else {
        if (!m_ui->connectionUriEdit->text().trimmed().isEmpty())
            c.connectionUri = m_ui->connectionUriEdit->text().trimmed();
        c.allowRedirection = m_ui->allowRedirectionCheck->isChecked();
    }
    c.authentication = Wsman::AuthenticationMechanism(m_ui->authenticationCombo->currentData().toInt());
    if (auto user = Wsman::UserName::parse(m_ui->userNameEdit->text().trimmed());
        user && !m_ui->userNameEdit->text().trimmed().isEmpty())
        c.userName = user.value();
    c.certificateThumbprint = m_ui->certificateCombo->currentData().toString();
    c.configurationName = m_ui->configurationNameEdit->text().trimmed();
    h.enableNetworkAccess = m_ui->enableNetworkAccessCheck->isChecked();
    h.rememberPassword = m_ui->rememberPasswordCheck->isChecked();
    if (!m_ui->cultureEdit->text().trimmed().isEmpty())
        h.culture = m_ui->cultureEdit->text().trimmed();
    if (!m_ui->uiCultureEdit->text().trimmed().isEmpty())
        h.uiCulture = m_ui->uiCultureEdit->text().trimmed();
    for (const SessionOptionField &field : sessionOptionFields())
        (void)h.sessionOption.setFromString(field.name, sessionOptionText(field.name));
    const QString proxy = m_ui->proxyEdit->text().trimmed();
    if (!proxy.isEmpty())
        h.sessionOption.proxy = QUrl(proxy, QUrl::StrictMode).adjusted(QUrl::StripTrailingSlash);
    const QStringList lines = m_ui->applicationArgumentsEdit->toPlainText().split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines)
        (void)h.sessionOption.setFromString(u"ApplicationArguments", line.trimmed());
    return h;
}

QStringList ConnectionDialog::fieldErrors() const
{
    QStringList errors;
    const QString user = m_ui->userNameEdit->text().trimmed();
    if (!user.isEmpty()) {
        if (auto parsed = Wsman::UserName::parse(user); !parsed)
            errors.append(tr("User name: '%1' is not user, DOMAIN\\user or user@REALM.").arg(user));
    }
    Wsman::SessionOption probe;
    for (const SessionOptionField &field : sessionOptionFields()) {
        if (auto e = probe.setFromString(field.name, sessionOptionText(field.name)))
            errors.append(tr("Session option %1: %2").arg(field.name, e->detail));
    }
    const auto checkCulture = [&](const QString &name, QLineEdit *edit) {
        if (!edit->text().trimmed().isEmpty())
            if (auto e = probe.setFromString(name, edit->text().trimmed()))
                errors.append(tr("%1: '%2' is not a culture name such as en-US.").arg(name, edit->text().trimmed()));
    };
    checkCulture(u"Culture"_s, m_ui->cultureEdit);
    checkCulture(u"UICulture"_s, m_ui->uiCultureEdit);
    const QString proxy = m_ui->proxyEdit->text().trimmed();
    if (!proxy.isEmpty()) {
        const QUrl url(proxy, QUrl::StrictMode);
        if (!url.isValid() || url.scheme().compare(u"http", Qt::CaseInsensitive) != 0 || url.host().isEmpty()
            || !url.userInfo().isEmpty())
            errors.append(tr("Proxy: '%1' is not an http://HOST[:PORT] URL without a user name.").arg(proxy));
    }
    const QStringList lines = m_ui->applicationArgumentsEdit->toPlainText().split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines)
        if (line.trimmed().indexOf(u'=') <= 0)
            errors.append(tr("ApplicationArguments: '%1' is not NAME=VALUE.").arg(line.trimmed()));
    return errors;
}

QStringList ConnectionDialog::validate(const SavedHost &h, const QStringList &fieldErrors, bool saving,
                                       const SavedHostStore *store, const Wsman::TrustedHosts &trusted)
{
    using Wsman::AuthenticationMechanism;
    QStringList errors = fieldErrors;
    const Wsman::ConnectionInfo &c = h.connection;
    const auto target = c.resolve();
    if (!target) {
        const Wsman::ConfigError &e = target.error();
        switch (e.code) {
        case Wsman::ConfigErrorCode::MissingParameter:
            errors.append(tr("Enter a computer name or a connection URI."));
            break;
        case Wsman::ConfigErrorCode::ConflictingParameters:
            errors.append(tr("ConnectionUri cannot be combined with ComputerName, Port, UseSSL or ApplicationName."));
            break;
        case Wsman::ConfigErrorCode::InvalidUri:
            errors.append(tr("The connection URI is not an absolute http:// or https:// URL (%1).").arg(e.detail));
            break;
        default:
            errors.append(tr("The connection parameters are not valid: %1").arg(e.detail));
            break;
        }
    }
    if (c.port && (*c.port < 1 || *c.port > 65535))
        errors.append(tr("The port must be between 1 and 65535."));
    const bool https = target && target->useSsl;
    if (!c.certificateThumbprint.isEmpty()) {
        if (target && !https)
            errors.append(tr("Certificate authentication works over HTTPS only: check UseSSL (or use an https:// URI)."));
        if (c.authentication != AuthenticationMechanism::Default || c.userName)
            errors.append(tr("With a certificate the certificate is the credential: clear the user name and use "
                             "Default authentication."));
    } else if (Wsman::authenticationNeedsPassword(c) && !c.userName) {
        errors.append(tr("%1 authentication needs a credential: enter a user name.")
                          .arg(Wsman::authenticationMechanismName(c.authentication)));
    }
    if (target && Wsman::TrustedHosts::isIpAddress(target->host) && !Wsman::TrustedHosts::isLoopback(target->host)
        && c.certificateThumbprint.isEmpty()) {
        // about_Remote_Troubleshooting: an IP address cannot be authenticated with Kerberos.
        if (!c.userName)
            errors.append(tr("Connecting to an IP address needs an explicit credential."));
        if (!https && !trusted.isTrusted(target->host))
            errors.append(tr("Connecting to an IP address needs HTTPS or a TrustedHosts entry for %1 "
                             "(Settings > Trusted hosts).")
                              .arg(target->host));
    }
    const Wsman::SessionOption &o = h.sessionOption;
    if (!o.proxyCredentialUserName.isEmpty() && !o.proxy.isValid()
        && (o.proxyAccessType == Wsman::ProxyAccessType::None
            || o.proxyAccessType == Wsman::ProxyAccessType::NoProxyServer))
        errors.append(tr("ProxyCredential needs a proxy: a proxy URL or ProxyAccessType IEConfig, WinHttpConfig or "
                         "AutoDetect."));
    if (o.proxy.isValid() && o.proxyAccessType == Wsman::ProxyAccessType::NoProxyServer)
        errors.append(tr("A proxy URL contradicts ProxyAccessType NoProxyServer."));
    if (saving) {
        if (h.name.isEmpty())
            errors.append(tr("Enter a name for the saved host."));
        else if (h.name.contains(u'/'))
            errors.append(tr("A host name cannot contain '/' (use the folder for that)."));
        else if (store && store->nameTaken(h.folder, h.name, h.id))
            errors.append(tr("A saved host named '%1' already exists in this folder.").arg(h.name));
    }
    return errors;
}

QStringList ConnectionDialog::errors() const
{
    return validate(host(), fieldErrors(), saveAsHost(), m_store, m_trusted);
}

bool ConnectionDialog::saveAsHost() const
{
    return m_ui->saveAsHostCheck->isChecked();
}

Wsman::Secret ConnectionDialog::takePassword()
{
    Wsman::Secret secret(m_ui->passwordEdit->text());
    m_ui->passwordEdit->clear();
    return secret;
}

void ConnectionDialog::updateState()
{
    const bool byName = m_ui->byComputerNameRadio->isChecked();
    m_ui->computerNameGroup->setEnabled(byName);
    m_ui->connectionUriGroup->setEnabled(!byName);
    const SavedHost h = host();
    const bool password = Wsman::authenticationNeedsPassword(h.connection);
    m_ui->passwordEdit->setEnabled(password);
    m_ui->rememberPasswordCheck->setEnabled(password && saveAsHost());
    m_ui->hostNameEdit->setEnabled(saveAsHost());
    m_ui->folderCombo->setEnabled(saveAsHost());
    const QStringList problems = errors();
    m_ui->validationLabel->setText(problems.join(u'\n'));
    m_ui->validationLabel->setVisible(!problems.isEmpty());
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setEnabled(problems.isEmpty());
}

void ConnectionDialog::accept()
{
    updateState();
    if (!errors().isEmpty())
        return;
    QDialog::accept();
}

} // namespace Gui
