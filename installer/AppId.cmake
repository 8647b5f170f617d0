# The application id: the .desktop and metainfo names, the icon name, the keychain service and
# the settings id (Wsman::SettingsApplication). Shared by installer/Install.cmake and the tests.
set(PSREMOTE_APP_ID io.github.psremote.PSRemote)
