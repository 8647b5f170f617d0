# Install rules and CPack configuration, included at the end of the top-level CMakeLists.txt.
# Linux: a Debian package (Depends computed by dpkg-shlibdeps) and a tarball with the
# freedesktop files. Windows (WiX) and macOS (DragNDrop) recipes are written from the CMake and
# CPack documentation and have not been built: no such machine is available to the project yet.
include(GNUInstallDirs)

include(${CMAKE_CURRENT_LIST_DIR}/AppId.cmake)
set(PSREMOTE_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/psremote)
set(PSREMOTE_ICONS ${PROJECT_SOURCE_DIR}/resources/icons)

install(TARGETS psremote-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(PSREMOTE_GUI)
    # Translations are compiled into the executable (:/i18n), nothing to install for them.
    install(TARGETS psremote
            RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
            BUNDLE DESTINATION .)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${PSREMOTE_DOCDIR})

if(UNIX AND NOT APPLE AND PSREMOTE_GUI)
    # freedesktop integration: application menu entry, software centre metadata, hicolor icons.
    install(FILES ${PROJECT_SOURCE_DIR}/resources/${PSREMOTE_APP_ID}.desktop
            DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/applications)
    install(FILES ${PROJECT_SOURCE_DIR}/resources/${PSREMOTE_APP_ID}.metainfo.xml
            DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/metainfo)
    install(FILES ${PSREMOTE_ICONS}/psremote.svg
            DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/icons/hicolor/scalable/apps
            RENAME ${PSREMOTE_APP_ID}.svg)
    foreach(size 16 24 32 48 64 128 256)
        install(FILES ${PSREMOTE_ICONS}/psremote-${size}.png
                DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/icons/hicolor/${size}x${size}/apps
                RENAME ${PSREMOTE_APP_ID}.png)
    endforeach()
endif()

if(UNIX AND NOT APPLE)
    # Man pages are installed gzip-compressed (Debian policy 12.1).
    set(psremote_man ${CMAKE_BINARY_DIR}/installer/psremote-cli.1.gz)
    add_custom_command(OUTPUT ${psremote_man}
        COMMAND ${CMAKE_COMMAND} -DIN=${PROJECT_SOURCE_DIR}/installer/psremote-cli.1 -DOUT=${psremote_man}
                -P ${PROJECT_SOURCE_DIR}/installer/Gzip.cmake
        DEPENDS ${PROJECT_SOURCE_DIR}/installer/psremote-cli.1 ${PROJECT_SOURCE_DIR}/installer/Gzip.cmake
        COMMENT "Compressing the psremote-cli man page" VERBATIM)
    add_custom_target(psremote_man ALL DEPENDS ${psremote_man})
    install(FILES ${psremote_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

if(WIN32)
    # Version resource and icon of both executables.
    set(PSREMOTE_ICO ${PSREMOTE_ICONS}/psremote.ico)
    set(psremote_rc_targets psremote-cli)
    set(PSREMOTE_RC_DESCRIPTION_psremote-cli "PSRemote command-line client")
    if(PSREMOTE_GUI)
        list(APPEND psremote_rc_targets psremote)
        set(PSREMOTE_RC_DESCRIPTION_psremote "PSRemote")
        set_target_properties(psremote PROPERTIES WIN32_EXECUTABLE TRUE)
    endif()
    foreach(target IN LISTS psremote_rc_targets)
        set(PSREMOTE_RC_NAME ${target})
        set(PSREMOTE_RC_DESCRIPTION "${PSREMOTE_RC_DESCRIPTION_${target}}")
        configure_file(${PROJECT_SOURCE_DIR}/installer/windows/version.rc.in
                       ${CMAKE_BINARY_DIR}/installer/${target}.rc @ONLY)
        target_sources(${target} PRIVATE ${CMAKE_BINARY_DIR}/installer/${target}.rc)
    endforeach()

    # The Qt libraries and plugins the GUI needs, next to the executables.
    if(PSREMOTE_GUI)
        find_program(PSREMOTE_WINDEPLOYQT windeployqt HINTS "${QT6_INSTALL_PREFIX}/${QT6_INSTALL_BINS}" REQUIRED)
        install(CODE "
            execute_process(COMMAND \"${PSREMOTE_WINDEPLOYQT}\" --no-compiler-runtime
                                    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/psremote.exe\"
                            COMMAND_ERROR_IS_FATAL ANY)")
    endif()
    include(InstallRequiredSystemLibraries) # the MSVC runtime, instead of windeployqt's
endif()

if(APPLE AND PSREMOTE_GUI)
    set(psremote_icns ${PSREMOTE_ICONS}/psremote.icns)
    target_sources(psremote PRIVATE ${psremote_icns})
    set_source_files_properties(${psremote_icns} TARGET_DIRECTORY psremote
                                PROPERTIES MACOSX_PACKAGE_LOCATION Resources)
    set_target_properties(psremote PROPERTIES
        MACOSX_BUNDLE TRUE
        MACOSX_BUNDLE_INFO_PLIST ${PROJECT_SOURCE_DIR}/installer/macos/Info.plist.in
        MACOSX_BUNDLE_BUNDLE_NAME PSRemote
        MACOSX_BUNDLE_GUI_IDENTIFIER ${PSREMOTE_APP_ID}
        MACOSX_BUNDLE_ICON_FILE psremote.icns
        MACOSX_BUNDLE_SHORT_VERSION_STRING ${PROJECT_VERSION}
        MACOSX_BUNDLE_BUNDLE_VERSION ${PROJECT_VERSION}
        MACOSX_BUNDLE_COPYRIGHT "Copyright (c) 2026 The PSRemote developers, MIT License")
endif()

# CPack. The licence gets a .txt name: WiX converts only .txt or .rtf licence files.
configure_file(${PROJECT_SOURCE_DIR}/LICENSE ${CMAKE_BINARY_DIR}/installer/LICENSE.txt COPYONLY)
set(CPACK_PACKAGE_NAME psremote)
set(CPACK_PACKAGE_VENDOR "The PSRemote developers")
# No public address exists yet: distributors set their own (-DPSREMOTE_PACKAGE_MAINTAINER=...).
set(PSREMOTE_PACKAGE_MAINTAINER "The PSRemote developers <psremote@example.invalid>"
    CACHE STRING "Maintainer field of the packages (Name <address>)")
set(CPACK_PACKAGE_CONTACT "${PSREMOTE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "PowerShell remoting (WinRM) client")
# Lines under 80 columns: the Debian package shows them as they are, after the summary.
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
    "PSRemote opens interactive PowerShell sessions on Windows hosts, as"
    "Enter-PSSession does, over WinRM (WS-Management) with the PowerShell"
    "Remoting Protocol (MS-PSRP), in tabs, with saved hosts and passwords in the"
    "desktop keychain. The command-line client psremote-cli runs commands and"
    "scripts remotely, opens sessions in a terminal and decodes WinRM traces.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_INSTALL_DIRECTORY PSRemote)
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_BINARY_DIR}/installer/LICENSE.txt)
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/\\\\.build/" "/build-[^/]*/" "/build/")

if(WIN32)
    set(CPACK_GENERATOR WIX)
    set(CPACK_WIX_UPGRADE_GUID 6F095FCE-41A2-47D5-94D1-329C857F2917) # fixed: upgrades replace older versions
    set(CPACK_WIX_PRODUCT_ICON ${PSREMOTE_ICONS}/psremote.ico)
    set(CPACK_WIX_PROGRAM_MENU_FOLDER PSRemote)
    if(PSREMOTE_GUI)
        set(CPACK_PACKAGE_EXECUTABLES psremote PSRemote) # Start menu shortcut to bin/psremote.exe
    endif()
elseif(APPLE)
    set(CPACK_GENERATOR DragNDrop)
    set(CPACK_DMG_VOLUME_NAME PSRemote)
    set(CPACK_DMG_FORMAT UDZO)
    set(CPACK_PACKAGE_ICON ${PSREMOTE_ICONS}/psremote.icns)
else()
    set(CPACK_GENERATOR DEB TGZ)
    set(CPACK_DEBIAN_PACKAGE_NAME psremote)
    set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # psremote_VERSION_ARCH.deb
    set(CPACK_DEBIAN_PACKAGE_SECTION net)
    set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
    set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
    # Depends comes from dpkg-shlibdeps over the installed executables. Named by hand: what the
    # GUI loads at run time, invisible to it. QtKeychain dlopen()s libsecret for the Secret
    # Service (without it passwords cannot be kept in GNOME's keyring). Qt's xcb platform plugin
    # is in libqt6gui6; the Wayland one (qt6-wayland) is optional, Qt falls back to XWayland.
    # psremote-cli uses neither.
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
    if(PSREMOTE_GUI)
        set(CPACK_DEBIAN_PACKAGE_DEPENDS libsecret-1-0)
        # A Secret Service provider to keep passwords in; Qt's own translations (qtbase_de.qm,
        # ...) for the standard dialogs; native Wayland windows.
        set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnome-keyring | kwalletmanager, qt6-translations-l10n, qt6-wayland")
    endif()
    set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
endif()
include(CPack)
