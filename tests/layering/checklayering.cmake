# SPDX-License-Identifier: MIT
# The layering check (ctest `layering`): a file of core/ may include only files of its own stage or a lower one,
# so the path of an event reads one way: util < model < transport < PostHog wire < contract < store < pipeline.
# Run: cmake -DCORE_DIR=/path/to/core -P checklayering.cmake
cmake_minimum_required(VERSION 3.25)
if(NOT CORE_DIR)
    message(FATAL_ERROR "usage: cmake -DCORE_DIR=<core/> -P checklayering.cmake")
endif()

# Stage of a path relative to core/: the first pattern that matches, in order; then its rank and the highest rank
# it may include (its own, but the store keeps what was committed and depends on nothing that decodes or judges).
set(_stages
    "^util/" 0 0 "util"
    "^model/" 1 1 "model"
    "^transport/" 2 2 "transport"
    "^wire/" 3 3 "PostHog wire"
    "^contract/" 4 4 "contract"
    "^store/" 5 1 "store"
    "^(pipeline|replay|report)/" 6 6 "pipeline (capture, ingest routing and API, replay, report)")

function(stage_of rel out_rank out_max out_name)
    set(_list ${_stages})
    list(LENGTH _list n)
    set(i 0)
    while(i LESS n)
        list(GET _list ${i} pattern)
        if(rel MATCHES "${pattern}")
            math(EXPR j "${i} + 1")
            math(EXPR k "${i} + 2")
            math(EXPR l "${i} + 3")
            list(GET _list ${j} rank)
            list(GET _list ${k} max)
            list(GET _list ${l} name)
            set(${out_rank} ${rank} PARENT_SCOPE)
            set(${out_max} ${max} PARENT_SCOPE)
            set(${out_name} "${name}" PARENT_SCOPE)
            return()
        endif()
        math(EXPR i "${i} + 4")
    endwhile()
endfunction()

file(GLOB_RECURSE _files RELATIVE ${CORE_DIR} ${CORE_DIR}/*.h ${CORE_DIR}/*.cpp)
set(_violations 0)
set(_checked 0)
foreach(rel ${_files})
    unset(rank)
    stage_of("${rel}" rank max name)
    if(NOT DEFINED rank)
        message(SEND_ERROR "core/${rel} is in no stage folder: put it in util, model, transport, wire, contract, store, pipeline, replay or report (tests/layering/checklayering.cmake)")
        math(EXPR _violations "${_violations} + 1")
        continue()
    endif()
    get_filename_component(dir "${rel}" DIRECTORY)
    file(STRINGS ${CORE_DIR}/${rel} _includes REGEX "^[ \t]*#[ \t]*include[ \t]+\"")
    foreach(line ${_includes})
        string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]+\"([^\"]+)\".*" "\\1" inc "${line}")
        # resolved as the compiler does: next to the file first, then from core/
        if(dir AND EXISTS ${CORE_DIR}/${dir}/${inc})
            set(target "${dir}/${inc}")
        elseif(EXISTS ${CORE_DIR}/${inc})
            set(target "${inc}")
        else()
            continue() # generated (moc, configure_file) or outside core/
        endif()
        math(EXPR _checked "${_checked} + 1")
        stage_of("${target}" trank tmax tname)
        if(trank GREATER max AND NOT trank EQUAL rank) # its own stage is always fine
            message(SEND_ERROR "core/${rel} (${name}) includes ${inc} (${tname}): a lower stage must not include a higher one (tests/layering/checklayering.cmake)")
            math(EXPR _violations "${_violations} + 1")
        endif()
    endforeach()
endforeach()
list(LENGTH _files _count)
if(_violations GREATER 0)
    message(FATAL_ERROR "${_violations} include(s) against the layering")
endif()
message(STATUS "layering: ${_count} files, ${_checked} includes inside core/, none against the order")
