// SPDX-License-Identifier: MIT
#include "propertytreemodel.h"
#include "util/text.h"

#include "uiutil.h"

#include <QGuiApplication>
#include <QPalette>

#include <algorithm>

namespace el::ui {

struct PropertyTreeModel::Node
{
    enum class Kind { Group, Value, Missing };
    Kind kind = Kind::Value;
    QString name;
    const Json* value = nullptr; ///< points into the event document (kept alive by m_input.event)
    std::string pointer;
    Node* parent = nullptr;
    int row = 0;
    std::vector<std::unique_ptr<Node>> children;
    bool highlighted = false;
    // super-properties
    bool isSuper = false;
    bool fromContract = false;
    bool inferred = false;
    bool changed = false;
    std::optional<Json> previous;
    // groups and placeholders
    QString note;
    bool error = false;

    Node* add(std::unique_ptr<Node> child)
    {
        child->parent = this;
        child->row = static_cast<int>(children.size());
        children.push_back(std::move(child));
        return children.back().get();
    }
};

namespace {

/** Keys in display order: plain names first, then $-prefixed ones (each alphabetical). */
std::vector<std::string> orderedKeys(const Json& object)
{
    std::vector<std::string> plain, dollar;
    for (auto it = object.begin(); it != object.end(); ++it)
        (it.key().rfind('$', 0) == 0 ? dollar : plain).push_back(it.key());
    plain.insert(plain.end(), dollar.begin(), dollar.end());
    return plain;
}

QString previousText(const Json& value)
{
    return value.is_string() ? QStringLiteral("\"%1\"").arg(qs(value.get_ref<const std::string&>()))
                             : jsonPreview(value, 80);
}

} // namespace

std::vector<SuperProperty> analyseSuperProperties(const Event& event, const std::vector<std::string>& contractSuper,
    const Event* previousSameClient, const Event* previousSameUser)
{
    std::vector<SuperProperty> out;
    const Json props = event.properties();
    if (!props.is_object())
        return out;
    const Json clientPropsValue = previousSameClient ? previousSameClient->properties() : Json();
    const Json userPropsValue = previousSameUser ? previousSameUser->properties() : Json();
    const Json* clientProps = clientPropsValue.is_object() ? &clientPropsValue : nullptr;
    const Json* userProps = userPropsValue.is_object() ? &userPropsValue : nullptr;
    for (auto it = props.begin(); it != props.end(); ++it) {
        SuperProperty sp;
        sp.name = it.key();
        sp.fromContract = std::find(contractSuper.begin(), contractSuper.end(), sp.name) != contractSuper.end();
        if (clientProps) {
            const auto prev = clientProps->find(sp.name);
            sp.inferred = prev != clientProps->end() && *prev == it.value();
        }
        if (!sp.fromContract && !sp.inferred)
            continue;
        if (userProps) {
            const auto prev = userProps->find(sp.name);
            if (prev != userProps->end() && *prev != it.value()) {
                sp.changed = true;
                sp.previous = *prev;
            }
        }
        out.push_back(std::move(sp));
    }
    return out;
}

PropertyTreeModel::PropertyTreeModel(QObject* parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<Node>())
{
    m_root->kind = Node::Kind::Group;
    m_bold.setBold(true);
    m_italic.setItalic(true);
}

PropertyTreeModel::~PropertyTreeModel() = default;

void PropertyTreeModel::setInput(Input input)
{
    beginResetModel();
    m_input = std::move(input);
    build();
    endResetModel();
}

void PropertyTreeModel::clear()
{
    beginResetModel();
    m_input = Input();
    build();
    endResetModel();
}

PropertyTreeModel::Node* PropertyTreeModel::addValueNode(
    Node* parent, const QString& name, const Json* value, const std::string& pointer)
{
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::Value;
    node->name = name;
    node->value = value;
    node->pointer = pointer;
    Node* added = parent->add(std::move(node));
    m_byPointer.emplace(pointer, added);
    if (value->is_object()) {
        for (const std::string& key : orderedKeys(*value))
            addValueNode(added, qs(key), &(*value)[key], pointer + '/' + jsonPointerEscape(key));
    } else if (value->is_array()) {
        for (std::size_t i = 0; i < value->size(); ++i)
            addValueNode(added, QStringLiteral("[%1]").arg(i), &(*value)[i], pointer + '/' + std::to_string(i));
    }
    return added;
}

void PropertyTreeModel::build()
{
    m_root = std::make_unique<Node>();
    m_root->kind = Node::Kind::Group;
    m_byPointer.clear();
    m_highlighted = nullptr;
    m_eventGroup = m_propsGroup = m_superGroup = nullptr;
    m_super.clear();
    m_doc = Json();
    if (!m_input.event)
        return;
    const Event& event = *m_input.event;
    m_super = analyseSuperProperties(
        event, m_input.contractSuper, m_input.previousSameClient.get(), m_input.previousSameUser.get());

    const auto group = [this](const QString& name) {
        auto node = std::make_unique<Node>();
        node->kind = Node::Kind::Group;
        node->name = name;
        return m_root->add(std::move(node));
    };
    m_eventGroup = group(tr("Event"));
    m_propsGroup = group(tr("Event properties"));
    m_superGroup = group(tr("Super-properties"));
    m_eventGroup->note = tr("top-level fields");

    m_doc = event.doc();
    const Json& doc = m_doc;
    if (doc.is_object()) {
        static const char* const kFirst[] = {"event", "distinct_id", "uuid", "timestamp"};
        std::vector<std::string> keys;
        for (const char* k : kFirst) {
            if (doc.contains(k))
                keys.emplace_back(k);
        }
        for (const std::string& k : orderedKeys(doc)) {
            if (k != "properties" && std::find(keys.begin(), keys.end(), k) == keys.end())
                keys.push_back(k);
        }
        for (const std::string& k : keys)
            addValueNode(m_eventGroup, qs(k), &doc[k], '/' + jsonPointerEscape(k));
    }

    static const Json kNoProperties = Json::object();
    const auto propsIt = doc.is_object() ? doc.find("properties") : doc.end();
    const Json& props = propsIt != doc.end() && propsIt->is_object() ? *propsIt : kNoProperties;
    if (props.is_object()) {
        std::unordered_map<std::string, const SuperProperty*> superByName;
        for (const SuperProperty& sp : m_super)
            superByName.emplace(sp.name, &sp);
        for (const std::string& key : orderedKeys(props)) {
            const auto sp = superByName.find(key);
            Node* parent = sp == superByName.end() ? m_propsGroup : m_superGroup;
            Node* node = addValueNode(parent, qs(key), &props[key], "/properties/" + jsonPointerEscape(key));
            if (sp != superByName.end()) {
                node->isSuper = true;
                node->fromContract = sp->second->fromContract;
                node->inferred = sp->second->inferred;
                node->changed = sp->second->changed;
                node->previous = sp->second->previous;
            }
        }
    }
    const int plain = static_cast<int>(m_propsGroup->children.size());
    const int super = static_cast<int>(m_superGroup->children.size());
    m_propsGroup->note = plain == 1 ? tr("1 property") : tr("%1 properties").arg(plain);
    m_superGroup->note = super == 0 ? tr("none detected")
        : super == 1                ? tr("1 property")
                                    : tr("%1 properties").arg(super);
    const auto changedCount
        = std::count_if(m_super.begin(), m_super.end(), [](const SuperProperty& s) { return s.changed; });
    if (changedCount > 0)
        m_superGroup->note += tr(", %1 changed").arg(changedCount);

    for (const Violation& v : m_input.violations)
        addPlaceholder(v);
}

void PropertyTreeModel::addPlaceholder(const Violation& violation)
{
    if (violation.path.empty() || m_byPointer.count(violation.path))
        return;
    const std::vector<std::string> tokens = splitPointer(violation.path);
    if (tokens.empty())
        return;
    Node* parent = nullptr;
    std::size_t consumed = 0;
    for (std::size_t k = tokens.size() - 1; k >= 1 && !parent; --k) {
        std::string prefix;
        for (std::size_t i = 0; i < k; ++i)
            prefix += '/' + jsonPointerEscape(tokens[i]);
        const auto it = m_byPointer.find(prefix);
        if (it != m_byPointer.end() && it->second->kind == Node::Kind::Value) {
            parent = it->second;
            consumed = k;
        }
        if (k == 1)
            break;
    }
    if (!parent) {
        if (tokens[0] == "properties" && tokens.size() >= 2) {
            const bool super = std::find(m_input.contractSuper.begin(), m_input.contractSuper.end(), tokens[1])
                != m_input.contractSuper.end();
            parent = super ? m_superGroup : m_propsGroup;
            consumed = 1;
        } else {
            parent = m_eventGroup;
            consumed = 0;
        }
    }
    QStringList rest;
    for (std::size_t i = consumed; i < tokens.size(); ++i)
        rest << qs(tokens[i]);
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::Missing;
    node->name = rest.join(u'/');
    node->pointer = violation.path;
    node->note = qs(violation.message);
    node->error = violation.severity == Severity::Error;
    Node* added = parent->add(std::move(node));
    m_byPointer.emplace(violation.path, added);
}

QModelIndex PropertyTreeModel::indexForPointer(const std::string& pointer) const
{
    if (!m_input.event)
        return {};
    if (pointer.empty() || pointer == "/")
        return indexOf(m_eventGroup);
    const auto it = m_byPointer.find(pointer);
    if (it != m_byPointer.end())
        return indexOf(it->second);
    // Fall back to the closest existing ancestor.
    std::string prefix = pointer;
    while (!prefix.empty()) {
        const std::size_t slash = prefix.rfind('/');
        if (slash == std::string::npos || slash == 0)
            break;
        prefix.resize(slash);
        const auto up = m_byPointer.find(prefix);
        if (up != m_byPointer.end())
            return indexOf(up->second);
    }
    return pointer.rfind("/properties", 0) == 0 ? indexOf(m_propsGroup) : indexOf(m_eventGroup);
}

QModelIndex PropertyTreeModel::highlightPointer(const std::string& pointer)
{
    const QModelIndex target = indexForPointer(pointer);
    Node* node = target.isValid() ? nodeOf(target) : nullptr;
    if (node == m_highlighted)
        return target;
    if (m_highlighted) {
        Node* old = m_highlighted;
        m_highlighted->highlighted = false;
        m_highlighted = nullptr;
        Q_EMIT dataChanged(indexOf(old, 0), indexOf(old, ColumnCount - 1), {Qt::BackgroundRole, HighlightRole});
    }
    if (node) {
        node->highlighted = true;
        m_highlighted = node;
        Q_EMIT dataChanged(indexOf(node, 0), indexOf(node, ColumnCount - 1), {Qt::BackgroundRole, HighlightRole});
    }
    return target;
}

void PropertyTreeModel::clearHighlight()
{
    if (m_highlighted) {
        Node* old = m_highlighted;
        old->highlighted = false;
        m_highlighted = nullptr;
        Q_EMIT dataChanged(indexOf(old, 0), indexOf(old, ColumnCount - 1), {Qt::BackgroundRole, HighlightRole});
    }
}

PropertyTreeModel::Node* PropertyTreeModel::nodeOf(const QModelIndex& index) const
{
    return index.isValid() ? static_cast<Node*>(index.internalPointer()) : m_root.get();
}

QModelIndex PropertyTreeModel::indexOf(const Node* node, int column) const
{
    if (!node || node == m_root.get())
        return {};
    return createIndex(node->row, column, const_cast<Node*>(node));
}

QModelIndex PropertyTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    const Node* p = nodeOf(parent);
    return createIndex(row, column, p->children[static_cast<std::size_t>(row)].get());
}

QModelIndex PropertyTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    const Node* node = nodeOf(child);
    return indexOf(node->parent);
}

int PropertyTreeModel::rowCount(const QModelIndex& parent) const
{
    if (parent.column() > 0)
        return 0;
    return static_cast<int>(nodeOf(parent)->children.size());
}

int PropertyTreeModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

bool PropertyTreeModel::hasChildren(const QModelIndex& parent) const
{
    return rowCount(parent) > 0;
}

QVariant PropertyTreeModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node* node = nodeOf(index);
    const int column = index.column();
    const bool group = node->kind == Node::Kind::Group;
    const bool missing = node->kind == Node::Kind::Missing;
    switch (role) {
    case Qt::DisplayRole:
        if (column == NameColumn)
            return missing ? tr("(missing) %1").arg(node->name) : node->name;
        if (column == ValueColumn) {
            if (group || missing)
                return node->note;
            if (node->value->is_object())
                return node->value->empty() ? QStringLiteral("{}")
                                            : tr("{%n key(s)}", nullptr, static_cast<int>(node->value->size()));
            if (node->value->is_array())
                return node->value->empty() ? QStringLiteral("[]")
                                            : tr("[%n item(s)]", nullptr, static_cast<int>(node->value->size()));
            return jsonPreview(*node->value, 300);
        }
        if (column == TypeColumn) {
            if (group)
                return QString();
            if (missing)
                return tr("absent");
            QString type = jsonTypeName(*node->value);
            if (node->isSuper)
                type += node->fromContract ? tr(" · contract") : tr(" · registered");
            return type;
        }
        break;
    case Qt::ToolTipRole: {
        QStringList lines;
        if (node->changed && node->previous)
            lines << tr("was %1").arg(previousText(*node->previous));
        if (missing)
            lines << node->note;
        if (node->isSuper) {
            if (node->fromContract)
                lines << tr("Super-property listed by the contract");
            if (node->inferred)
                lines << tr("Registered: same value on this client's previous event (distinct_id + $lib)");
        }
        if (!group && !node->pointer.empty())
            lines << qs(node->pointer);
        if (!lines.isEmpty())
            return lines.join(u'\n');
        break;
    }
    case Qt::DecorationRole:
        if (column == NameColumn && node->changed)
            return appIcon("changed");
        if (column == NameColumn && missing)
            return appIcon(node->error ? "status-error" : "status-warning");
        break;
    case Qt::FontRole:
        if (group || node->changed)
            return m_bold;
        if (missing)
            return m_italic;
        break;
    case Qt::ForegroundRole:
        if (missing)
            return node->error ? colors::error() : colors::warning();
        if (group && column != NameColumn)
            return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
        if (column == ValueColumn && node->value) {
            if (node->value->is_null())
                return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
            if (node->value->is_number())
                return QColor(0x1c, 0x6d, 0xd0);
            if (node->value->is_boolean())
                return QColor(0x9c, 0x27, 0xb0);
        }
        if (column == TypeColumn)
            return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
        break;
    case Qt::BackgroundRole:
        if (node->highlighted)
            return colors::highlightBackground();
        if (group)
            return QColor(0x80, 0x80, 0x80, 0x22);
        break;
    case PointerRole:
        return qs(node->pointer);
    case JsonTextRole:
        if (node->value)
            return qs(node->value->dump(2, ' ', false, Json::error_handler_t::replace));
        break;
    case ValueTextRole:
        if (node->value)
            return jsonScalarText(*node->value);
        break;
    case ChangedRole:
        return node->changed;
    case MissingRole:
        return missing;
    case HighlightRole:
        return node->highlighted;
    case GroupRole:
        return group;
    default:
        break;
    }
    return {};
}

QVariant PropertyTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Property");
    case ValueColumn:
        return tr("Value");
    case TypeColumn:
        return tr("Type");
    }
    return {};
}

} // namespace el::ui
