#include "wsman/Secret.h"

#include <QByteArray>

#include <openssl/crypto.h>

#include <cstring>

namespace Wsman {

Secret::Secret(QStringView text)
{
    QByteArray bytes = text.toUtf8();
    *this = fromUtf8(bytes);
    OPENSSL_cleanse(bytes.data(), size_t(bytes.size()));
}

Secret Secret::fromUtf8(QByteArrayView bytes)
{
    Secret s;
    if (!bytes.isEmpty()) {
        s.m_data = std::make_unique<char[]>(size_t(bytes.size()));
        std::memcpy(s.m_data.get(), bytes.data(), size_t(bytes.size()));
        s.m_size = bytes.size();
    }
    return s;
}

Secret::~Secret()
{
    clear();
}

Secret::Secret(Secret &&other) noexcept : m_data(std::move(other.m_data)), m_size(other.m_size)
{
    other.m_size = 0;
}

Secret &Secret::operator=(Secret &&other) noexcept
{
    if (this != &other) {
        clear();
        m_data = std::move(other.m_data);
        m_size = other.m_size;
        other.m_size = 0;
    }
    return *this;
}

void Secret::clear()
{
    if (m_data)
        OPENSSL_cleanse(m_data.get(), size_t(m_size));
    m_data.reset();
    m_size = 0;
}

} // namespace Wsman
