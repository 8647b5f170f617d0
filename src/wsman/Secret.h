#pragma once

#include <QByteArrayView>
#include <QStringView>

#include <memory>

namespace Wsman {

// A secret (password, PIN) as UTF-8 bytes in a buffer of its own, wiped with OPENSSL_cleanse
// when destroyed or cleared. Move-only so no stray copy outlives it; never printed.
class Secret {
public:
    Secret() = default;
    explicit Secret(QStringView text);
    static Secret fromUtf8(QByteArrayView bytes);
    ~Secret();
    Secret(Secret &&other) noexcept;
    Secret &operator=(Secret &&other) noexcept;
    Secret(const Secret &) = delete;
    Secret &operator=(const Secret &) = delete;

    QByteArrayView utf8() const { return {m_data.get(), m_size}; }
    bool isEmpty() const { return m_size == 0; }
    void clear();

private:
    std::unique_ptr<char[]> m_data;
    qsizetype m_size = 0;
};

} // namespace Wsman
