// GoogleTest entry point for library and CLI tests: a QCoreApplication, never QApplication, so
// these suites build and run with -DPSREMOTE_GUI=OFF and without a display.
#include <QCoreApplication>

#include <gtest/gtest.h>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
