// SPDX-License-Identifier: MIT
#include "jsonhighlighter.h"

namespace el::ui {

JsonHighlighter::JsonHighlighter(QTextDocument* document)
    : QSyntaxHighlighter(document)
{
    m_key.setForeground(QColor(0x8e, 0x24, 0xaa));
    m_string.setForeground(QColor(0x1b, 0x7f, 0x3b));
    m_number.setForeground(QColor(0x1c, 0x6d, 0xd0));
    m_literal.setForeground(QColor(0xc2, 0x41, 0x0c));
}

void JsonHighlighter::highlightBlock(const QString& text)
{
    const qsizetype n = text.size();
    qsizetype i = 0;
    while (i < n) {
        const QChar c = text.at(i);
        if (c == u'"') {
            qsizetype j = i + 1;
            while (j < n && text.at(j) != u'"')
                j += text.at(j) == u'\\' ? 2 : 1;
            j = std::min(j + 1, n);
            qsizetype k = j;
            while (k < n && text.at(k).isSpace())
                ++k;
            const bool isKey = k < n && text.at(k) == u':';
            setFormat(static_cast<int>(i), static_cast<int>(j - i), isKey ? m_key : m_string);
            i = j;
        } else if (c == u'-' || c.isDigit()) {
            qsizetype j = i + 1;
            while (j < n
                && (text.at(j).isDigit() || text.at(j) == u'.' || text.at(j) == u'e' || text.at(j) == u'E'
                    || text.at(j) == u'+' || text.at(j) == u'-'))
                ++j;
            setFormat(static_cast<int>(i), static_cast<int>(j - i), m_number);
            i = j;
        } else if (c.isLetter()) {
            qsizetype j = i + 1;
            while (j < n && text.at(j).isLetter())
                ++j;
            setFormat(static_cast<int>(i), static_cast<int>(j - i), m_literal);
            i = j;
        } else {
            ++i;
        }
    }
}

} // namespace el::ui
