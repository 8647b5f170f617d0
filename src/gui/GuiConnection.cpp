#include "gui/GuiConnection.h"

#include "credentials/CredentialStore.h"
#include "gui/ConsoleTab.h"
#include "wsman/AuthenticatorFactories.h"
#include "wsman/CertificateAuthenticator.h"
#include "wsman/CertificateStore.h"
#include "wsman/TrustedHosts.h"

#include <QCheckBox>
#include <QInputDialog>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>

#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

QString cultureName(const QString &localeName)
{
    QString name = localeName;
    name.replace(u'_', u'-');
    if (name.isEmpty() || name == u"C")
        return u"en-US"_s;
    return name;
}

} // namespace

std::pair<QString, QString> culturesFor(const SavedHost &host, const QLocale &locale)
{
    const QString local = cultureName(locale.name());
    const QStringList uiLanguages = locale.uiLanguages();
    QString uiLocal = local;
    for (const QString &language : uiLanguages) {
        // "de-DE", not "de-Latn-DE": .NET culture names carry no script for these.
        if (language.count(u'-') + language.count(u'_') == 1) {
            uiLocal = cultureName(language);
            break;
        }
    }
    return {host.culture.value_or(local), host.uiCulture.value_or(uiLocal)};
}

ConnectionSummary summarize(const Wsman::ClientOptions &options, const Wsman::ConnectionTarget &target)
{
    ConnectionSummary s;
    s.culture = options.sessionOption.culture;
    s.uiCulture = options.sessionOption.uiCulture;
    s.transport = u"%1 %2:%3"_s.arg(target.useSsl ? u"HTTPS"_s : u"HTTP"_s, target.host).arg(target.port);
    s.authentication = options.clientCertificate || !options.connection.certificateThumbprint.isEmpty()
                           ? u"certificate"_s
                           : Wsman::authenticationMechanismName(options.connection.authentication);
    if (target.useSsl) {
        s.encryption = GuiConnection::tr("Encrypted (TLS)");
    } else if (options.sessionOption.noEncryption) {
        s.encryption = GuiConnection::tr("NOT encrypted (NoEncryption)");
        s.encrypted = false;
    } else if (options.connection.authentication == Wsman::AuthenticationMechanism::Basic
               || options.connection.authentication == Wsman::AuthenticationMechanism::Digest) {
        s.encryption = GuiConnection::tr("NOT encrypted (%1 over HTTP)")
                           .arg(Wsman::authenticationMechanismName(options.connection.authentication));
        s.encrypted = false;
    } else {
        s.encryption = GuiConnection::tr("Encrypted (message encryption)");
    }
    return s;
}

GuiConnection::GuiConnection(ConnectionRequest request, Credentials::CredentialStore *credentials, ConsoleTab *tab,
                             QWidget *dialogParent)
    : QObject(tab), m_request(std::move(request)), m_credentials(credentials), m_tab(tab), m_dialogParent(dialogParent)
{
}

GuiConnection::~GuiConnection() = default;

void GuiConnection::start()
{
    const SavedHost &h = m_request.host;
    const auto target = h.connection.resolve();
    if (!target) {
        cancel(tr("The connection parameters are not valid: %1").arg(target.error().detail));
        return;
    }
    m_target = target.value();
    m_options.connection = h.connection;
    m_options.sessionOption = h.sessionOption;
    const auto [culture, uiCulture] = culturesFor(h, QLocale());
    m_options.sessionOption.culture = culture;
    m_options.sessionOption.uiCulture = uiCulture;
    m_options.tracePath = m_request.traceFile;
    if (m_request.password)
        m_password = Wsman::Secret::fromUtf8(m_request.password->utf8());
    stepCertificate();
}

void GuiConnection::cancel(const QString &why)
{
    m_password.clear();
    Q_EMIT cancelled(why);
    deleteLater();
}

void GuiConnection::askYesNo(const QString &title, const QString &text, const QString &yes,
                             std::function<void()> onYes, const QString &noReason)
{
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::NoButton, m_dialogParent);
    box->setObjectName(u"consentDialog"_s);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *yesButton = box->addButton(yes, QMessageBox::AcceptRole);
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(QMessageBox::Cancel);
    connect(box, &QMessageBox::finished, this, [this, box, yesButton, onYes = std::move(onYes), noReason](int) {
        if (box->clickedButton() == yesButton)
            onYes();
        else
            cancel(noReason);
    });
    box->open();
}

// MS-WSMV / dossier 3.7: -CertificateThumbprint; the key's passphrase from the keychain first.
void GuiConnection::stepCertificate()
{
    const QString thumbprint = m_request.host.connection.certificateThumbprint;
    if (thumbprint.isEmpty()) {
        stepTrustedHosts();
        return;
    }
    const std::optional<Wsman::StoredCertificate> stored = Wsman::CertificateStore().find(thumbprint);
    if (!stored) {
        cancel(tr("No certificate %1 in the certificate store; import it with `psremote-cli certificate import FILE`.")
                   .arg(thumbprint));
        return;
    }
    if (!stored->encryptedKey) {
        loadCertificate(Wsman::Secret());
        return;
    }
    const std::optional<QString> key = Credentials::CredentialStore::certificatePassphraseKey(thumbprint);
    if (!m_credentials || !key) {
        stepCertificatePassphrase({});
        return;
    }
    m_credentials->read(*key, this, [this](Credentials::ReadResult result) {
        if (result) {
            loadCertificate(result.secret());
            return;
        }
        stepCertificatePassphrase(result.error().kind == Credentials::ErrorKind::NotFound ? QString()
                                                                                          : result.error().message);
    });
}

void GuiConnection::stepCertificatePassphrase(const QString &keychainMessage)
{
    auto *dialog = new QInputDialog(m_dialogParent);
    dialog->setObjectName(u"passphraseDialog"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Certificate Passphrase"));
    QString label = tr("Passphrase for the private key of the certificate %1:").arg(m_request.host.connection.certificateThumbprint);
    if (!keychainMessage.isEmpty())
        label = tr("The keychain could not be used: %1").arg(keychainMessage) + u"\n\n"_s + label;
    dialog->setLabelText(label);
    dialog->setTextEchoMode(QLineEdit::Password);
    connect(dialog, &QInputDialog::finished, this, [this, dialog](int result) {
        if (result != QDialog::Accepted) {
            cancel(tr("Cancelled: no passphrase for the certificate."));
            return;
        }
        Wsman::Secret passphrase(dialog->textValue());
        dialog->setTextValue(QString());
        loadCertificate(passphrase, true);
    });
    dialog->open();
}

void GuiConnection::loadCertificate(const Wsman::Secret &passphrase, bool typed)
{
    auto loaded = Wsman::CertificateStore().load(m_request.host.connection.certificateThumbprint, passphrase);
    if (!loaded) {
        cancel(loaded.error().code == Wsman::CertificateStoreErrorCode::WrongPassphrase
                   ? tr("The passphrase does not open the key of the certificate %1.")
                         .arg(m_request.host.connection.certificateThumbprint)
                   : tr("The certificate cannot be loaded: %1").arg(loaded.error().detail));
        return;
    }
    m_options.clientCertificate = std::move(loaded).value();
    // The passphrase opened the key, so it is right: remembered now, not after the session opens.
    const std::optional<QString> key =
        Credentials::CredentialStore::certificatePassphraseKey(m_request.host.connection.certificateThumbprint);
    if (typed && m_credentials && key && m_request.host.rememberPassword && !passphrase.isEmpty()) {
        m_credentials->write(*key, passphrase, this, [this](Credentials::DoneResult done) {
            Q_EMIT passwordStored(!done.has_value(), done ? done->message : QString());
        });
    }
    stepTrustedHosts();
}

// about_Remote_Troubleshooting: HTTPS or TrustedHosts unless Kerberos (wsman/TrustedHosts.h).
void GuiConnection::stepTrustedHosts()
{
    Wsman::TrustedHosts trusted = Wsman::TrustedHosts::load();
    for (const QString &pattern : std::as_const(m_request.trustedHosts))
        trusted.add(pattern);
    const Wsman::AuthenticationMechanism mechanism = m_request.host.connection.authentication;
    if (!m_request.host.connection.certificateThumbprint.isEmpty()
        || !Wsman::needsTrustedHostConsent(mechanism, m_target, trusted)) {
        stepDelegation();
        return;
    }
    const QString host = m_target.host;
    const bool ip = Wsman::TrustedHosts::isIpAddress(host);
    const QString what = mechanism == Wsman::AuthenticationMechanism::Basic
                             ? tr("your password in clear text")
                             : tr("an NTLM response that can be cracked offline to recover your password");
    QString text = (ip ? tr("The IP address %1 is not in your TrustedHosts list and the connection is plain HTTP.")
                       : tr("The computer %1 is not in your TrustedHosts list and the connection is plain HTTP."))
                       .arg(host)
                   + u"\n"_s
                   + (ip ? tr("Over HTTP the server cannot be authenticated (Kerberos cannot be used with an IP address):")
                         : tr("Over HTTP the server cannot be authenticated:"))
                   + u" "_s + tr("whoever answers at %1 receives %2.").arg(host, what) + u"\n\n"_s
                   + tr("Use HTTPS (UseSSL), or Kerberos with the computer's DNS name, or, if you trust the network "
                        "path to %1, send the credentials anyway. Settings > Trusted hosts keeps the consent.")
                         .arg(host);
    askYesNo(tr("Send Credentials?"), text, tr("&Send anyway"), [this] { stepDelegation(); },
             tr("Not connecting to %1: no consent to send the credentials over HTTP.").arg(host));
}

void GuiConnection::stepDelegation()
{
    if (m_request.host.connection.authentication != Wsman::AuthenticationMechanism::CredSsp
        || m_request.allowDelegation) {
        stepPassword();
        return;
    }
    const QString host = m_target.host;
    askYesNo(tr("Delegate Credentials?"),
             tr("CredSSP delegates your password to %1: the server receives it and can use it to reach other "
                "computers as you. Do this only for a server you trust completely.")
                 .arg(host),
             tr("&Delegate"), [this] { stepPassword(); },
             tr("Not connecting to %1: no consent to delegate the credentials.").arg(host));
}

void GuiConnection::stepPassword()
{
    if (!m_target.useSsl && m_options.sessionOption.noEncryption && !Wsman::TrustedHosts::isLoopback(m_target.host))
        Q_EMIT warning(tr("NoEncryption: the session's messages travel unencrypted over HTTP to %1; anyone on the "
                          "network path can read and change them.")
                           .arg(m_target.host));
    if (!Wsman::authenticationNeedsPassword(m_request.host.connection) || !m_password.isEmpty()) {
        m_storePassword = m_request.host.rememberPassword && !m_request.host.id.isEmpty() && !m_password.isEmpty();
        finish();
        return;
    }
    const SavedHost &h = m_request.host;
    if (m_credentials && h.rememberPassword && !h.id.isEmpty() && h.connection.userName) {
        const QString key = Credentials::CredentialStore::hostPasswordKey(h.id, h.connection.userName->toString());
        m_credentials->read(key, this, [this](Credentials::ReadResult result) {
            if (result) {
                m_password = result.takeSecret();
                finish();
                return;
            }
            askPassword(result.error().kind == Credentials::ErrorKind::NotFound ? QString() : result.error().message);
        });
        return;
    }
    askPassword({});
}

void GuiConnection::askPassword(const QString &keychainMessage)
{
    const SavedHost &h = m_request.host;
    auto *dialog = new QInputDialog(m_dialogParent);
    dialog->setObjectName(u"passwordDialog"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Password"));
    QString label = tr("Password for %1 on %2:").arg(h.connection.userName ? h.connection.userName->toString() : QString(),
                                                     m_target.host);
    if (!keychainMessage.isEmpty())
        label = tr("The keychain could not be used: %1").arg(keychainMessage) + u"\n\n"_s + label;
    dialog->setLabelText(label);
    dialog->setTextEchoMode(QLineEdit::Password);
    connect(dialog, &QInputDialog::finished, this, [this, dialog](int result) {
        if (result != QDialog::Accepted) {
            cancel(tr("Cancelled: no password."));
            return;
        }
        m_password = Wsman::Secret(dialog->textValue());
        dialog->setTextValue(QString());
        m_storePassword = m_request.host.rememberPassword && !m_request.host.id.isEmpty();
        finish();
    });
    dialog->open();
}

void GuiConnection::finish()
{
    if (!m_tab) {
        cancel(tr("The tab was closed."));
        return;
    }
    const SavedHost &h = m_request.host;
    Wsman::TrustedHosts trusted = Wsman::TrustedHosts::load();
    for (const QString &pattern : std::as_const(m_request.trustedHosts))
        trusted.add(pattern);
    if (m_options.clientCertificate) {
        m_options.authenticatorFactory = Wsman::certificateAuthenticatorFactory();
    } else {
        m_options.authenticatorFactory = Wsman::authenticatorFactoryFor(h.connection, m_target, m_options.sessionOption,
                                                                        Wsman::Secret::fromUtf8(m_password.utf8()));
        m_options.redirectAuthenticator = Wsman::redirectAuthenticatorFor(
            h.connection, m_options.sessionOption, trusted, Wsman::Secret::fromUtf8(m_password.utf8()));
    }
    if (m_target.useSsl) {
        const Wsman::CertificateStore store;
        m_options.pinnedSha256 = store.pins(Wsman::CertificateStore::endpointKey(m_target.host, m_target.port));
        if (m_request.pinCertificate && !m_options.pinnedSha256.contains(*m_request.pinCertificate))
            m_options.pinnedSha256.append(*m_request.pinCertificate);
    }
    m_summary = summarize(m_options, m_target);

    Session::EnterOptions enter;
    enter.computerName = m_target.host;
    const QString title = h.name.isEmpty() ? m_target.host : h.name;

    if (m_storePassword && m_credentials && h.connection.userName) {
        // Stored only once the session opened: a mistyped password never lands in the keychain.
        const QString key = Credentials::CredentialStore::hostPasswordKey(h.id, h.connection.userName->toString());
        connect(m_tab, &ConsoleTab::stateChanged, this, [this, key](Session::SessionState state) {
            if (state == Session::SessionState::Ready && !m_password.isEmpty()) {
                m_credentials->write(key, m_password, this, [this](Credentials::DoneResult done) {
                    Q_EMIT passwordStored(!done.has_value(), done ? done->message : QString());
                    deleteLater();
                });
                m_password.clear();
            } else if (state == Session::SessionState::Closed || state == Session::SessionState::Broken) {
                m_password.clear();
                deleteLater();
            }
        });
    } else {
        m_password.clear();
        deleteLater();
    }
    m_tab->start(std::move(m_options), enter, title);
    Q_EMIT started(m_summary);
}

} // namespace Gui
