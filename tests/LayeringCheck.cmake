# The dependency rule of README.md ("Architecture"), checked on the sources: a library may not
# include headers of the layers or Qt modules it must not link. Run as `cmake -P` by CTest.
set(rules
    "psrp|QtNetwork|QtWidgets|qtkeychain|qt6keychain|credentials/|QNetwork|QTcpSocket|QTimer|QThread|wsman/|auth/|session/|gui/"
    "auth|QtNetwork|QtWidgets|qtkeychain|qt6keychain|credentials/|QNetwork|QTcpSocket|QTimer|QThread|psrp/|wsman/|session/|gui/"
    "wsman|QtWidgets|qtkeychain|qt6keychain|credentials/|QWidget|session/|gui/"
    "session|QtWidgets|qtkeychain|qt6keychain|credentials/|QWidget|cli/|gui/"
    "credentials|QtWidgets|QWidget|cli/|gui/|session/"
    "cli|QtWidgets|QWidget|gui/")
set(violations "")
foreach(rule IN LISTS rules)
    string(REPLACE "|" ";" parts "${rule}")
    list(POP_FRONT parts dir)
    file(GLOB_RECURSE files "${SOURCE_DIR}/src/${dir}/*.h" "${SOURCE_DIR}/src/${dir}/*.cpp")
    foreach(f IN LISTS files)
        file(STRINGS "${f}" includes REGEX "^[ \t]*#[ \t]*include")
        foreach(line IN LISTS includes)
            foreach(forbidden IN LISTS parts)
                string(FIND "${line}" "${forbidden}" pos)
                if(NOT pos EQUAL -1)
                    string(APPEND violations "\n  ${f}: ${line} (src/${dir} must not use ${forbidden})")
                endif()
            endforeach()
        endforeach()
    endforeach()
endforeach()
if(violations)
    message(FATAL_ERROR "Layering violations:${violations}")
endif()
message(STATUS "Layering: every include respects the dependency rule")
