// SPDX-License-Identifier: MIT
// QCOMPARE cannot print nlohmann::json: JSON_COMPARE compares and shows both sides on failure.
#pragma once

#include <QTest>

#include <nlohmann/json.hpp>

#define JSON_COMPARE(actual, expected)                                                                                 \
    do {                                                                                                               \
        const nlohmann::json actual_ = (actual);                                                                       \
        const nlohmann::json expected_ = (expected);                                                                   \
        QVERIFY2(actual_ == expected_,                                                                                 \
            ("got " + actual_.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ", want "               \
                + expected_.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))                            \
                .c_str());                                                                                             \
    } while (false)
