#pragma once

namespace Auth {
} // namespace Auth
