// SPDX-License-Identifier: MIT
#include "candidates.h"
#include "contract/jsonschema.h"
#include "keywords.h"
#include "metaschema.h"
#include "pattern.h"

#include <exception>

namespace el::schema_detail {

NodeKeywords NodeKeywords::of(const Json& node)
{
    NodeKeywords k;
    if (!node.is_object())
        return k;
    const auto find = [&node](const char* kw) -> const Json* {
        const auto it = node.find(kw);
        return it == node.end() ? nullptr : &*it;
    };
    k.ref = find("$ref");
    if (k.ref && !k.ref->is_string())
        k.ref = nullptr;
    for (int i = 0; i < 3; ++i) {
        k.applicators[i] = find(kArraySchemaKeywords[i]);
        if (k.applicators[i] && !k.applicators[i]->is_array())
            k.applicators[i] = nullptr;
    }
    k.ifNode = find("if");
    k.thenNode = find("then");
    k.elseNode = find("else");
    k.dependencies = find("dependencies");
    if (k.dependencies && !k.dependencies->is_object())
        k.dependencies = nullptr;
    k.properties = find("properties");
    if (k.properties && !k.properties->is_object())
        k.properties = nullptr;
    k.patternProperties = find("patternProperties");
    if (k.patternProperties && !k.patternProperties->is_object())
        k.patternProperties = nullptr;
    k.additionalProperties = find("additionalProperties");
    k.items = find("items");
    k.additionalItems = find("additionalItems");
    return k;
}

SchemaIndex indexSchema(const Json& root)
{
    SchemaIndex index;
    forEachSchema(root, std::string(), [&index](const Json& node, const std::string&) {
        NodeKeywords k = NodeKeywords::of(node);
        if (k.ifNode)
            k.ifFast = compileFast(*k.ifNode);
        index.nodes.emplace(&node, std::move(k));
        if (node.is_object()) {
            const auto en = node.find("enum");
            if (en != node.end() && en->is_array())
                index.enumTexts.emplace(&*en, joinValues(*en));
        }
    });
    return index;
}

void collectCandidates(const Json& root, const SchemaIndex* index, const Json& node, const Json* inst,
    const std::vector<std::string>& tokens, std::size_t i, std::vector<const Json*>& out, int depth)
{
    if (depth > 64 || !node.is_object())
        return;
    NodeKeywords local;
    const NodeKeywords* kw = nullptr;
    if (index) {
        const auto found = index->nodes.find(&node);
        if (found != index->nodes.end())
            kw = &found->second;
    }
    if (!kw) {
        local = NodeKeywords::of(node);
        kw = &local;
    }
    if (kw->ref) {
        const std::string& ref = kw->ref->get_ref<const std::string&>();
        if (isMetaSchemaUri(ref)) {
            const Json& meta = metaSchemaDoc();
            collectCandidates(meta, nullptr, meta, inst, tokens, i, out, depth + 1);
        } else if (const Json* target = resolveLocalRef(root, ref)) {
            collectCandidates(root, index, *target, inst, tokens, i, out, depth + 1);
        }
        return; // draft-07: siblings of $ref are ignored
    }
    if (i == tokens.size())
        out.push_back(&node);
    for (const Json* list : kw->applicators) {
        if (list) {
            for (const Json& sub : *list)
                collectCandidates(root, index, sub, inst, tokens, i, out, depth + 1);
        }
    }
    // An "if" never fails the instance, "then" applies only where it holds and "else" only where it
    // fails: neither the condition nor the branch that did not apply may lend its keywords to a message
    // (when the fast evaluator cannot tell whether the condition holds, both branches are kept).
    Verdict condition = Verdict::Unknown;
    if (kw->ifNode && inst)
        condition = kw->ifFast ? evalFast(*kw->ifFast, *inst) : quickVerdict(*kw->ifNode, *inst);
    if (kw->thenNode && condition != Verdict::Invalid)
        collectCandidates(root, index, *kw->thenNode, inst, tokens, i, out, depth + 1);
    if (kw->elseNode && condition != Verdict::Valid)
        collectCandidates(root, index, *kw->elseNode, inst, tokens, i, out, depth + 1);
    if (kw->dependencies) {
        for (const Json& sub : *kw->dependencies) {
            if (sub.is_object())
                collectCandidates(root, index, sub, inst, tokens, i, out, depth + 1);
        }
    }
    if (i >= tokens.size() || !inst)
        return;
    const std::string& tok = tokens[i];
    if (inst->is_object()) {
        auto childIt = inst->find(tok);
        const Json* child = childIt != inst->end() ? &*childIt : nullptr;
        bool matched = false;
        if (kw->properties) {
            auto p = kw->properties->find(tok);
            if (p != kw->properties->end()) {
                matched = true;
                collectCandidates(root, index, *p, child, tokens, i + 1, out, depth + 1);
            }
        }
        if (kw->patternProperties) {
            for (auto p = kw->patternProperties->begin(); p != kw->patternProperties->end(); ++p) {
                if (regexSearch(p.key(), tok)) {
                    matched = true;
                    collectCandidates(root, index, *p, child, tokens, i + 1, out, depth + 1);
                }
            }
        }
        if (!matched && kw->additionalProperties)
            collectCandidates(root, index, *kw->additionalProperties, child, tokens, i + 1, out, depth + 1);
    } else if (inst->is_array()) {
        std::size_t idx = 0;
        try {
            idx = static_cast<std::size_t>(std::stoul(tok));
        } catch (const std::exception&) {
            return;
        }
        const Json* child = idx < inst->size() ? &(*inst)[idx] : nullptr;
        const Json* items = kw->items;
        if (!items)
            return;
        if (items->is_array()) {
            if (idx < items->size()) {
                collectCandidates(root, index, (*items)[idx], child, tokens, i + 1, out, depth + 1);
            } else if (kw->additionalItems) {
                collectCandidates(root, index, *kw->additionalItems, child, tokens, i + 1, out, depth + 1);
            }
        } else {
            collectCandidates(root, index, *items, child, tokens, i + 1, out, depth + 1);
        }
    }
}

std::string joinValues(const Json& arr)
{
    std::string out;
    for (std::size_t i = 0; i < arr.size(); ++i) {
        if (i)
            out += ", ";
        out += describeJsonValue(arr[i]);
    }
    return out;
}

} // namespace el::schema_detail
