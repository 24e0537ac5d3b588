// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <QWidget>

#include <memory>
#include <utility>

class QAbstractButton;
class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QStackedWidget;
class QTreeWidget;

namespace el {
class Capture;
}

namespace el::ui {

class JsonHighlighter;

/**
 * \brief The detail pane's Raw tab. Its Request view is the request the event came in, read back from the session
 * file and decoded on a worker (method, path, headers, status, the body as received and decoded with the event's
 * slice highlighted, or as a hex dump); its Event view is what the event keeps of its request and the normalised
 * event as pretty JSON.
 */
class RawPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RawPanel)
public:
    enum View { RequestView = 0, EventView };

    explicit RawPanel(Capture* capture, QWidget* parent = nullptr);
    ~RawPanel() override;

    /** Shows \a event in the Event view; its request is read by the next ensureRequest(). */
    void setEvent(const EventPtr& event);
    /** Reads the shown event's request unless it is shown or being read already (the tab is shown). */
    void ensureRequest();
    void clear();

    void setView(View view);
    /** The normalised event as pretty JSON. */
    QString eventText() const;
    /** See DetailPane::requestSummary() and the accessors below it. */
    QString requestSummary() const;
    QTreeWidget* requestHeaders() const { return m_headers; }
    QPlainTextEdit* requestBody() const { return m_body; }
    QCheckBox* hexToggle() const { return m_hex; }
    std::pair<qint64, qint64> requestSlice() const;
    bool requestShown() const;

    /** What the Request view shows of a request: read, decoded and sliced on a worker (rawpanel.cpp). */
    struct RawRequest;

private:
    void fillEvent();
    void loadRequest();
    void showRequest(std::shared_ptr<const RawRequest> raw);
    void showRequestMessage(const QString& html);
    void fillBody();

    Capture* m_capture;
    EventPtr m_event;
    QLabel* m_requestInfo;
    QPlainTextEdit* m_raw;
    QStackedWidget* m_rawStack;
    QAbstractButton* m_requestButton;
    QAbstractButton* m_eventButton;
    QLabel* m_requestSummary;
    QWidget* m_requestDetails; ///< headers and body (hidden when there is no request to show)
    QTreeWidget* m_headers;
    QLabel* m_bodyLabel;
    QPlainTextEdit* m_body;
    QCheckBox* m_hex;
    JsonHighlighter* m_bodyHighlighter; ///< the JSON colours of the decoded body (off for hex and large bodies)
    std::shared_ptr<const RawRequest> m_request; ///< the shown request (null while none is)
    QString m_hexText; ///< m_request's hex dump, made when first shown
    qint64 m_requestSeq = 0; ///< the event whose request is shown or being read (0: none)
    quint64 m_requestGeneration = 0; ///< a read that finishes after another started is dropped
    bool m_requestLoading = false; ///< m_requestSeq's request is being decoded on a worker
};

} // namespace el::ui
