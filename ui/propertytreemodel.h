// SPDX-License-Identifier: MIT
#pragma once

#include "model/event.h"

#include <QAbstractItemModel>
#include <QFont>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace el::ui {

/** \brief How one property of an event relates to the client's registered (super) properties. */
struct SuperProperty
{
    std::string name;
    bool fromContract = false; ///< listed by the contract's super-properties
    bool inferred = false; ///< same value on the same client's previous event (distinct_id + $lib)
    bool changed = false; ///< differs from the previous event of the same distinct_id (or $session_id)
    std::optional<Json> previous; ///< that previous value when changed
};

/**
 * Which properties of \a event are super-properties and which of them changed.
 * \a previousSameClient: previous event with the same distinct_id and $lib (or null);
 * \a previousSameUser: previous event with the same distinct_id, else the same $session_id (or null).
 */
std::vector<SuperProperty> analyseSuperProperties(const Event& event, const std::vector<std::string>& contractSuper,
    const Event* previousSameClient, const Event* previousSameUser);

/**
 * \brief A tree over one event's JSON, in three groups: "Event" (top-level fields), "Event
 * properties" and "Super-properties". Each node knows its JSON pointer, so a violation's path
 * resolves to a node; a path that does not exist gets a "(missing) name" placeholder node.
 */
class PropertyTreeModel final : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PropertyTreeModel)
public:
    enum Column { NameColumn = 0, ValueColumn, TypeColumn, ColumnCount };
    enum Role {
        PointerRole = Qt::UserRole + 1, ///< QString JSON pointer ("" for groups)
        JsonTextRole, ///< the value as indented JSON
        ValueTextRole, ///< the value as text (strings unquoted)
        ChangedRole, ///< bool
        MissingRole, ///< bool: placeholder for a property that should be there
        HighlightRole, ///< bool
        GroupRole, ///< bool
    };

    struct Input
    {
        EventPtr event;
        std::vector<std::string> contractSuper;
        EventPtr previousSameClient;
        EventPtr previousSameUser;
        std::vector<Violation> violations;
    };

    explicit PropertyTreeModel(QObject* parent = nullptr);
    ~PropertyTreeModel() override;

    void setInput(Input input);
    void clear();
    const std::vector<SuperProperty>& superProperties() const { return m_super; }

    /** The node at \a pointer (NameColumn), or the closest placeholder, or invalid. */
    QModelIndex indexForPointer(const std::string& pointer) const;
    /** Highlights the node at \a pointer (clearing the previous highlight); returns its index. */
    QModelIndex highlightPointer(const std::string& pointer);
    void clearHighlight();

    QModelIndex index(int row, int column, const QModelIndex& parent = QModelIndex()) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    bool hasChildren(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Node;
    Node* nodeOf(const QModelIndex& index) const;
    QModelIndex indexOf(const Node* node, int column = NameColumn) const;
    void build();
    Node* addValueNode(Node* parent, const QString& name, const Json* value, const std::string& pointer);
    void addPlaceholder(const Violation& violation);

    Input m_input;
    Json m_doc; ///< the shown event, parsed (nodes point into it)
    std::vector<SuperProperty> m_super;
    std::unique_ptr<Node> m_root;
    std::unordered_map<std::string, Node*> m_byPointer;
    Node* m_highlighted = nullptr;
    Node* m_eventGroup = nullptr;
    Node* m_propsGroup = nullptr;
    Node* m_superGroup = nullptr;
    QFont m_bold;
    QFont m_italic;
};

} // namespace el::ui
