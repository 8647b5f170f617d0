#include "ShellEngine.h"

#include "psrp/Fragment.h"

namespace TestServer {

QString ShellEngine::connectPool(const QByteArray &connectXml, QByteArray *response)
{
    Q_UNUSED(connectXml);
    Q_UNUSED(response);
    return QStringLiteral("this engine cannot connect a runspace pool to a new client");
}

bool ShellEngine::hasOutput(const QString &target) const
{
    const auto it = m_out.constFind(target);
    return it != m_out.cend() && !it->empty();
}

void ShellEngine::enqueue(const QString &target, const QByteArray &fragments)
{
    if (fragments.isEmpty())
        return;
    m_out[target].push_back(fragments);
    Q_EMIT outputAvailable();
}

QList<QByteArray> ShellEngine::takeOutput(const QString &target, qsizetype maxBytes)
{
    QList<QByteArray> result;
    auto it = m_out.find(target);
    if (it == m_out.end())
        return result;
    auto &queue = *it;
    qsizetype used = 0;
    while (!queue.empty()) {
        QByteArray &front = queue.front();
        if (used + front.size() <= maxBytes) {
            used += front.size();
            result.append(std::move(front));
            queue.pop_front();
            continue;
        }
        // MS-PSRP 2.2.4: split only between whole fragments.
        const auto fragments = Psrp::parseFragments(front);
        if (!fragments.ok() || fragments->size() < 2) {
            if (result.isEmpty()) {
                result.append(std::move(front));
                queue.pop_front();
            }
            break;
        }
        QByteArray head;
        qsizetype consumed = 0;
        for (const auto &f : *fragments) {
            const qsizetype size = Psrp::FragmentHeaderSize + f.blob.size();
            if (used + head.size() + size > maxBytes && !(result.isEmpty() && head.isEmpty()))
                break;
            head += front.mid(consumed, size);
            consumed += size;
        }
        if (!head.isEmpty()) {
            result.append(head);
            front.remove(0, consumed);
            if (front.isEmpty())
                queue.pop_front();
        }
        break;
    }
    if (queue.empty())
        m_out.erase(it);
    return result;
}

} // namespace TestServer
