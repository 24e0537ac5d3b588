// SPDX-License-Identifier: MIT
#include "metaschema.h"
#include "extensions.h"
#include "keywords.h"

namespace el::schema_detail {

MetaSchema::MetaSchema()
    : doc(Json::parse(draft07MetaSchemaText().begin(), draft07MetaSchemaText().end()))
{
    // The meta-schema's "format" keywords (uri, regex, ...) are annotations valijson ignores.
    forEachSchema(doc, std::string(), [](Json& node, const std::string&) {
        if (node.is_object())
            node.erase("format");
    });
    std::string error;
    ok = parseInto(doc, schema, error);
}

const MetaSchema& metaSchema()
{
    static const MetaSchema meta;
    return meta;
}

const Json& metaSchemaDoc()
{
    return metaSchema().doc;
}

const Json* fetchMetaSchema(const std::string& uri)
{
    if (!isMetaSchemaUri(uri))
        return nullptr;
    return new Json(metaSchema().doc);
}

void freeFetched(const Json* doc)
{
    delete doc;
}

} // namespace el::schema_detail
