// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <string>

/// The std::string -> QString bridge of core (kept out of util/text.h, which stays free of Qt).
namespace el {

/** \a s (UTF-8) as a QString. */
inline QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

} // namespace el
