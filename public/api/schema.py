"""What the OpenAPI schema says beyond what the views declare, so that a client generated
from it works: every operation is anonymous, and a list's JSON answer is either its page
or, with ``format=json``, the array of the same objects."""

PAGE_PREFIX = "#/components/schemas/Paginated"


def anonymous_operations_and_exports(result, generator, request, public):
    """A ``POSTPROCESSING_HOOKS`` entry of drf-spectacular."""
    schemas = result.get("components", {}).get("schemas", {})
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            # Nothing to authenticate: `[]`, where `[{}]` would say "optionally".
            operation["security"] = []
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            json_answer = content.get("application/json", {})
            page = json_answer.get("schema", {})
            if page.get("$ref", "").startswith(PAGE_PREFIX):
                export = schemas[page["$ref"].rsplit("/", 1)[1]]["properties"]["results"]
                json_answer["schema"] = {"oneOf": [page, export]}
    return result
