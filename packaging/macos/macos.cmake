# SPDX-License-Identifier: MIT
# macOS disk-image recipe: an EventLens.app bundle in a DragNDrop .dmg, Qt deployed with
# macdeployqt. Included from packaging/CMakeLists.txt inside if(APPLE). NOT BUILT OR TESTED:
# there is no Mac in this project's CI; see packaging/macos/README.md.
#
#   cmake -S . -B build/mac -G Ninja -DCMAKE_BUILD_TYPE=Release -DEVENTLENS_BUILD_TESTS=OFF -DEVENTLENS_BUILD_BENCH=OFF
#   cmake --build build/mac --target package      -> EventLens-<version>-macOS.dmg
#
# app/CMakeLists.txt installs a plain bin/eventlens (no MACOSX_BUNDLE), so the bundle is laid
# out here at install time: EventLens.app/Contents/{Info.plist,MacOS/eventlens,Resources/EventLens.icns};
# then macdeployqt copies Qt's frameworks and plugins into it, and the loose bin/ is removed.

set(_bundle "EventLens.app")
configure_file("${CMAKE_CURRENT_SOURCE_DIR}/macos/Info.plist.in" "${CMAKE_CURRENT_BINARY_DIR}/Info.plist" @ONLY)

# EventLens.icns from the committed PNGs (iconutil ships with macOS).
set(_iconset "${CMAKE_CURRENT_BINARY_DIR}/EventLens.iconset")
set(_icns "${CMAKE_CURRENT_BINARY_DIR}/EventLens.icns")
set(_icon_cmds "")
foreach(pair "16;icon_16x16" "32;icon_16x16@2x" "32;icon_32x32" "64;icon_32x32@2x"
             "128;icon_128x128" "256;icon_128x128@2x" "256;icon_256x256")
    list(GET pair 0 size)
    list(GET pair 1 name)
    list(APPEND _icon_cmds COMMAND "${CMAKE_COMMAND}" -E copy
        "${CMAKE_CURRENT_SOURCE_DIR}/icons/${size}x${size}/${EVENTLENS_APP_ID}.png" "${_iconset}/${name}.png")
endforeach()
add_custom_command(OUTPUT "${_icns}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${_iconset}"
    ${_icon_cmds}
    COMMAND iconutil -c icns -o "${_icns}" "${_iconset}"
    COMMENT "Building EventLens.icns"
    VERBATIM)
add_custom_target(eventlens_macos_icon ALL DEPENDS "${_icns}")

install(PROGRAMS "$<TARGET_FILE:eventlens>" DESTINATION "${_bundle}/Contents/MacOS")
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/Info.plist" DESTINATION "${_bundle}/Contents")
install(FILES "${_icns}" DESTINATION "${_bundle}/Contents/Resources")

if(TARGET Qt6::macdeployqt)
    set(_macdeployqt "$<TARGET_FILE:Qt6::macdeployqt>")
else()
    find_program(EVENTLENS_MACDEPLOYQT macdeployqt HINTS "${QT6_INSTALL_PREFIX}/bin" REQUIRED)
    set(_macdeployqt "${EVENTLENS_MACDEPLOYQT}")
endif()
install(CODE "
    set(_root \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
    file(REMOVE_RECURSE \"\${_root}/bin\")
    execute_process(COMMAND \"${_macdeployqt}\" \"\${_root}/${_bundle}\" -always-overwrite
        RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
        message(FATAL_ERROR \"macdeployqt failed (\${_rc})\")
    endif()
")

set(CPACK_GENERATOR "DragNDrop")
set(CPACK_PACKAGE_FILE_NAME "EventLens-${PROJECT_VERSION}-macOS")
set(CPACK_DMG_VOLUME_NAME "EventLens ${PROJECT_VERSION}")
set(CPACK_DMG_FORMAT "UDZO")
