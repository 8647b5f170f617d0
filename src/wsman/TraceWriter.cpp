#include "wsman/TraceWriter.h"

#include "psrp/Fragment.h"
#include "psrp/Message.h"
#include "wsman/Envelope.h"

#include <QJsonDocument>
#include <QJsonObject>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

using namespace Qt::Literals::StringLiterals;

namespace Wsman {

namespace {

// MS-PSRP / dossier 2.1: the elements whose text is base64 fragments.
bool isPayload(const XmlNode &node)
{
    if (node.ns == Ns::PowerShell)
        return node.name == u"creationXml" || node.name == u"connectXml" || node.name == u"connectResponseXml";
    if (node.ns == Ns::Shell)
        return node.name == u"Arguments" || node.name == u"Stream";
    return false;
}

void collectPayloads(const XmlNode &node, QList<const XmlNode *> &out)
{
    for (const XmlNode &child : node.children) {
        if (isPayload(child))
            out.append(&child);
        else
            collectPayloads(child, out);
    }
}

} // namespace

SecureStringMasker::SecureStringMasker(qsizetype maxMessageSize) : m_maxMessageSize(maxMessageSize) {}

QByteArray SecureStringMasker::maskMessage(const QByteArray &message, int *masked)
{
    if (message.size() <= Psrp::MessageHeaderSize || !message.contains("<SS"))
        return message;
    QByteArray out = message.left(Psrp::MessageHeaderSize);
    qsizetype pos = Psrp::MessageHeaderSize;
    int count = 0;
    while (pos < message.size()) {
        const qsizetype open = message.indexOf("<SS", pos);
        if (open < 0)
            break;
        const qsizetype after = open + 3;
        if (after >= message.size())
            break;
        const char next = message.at(after);
        if (next != '>' && next != ' ' && next != '\t' && next != '\r' && next != '\n') {
            out += message.mid(pos, after - pos);
            pos = after;
            continue;
        }
        const qsizetype tagEnd = message.indexOf('>', after);
        if (tagEnd < 0)
            break;
        out += message.mid(pos, tagEnd + 1 - pos);
        pos = tagEnd + 1;
        if (message.at(tagEnd - 1) == '/')
            continue; // <SS ... /> holds nothing
        const qsizetype close = message.indexOf("</SS>", pos);
        // An unterminated SS: drop the rest rather than write it.
        out += QByteArrayView(Marker.data(), Marker.size());
        ++count;
        if (close < 0) {
            pos = message.size();
            break;
        }
        pos = close;
    }
    if (pos < message.size())
        out += message.mid(pos);
    if (masked)
        *masked += count;
    return out;
}

QByteArray SecureStringMasker::maskPayload(LegDirection direction, const QByteArray &payload)
{
    auto &pending = m_pending[direction == LegDirection::Request ? 0 : 1];
    auto fragments = Psrp::parseFragments(payload);
    if (!fragments)
        return {};
    QByteArray out;
    for (Psrp::Fragment &fragment : fragments.value()) {
        auto it = pending.find(fragment.objectId);
        if (fragment.start) {
            it = pending.insert_or_assign(fragment.objectId, std::move(fragment.blob)).first;
        } else if (it == pending.end()) {
            continue; // a continuation without its start: nothing safe to write
        } else if (it->second.size() + fragment.blob.size() > m_maxMessageSize) {
            pending.erase(it);
            continue;
        } else {
            it->second += fragment.blob;
        }
        if (!fragment.end)
            continue;
        const QByteArray message = maskMessage(it->second, &m_masked);
        pending.erase(it);
        Psrp::Fragment whole;
        whole.objectId = fragment.objectId;
        whole.fragmentId = 0;
        whole.start = true;
        whole.end = true;
        whole.blob = message;
        out += Psrp::encodeFragment(whole);
    }
    return out;
}

QString SecureStringMasker::maskLeg(LegDirection direction, const QString &body)
{
    auto root = parseXml(body.toUtf8());
    if (!root)
        return u"<!-- psremote: body withheld from the trace, not well-formed XML -->"_s;
    QList<const XmlNode *> payloads;
    collectPayloads(*root, payloads);
    QString out;
    qsizetype pos = 0;
    for (const XmlNode *node : payloads) {
        const qsizetype at = node->text.isEmpty() ? -1 : body.indexOf(node->text, pos);
        if (at < 0)
            continue;
        auto decoded = decodeBase64Text(node->text, node->name);
        const QByteArray masked = decoded ? maskPayload(direction, decoded.value()) : QByteArray();
        out += QStringView(body).mid(pos, at - pos);
        out += QString::fromLatin1(masked.toBase64());
        pos = at + node->text.size();
    }
    out += QStringView(body).mid(pos);
    return out;
}

TraceWriter::~TraceWriter()
{
    close();
}

bool TraceWriter::open(const QString &path, QString *error)
{
    close();
#ifdef Q_OS_UNIX
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (error)
            *error = u"cannot create %1: %2"_s.arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    struct stat info {};
    // An existing file keeps its mode under O_CREAT: narrow it before anything is written.
    if (::fstat(fd, &info) == 0 && (info.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0) {
        if (error)
            *error = u"cannot restrict the mode of %1 to 0600"_s.arg(path);
        ::close(fd);
        return false;
    }
    if (!m_file.open(fd, QIODevice::WriteOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        if (error)
            *error = m_file.errorString();
        return false;
    }
#else
    m_file.setFileName(path);
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error)
            *error = m_file.errorString();
        return false;
    }
    m_file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
#endif
    m_masker = SecureStringMasker();
    return true;
}

void TraceWriter::close()
{
    if (m_file.isOpen()) {
        m_file.flush();
        m_file.close();
    }
}

QByteArray TraceWriter::jsonLine(LegDirection direction, const QString &body)
{
    QJsonObject object;
    object.insert(u"direction"_s, legDirectionName(direction));
    object.insert(u"body"_s, body);
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

bool TraceWriter::write(LegDirection direction, QByteArrayView body)
{
    if (!m_file.isOpen())
        return false;
    const QString masked = m_masker.maskLeg(direction, decodeBody(body));
    const QByteArray line = jsonLine(direction, masked) + '\n';
    const bool ok = m_file.write(line) == line.size();
    m_file.flush();
    return ok;
}

} // namespace Wsman
