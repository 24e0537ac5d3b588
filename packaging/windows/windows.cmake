# SPDX-License-Identifier: MIT
# Windows installer recipe: NSIS through CPack, Qt deployed with windeployqt.
# Included from packaging/CMakeLists.txt inside if(WIN32). NOT BUILT OR TESTED: there is no
# Windows machine in this project's CI; see packaging/windows/README.md for what is known to be
# missing before it can work.
#
#   cmake -S . -B build\win -G Ninja -DCMAKE_BUILD_TYPE=Release -DEVENTLENS_BUILD_TESTS=OFF -DEVENTLENS_BUILD_BENCH=OFF
#   cmake --build build\win --target package      -> EventLens-<version>-win64.exe

# windeployqt copies the Qt DLLs and the plugins the executable needs (platforms\qwindows.dll,
# iconengines\qsvgicon.dll, imageformats, styles) next to eventlens.exe
# in the staging directory CPack installs into.
if(TARGET Qt6::windeployqt)
    set(_windeployqt "$<TARGET_FILE:Qt6::windeployqt>")
else()
    find_program(EVENTLENS_WINDEPLOYQT windeployqt HINTS "${QT6_INSTALL_PREFIX}/bin" "${Qt6_DIR}/../../../bin" REQUIRED)
    set(_windeployqt "${EVENTLENS_WINDEPLOYQT}")
endif()
install(CODE "
    set(_exe \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/bin/eventlens.exe\")
    message(STATUS \"windeployqt \${_exe}\")
    execute_process(COMMAND \"${_windeployqt}\" --no-translations --no-system-d3d-compiler --no-opengl-sw
            --dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/bin\" \"\${_exe}\"
        RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
        message(FATAL_ERROR \"windeployqt failed (\${_rc})\")
    endif()
")
# The MSVC runtime (vcruntime140.dll, msvcp140.dll, ...) next to the executable.
set(CMAKE_INSTALL_SYSTEM_RUNTIME_DESTINATION bin)
include(InstallRequiredSystemLibraries)

set(CPACK_GENERATOR "NSIS")
set(CPACK_PACKAGE_FILE_NAME "EventLens-${PROJECT_VERSION}-win64")
set(CPACK_NSIS_PACKAGE_NAME "EventLens")
set(CPACK_NSIS_DISPLAY_NAME "EventLens ${PROJECT_VERSION}")
set(CPACK_NSIS_MUI_ICON "${CMAKE_CURRENT_SOURCE_DIR}/windows/eventlens.ico")
set(CPACK_NSIS_MUI_UNIICON "${CMAKE_CURRENT_SOURCE_DIR}/windows/eventlens.ico")
set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\eventlens.exe")
set(CPACK_NSIS_URL_INFO_ABOUT "${EVENTLENS_HOMEPAGE}")
set(CPACK_NSIS_HELP_LINK "${EVENTLENS_HOMEPAGE}")
set(CPACK_NSIS_CONTACT "${EVENTLENS_PACKAGE_MAINTAINER}")
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
# Offer to put bin\ on PATH, so `eventlens check` / `eventlens replay` work from a terminal.
set(CPACK_NSIS_MODIFY_PATH ON)
# Start-menu shortcut "EventLens" -> bin\eventlens.exe, and "Run EventLens" on the last page.
set(CPACK_PACKAGE_EXECUTABLES "eventlens" "EventLens")
set(CPACK_NSIS_EXECUTABLES_DIRECTORY "bin")
set(CPACK_NSIS_MUI_FINISHPAGE_RUN "eventlens.exe")
