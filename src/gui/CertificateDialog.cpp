#include "gui/CertificateDialog.h"

#include "wsman/CertificateStore.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Gui {

namespace {

QLabel *selectableLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}

} // namespace

QString CertificateDialog::distinguishedName(const QSslCertificate &certificate, bool issuer)
{
    const QList<QByteArray> attributes = issuer ? certificate.issuerInfoAttributes() : certificate.subjectInfoAttributes();
    QStringList parts;
    for (const QByteArray &attribute : attributes) {
        const QStringList values = issuer ? certificate.issuerInfo(attribute) : certificate.subjectInfo(attribute);
        for (const QString &value : values)
            parts.append(QString::fromLatin1(attribute) + u'=' + value);
    }
    return parts.join(u", "_s);
}

CertificateDialog::CertificateDialog(const QString &endpoint, const QSslCertificate &certificate,
                                     const QList<QSslError> &errors, bool pinMismatch, QWidget *parent)
    : QDialog(parent), m_sha256(certificate.digest(QCryptographicHash::Sha256)), m_pinMismatch(pinMismatch)
{
    setObjectName(u"certificateDialog"_s);
    setWindowTitle(pinMismatch ? tr("Server Certificate Changed") : tr("Untrusted Server Certificate"));
    auto *layout = new QVBoxLayout(this);

    auto *headline = new QLabel(this);
    headline->setObjectName(u"certificateHeadline"_s);
    headline->setTextFormat(Qt::PlainText);
    headline->setWordWrap(true);
    if (pinMismatch) {
        headline->setText(tr("WARNING: the certificate of %1 is not the one you pinned. Someone may be intercepting "
                             "the connection, or the server got a new certificate. Not connecting.")
                              .arg(endpoint));
        headline->setStyleSheet(u"color: #b00020; font-weight: bold;"_s);
    } else {
        QStringList problems;
        for (const QSslError &e : errors)
            problems.append(e.errorString());
        headline->setText(tr("The server %1 presented a certificate this computer does not trust (%2).")
                              .arg(endpoint, problems.isEmpty() ? tr("unknown issuer") : problems.join(u"; "_s)));
    }
    layout->addWidget(headline);

    auto *form = new QFormLayout;
    const QLocale locale;
    form->addRow(tr("Subject:"), selectableLabel(distinguishedName(certificate, false), this));
    form->addRow(tr("Issuer:"), selectableLabel(distinguishedName(certificate, true), this));
    form->addRow(tr("Valid from:"), selectableLabel(locale.toString(certificate.effectiveDate(), QLocale::LongFormat), this));
    form->addRow(tr("Valid until:"), selectableLabel(locale.toString(certificate.expiryDate(), QLocale::LongFormat), this));
    QLabel *digest = selectableLabel(Wsman::CertificateStore::formatSha256(m_sha256), this);
    digest->setObjectName(u"certificateSha256"_s);
    form->addRow(tr("SHA-256:"), digest);
    layout->addLayout(form);

    auto *advice = new QLabel(this);
    advice->setTextFormat(Qt::PlainText);
    advice->setWordWrap(true);
    advice->setText(pinMismatch ? tr("If the server really has a new certificate, check its SHA-256 with the server's "
                                     "administrator, remove the old pin in Settings > Pinned certificates and connect "
                                     "again.")
                                : tr("Compare the SHA-256 with the one the server's administrator gave you. \"Trust and "
                                     "connect\" pins this certificate for %1 from now on.")
                                      .arg(endpoint));
    layout->addWidget(advice);

    auto *buttons = new QDialogButtonBox(this);
    if (pinMismatch) {
        buttons->addButton(QDialogButtonBox::Close);
    } else {
        QPushButton *trust = buttons->addButton(tr("&Trust and connect"), QDialogButtonBox::AcceptRole);
        trust->setObjectName(u"trustCertificate"_s);
        trust->setAutoDefault(false);
        QPushButton *cancel = buttons->addButton(QDialogButtonBox::Cancel);
        cancel->setDefault(true);
    }
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

} // namespace Gui
