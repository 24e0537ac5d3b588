// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <QDialog>
#include <QString>

#include <cstddef>
#include <string>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace el {
class Capture;
}

namespace el::ui {

/**
 * \brief What Add to Contract… proposes (issue 18 §2): an unplanned event, or a property that a planned event carries
 * and the contract does not name, with its schema inferred from the session's events of that name.
 */
struct ContractAddition
{
    std::string event;
    std::string property; ///< empty: the whole event
    Json piece; ///< the `events` entry (inferEventSchema()) or the property's schema (inferPropertySchema())
    std::size_t events = 0; ///< events of that name in the session (in memory) it was inferred from
    std::size_t carriers = 0; ///< of them, those that carry the property (a property only)
    QString origin; ///< the loaded contract: "builtin:NAME" or a file path
    bool builtin = false; ///< the contract is built in: a copy is written
    QString target; ///< the file written: the contract's file, or for a built-in the suggested path of the copy

    /** Where the piece goes in the document: "events.NAME" or "events.NAME.schema.properties.PROPERTY". */
    QString where() const;
};

/**
 * True when Add to Contract… applies to \a event (and \a property): a contract is loaded and the event is unplanned
 * (el::isUnplannedEvent()), or, for a property, the event is planned and the contract names no such property for it
 * (el::namedProperties()) and it is not PostHog's own (el::isPostHogProperty()).
 */
bool canAddToContract(const Capture& capture, const std::string& event, const std::string& property = {});

/**
 * The addition for \a event (\a property), inferred from every event of that name the session holds in memory.
 * False with \a error when it does not apply (canAddToContract()).
 */
bool proposeAddition(const Capture& capture, const std::string& event, const std::string& property,
    ContractAddition& out, QString& error);

/**
 * Writes \a addition into \a path: the contract's text (the file at its origin as it is now, or the built-in's own
 * JSON) with the piece added (el::addToContractText(): the file's keys keep their order, 2-space indent), checked by
 * the contract parser, then written atomically (el::saveFile()). Nothing is written when the merged document is not a
 * contract the parser accepts. False with \a error (what failed and why).
 */
bool writeAddition(const ContractAddition& addition, const QString& path, QString& error);

/** Where a copy of built-in contract \a origin is suggested: NAME-custom.json in the user's documents folder. */
QString suggestedCopyPath(const QString& origin);

/**
 * \brief The dialog of Add to Contract…: what is added and where in the document, how many events it was inferred
 * from, the inferred schema as JSON (read-only), and the file it is written to (or, for a built-in contract, that a
 * copy is saved). Its OK button names the file: accepting it is the confirmation.
 */
class AddToContractDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AddToContractDialog)
public:
    explicit AddToContractDialog(const ContractAddition& addition, QWidget* parent = nullptr);

    /** Everything the dialog says above and below the schema, as plain text. */
    QString summaryText() const;
    QPlainTextEdit* schemaView() const { return m_schema; }
    QPushButton* okButton() const { return m_ok; }

private:
    QLabel* m_title;
    QLabel* m_source;
    QLabel* m_where;
    QPlainTextEdit* m_schema;
    QLabel* m_target;
    QPushButton* m_ok = nullptr;
};

} // namespace el::ui
