#pragma once

#include <QByteArray>
#include <QDialog>
#include <QList>
#include <QSslCertificate>
#include <QSslError>

namespace Gui {

// Shows the server certificate a TLS connection refused (subject, issuer, validity, SHA-256 and
// why it was refused). An unknown certificate may be trusted on first use: "Trust and connect"
// accepts the dialog, the caller pins it. A certificate that does not match the endpoint's pin
// is shown as a warning with no way to accept it here (as psremote-cli refuses it). A child of
// the main window, deleted on close.
class CertificateDialog : public QDialog {
    Q_OBJECT
public:
    CertificateDialog(const QString &endpoint, const QSslCertificate &certificate, const QList<QSslError> &errors,
                      bool pinMismatch, QWidget *parent = nullptr);

    QByteArray sha256() const { return m_sha256; }
    bool isPinMismatch() const { return m_pinMismatch; }

    // "CN=..., O=..." of a certificate's subject or issuer.
    static QString distinguishedName(const QSslCertificate &certificate, bool issuer);

private:
    QByteArray m_sha256;
    bool m_pinMismatch;
};

} // namespace Gui
