#pragma once

#include <QString>

#include <gtest/gtest.h>

namespace TestSupport {

// The steering repository's shared/ folder beside the source tree (found from the source
// directory compiled in, never from the working directory). Empty when it is absent, as in a
// user's own clone.
QString sharedDir();
// sharedDir() + "/transcripts/windows", or empty.
QString windowsTranscriptsDir();
// Reads a file whole; an empty array when it cannot be read.
QByteArray readFile(const QString &path);

} // namespace TestSupport

// Skips the current test with a message when ../shared is absent.
#define PSREMOTE_REQUIRE_SHARED()                                                                  \
    do {                                                                                           \
        if (::TestSupport::sharedDir().isEmpty())                                                  \
            GTEST_SKIP() << "../shared is absent beside the source tree: the tests on real "      \
                            "Windows recordings are skipped";                                      \
    } while (false)
