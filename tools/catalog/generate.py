#!/usr/bin/env python3
"""Generate pullroute's event catalog from the Alvaria Streaming API spec (spec 003).

For every event type listed in the spec's event tables (engagementCenter.*, outreach.*,
messaging.*) this writes one JSON Schema (draft 2020-12) built from the type's property table to
server/src/main/resources/catalog/<eventType>.json, copies pullroute's own hand-written schemas
from tools/catalog/own/ next to them, and writes catalog/index.json listing every type with its
category.

Where the spec's example payload disagrees with its property table, the property's type is
widened to allow both, so that the spec's own example validates; each widening is printed.

Usage (from the repository root):
    python3 tools/catalog/generate.py [SPEC_FILE]
SPEC_FILE defaults to ../shared/spec/003_389e0fbeeb8cc8d6.txt relative to the repository root.
Standard library only.
"""

import json
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "spec" / "003_389e0fbeeb8cc8d6.txt"
OWN_DIR = Path(__file__).resolve().parent / "own"
CATALOG_DIR = REPO_ROOT / "server" / "src" / "main" / "resources" / "catalog"

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# A row of the spec's event tables: "engagementCenter.Idle |".
EVENT_TYPE_LINE = re.compile(r"^((engagementCenter|outreach|messaging)\.[A-Za-z]+) \|$")
# A schema section heading: "EventECIdle".
SECTION_HEADING = re.compile(r"^Event(EC|Messaging|Fastpath|Script)[A-Za-z]*$")
PROPERTY_TABLE_HEADER = "| Name | Type | Required | Restrictions | Description |"
TABLE_SEPARATOR = re.compile(r"^\|(-+\|)+$")

# Schema sections whose name does not follow EventEC<X> / EventMessaging<X>.
SECTION_RENAMES = {
    "EventECInteractionRelXferred": "engagementCenter.InteractionReleasedXferred",
    "EventECUpdateAgtStatReason": "engagementCenter.UpdateAgentStatusReason",
    "EventMessagingEntityDialReq": "messaging.EntityDialRequest",
    "EventMessagingEntityPushURL": "messaging.EntityPushURL",
    "EventFastpathDispostion": "outreach.disposition",
    "EventFastpathStatus": "outreach.status",
    "EventScriptStatus": "outreach.automationScriptStatus",
}

SCALAR_TYPES = {"integer", "string", "boolean", "number", "object"}


def event_type_of_section(section):
    """The event type a schema section describes, e.g. EventECIdle -> engagementCenter.Idle."""
    if section in SECTION_RENAMES:
        return SECTION_RENAMES[section]
    if section.startswith("EventEC"):
        return "engagementCenter." + section[len("EventEC"):]
    if section.startswith("EventMessaging"):
        return "messaging." + section[len("EventMessaging"):]
    raise ValueError(f"no event type known for schema section {section}")


def category_of(event_type):
    return event_type.split(".", 1)[0]


def listed_event_types(lines):
    """The event types named in the spec's three event tables, in spec order."""
    return [m.group(1) for m in map(EVENT_TYPE_LINE.match, lines) if m]


def schema_sections(lines):
    """Yield (section name, body lines) for every event payload schema section."""
    starts = [i for i, line in enumerate(lines) if SECTION_HEADING.match(line)]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        yield lines[start], lines[start + 1 : end]


def split_example(body):
    """Split a section body into (example JSON text, the lines after it).

    The example starts right after the heading with a line "{" and ends where its braces balance
    (braces inside JSON strings are skipped).
    """
    if not body or body[0] != "{":
        raise ValueError("section does not start with an example object")
    depth = 0
    in_string = False
    escaped = False
    for index, line in enumerate(body):
        for char in line:
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
        if depth == 0:
            return "\n".join(body[: index + 1]), body[index + 1 :]
    raise ValueError("example object is not closed")


def description_and_rows(rest):
    """The free-text description before "Properties", and the rows of the property table."""
    description = []
    rows = []
    in_table = False
    for line in rest:
        if in_table:
            if TABLE_SEPARATOR.match(line):
                continue
            if not line.startswith("| "):
                break
            rows.append(line)
        elif line == PROPERTY_TABLE_HEADER:
            in_table = True
        elif line != "Properties" and not line.startswith("|"):
            description.append(line.strip())
    return " ".join(d for d in description if d), rows


def parse_row(row):
    """A table row as (depth, name, spec type, required, description)."""
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    name_cell, spec_type, required, _restrictions = cells[:4]
    description = "|".join(cells[4:]).strip()
    depth = name_cell.count("»")
    name = name_cell.replace("»", "").strip()
    return depth, name, spec_type, required == "true", description


def schema_for_type(spec_type):
    """The JSON Schema for a type written in the spec's Type column."""
    if spec_type.startswith("[") and spec_type.endswith("]"):
        return {"type": "array", "items": schema_for_type(spec_type[1:-1])}
    if spec_type == "string(date-time)":
        return {"type": "string", "format": "date-time"}
    if spec_type not in SCALAR_TYPES:
        raise ValueError(f"unknown type in property table: {spec_type}")
    schema = {"type": spec_type}
    if spec_type == "object":
        schema["additionalProperties"] = True
    return schema


def object_schema_of(schema):
    """The schema that holds an object's properties: the schema itself, or an array's items."""
    return schema["items"] if schema.get("type") == "array" else schema


def build_schema(event_type, section, description, rows):
    root = {
        "$schema": DRAFT_2020_12,
        "$comment": f"Generated by tools/catalog/generate.py from spec 003, section {section}."
        " Do not edit by hand.",
        "title": event_type,
    }
    if description:
        root["description"] = description
    root.update({"type": "object", "properties": {}, "additionalProperties": True})

    parents = [root]  # parents[d] holds the properties of depth d
    for row in rows:
        depth, name, spec_type, required, text = parse_row(row)
        if depth >= len(parents):
            raise ValueError(f"{section}: property {name} is nested without a parent")
        del parents[depth + 1 :]
        parent = object_schema_of(parents[depth])
        prop = schema_for_type(spec_type)
        if text and text != "none":
            prop = {"description": text, **prop}
        if "properties" not in parent:
            # keep "properties" before "additionalProperties" for readers of the files
            parent.pop("additionalProperties", None)
            parent["properties"] = {}
            parent["additionalProperties"] = True
        parent["properties"][name] = prop
        if required:
            parent.setdefault("required", []).append(name)
        parents.append(prop)
    return root


def json_type(value):
    """The JSON Schema type of a parsed JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def allowed_types(schema):
    types = schema.get("type", [])
    return types if isinstance(types, list) else [types]


def widen_to_example(schema, value, path, report):
    """Widen the types in schema so that value (the spec's example) validates.

    Appends a line to report for every widening and for example keys the table lacks.
    """
    types = allowed_types(schema)
    actual = json_type(value)
    if types and actual not in types and not (actual == "integer" and "number" in types):
        schema["type"] = types + [actual]
        report.append(
            f"widened {path}: {'|'.join(types)} -> {'|'.join(types + [actual])}"
            f" (example: {json.dumps(value, ensure_ascii=False)})"
        )
    if actual == "object" and "properties" in schema:
        properties = schema["properties"]
        for key, item in value.items():
            name = key if key in properties else key.strip()
            if name not in properties:
                report.append(f"note {path}.{key}: in the example, not in the table")
                continue
            if name != key:
                report.append(f"note {path}: example key {json.dumps(key)} read as {name!r}")
            widen_to_example(properties[name], item, f"{path}.{name}", report)
    if actual == "array" and isinstance(schema.get("items"), dict):
        for item in value:
            widen_to_example(schema["items"], item, f"{path}[]", report)


def no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise ValueError(f"duplicate keys in example: {sorted(duplicates)}")
    return dict(pairs)


def spec_schemas(lines, report):
    """Build {event type: (section name, schema)} from the spec's schema sections."""
    schemas = {}
    for section, body in schema_sections(lines):
        event_type = event_type_of_section(section)
        example_text, rest = split_example(body)
        example = json.loads(example_text, object_pairs_hook=no_duplicate_keys)
        description, rows = description_and_rows(rest)
        if not rows:
            raise ValueError(f"{section}: no property table")
        schema = build_schema(event_type, section, description, rows)
        notes = []
        widen_to_example(schema, example, "payload", notes)
        report.extend(f"{event_type} ({section}): {n}" for n in notes)
        if event_type in schemas:
            raise ValueError(f"two schema sections for {event_type}")
        schemas[event_type] = (section, schema)
    return schemas


def own_schemas():
    """pullroute's own hand-written schemas, {event type: schema}, from tools/catalog/own/."""
    schemas = {}
    for path in sorted(OWN_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        event_type = path.name[: -len(".json")]
        if schema.get("title") != event_type:
            raise ValueError(f"{path}: title must be {event_type}")
        schemas[event_type] = schema
    return schemas


def write_json(path, document):
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv):
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    lines = [line.rstrip("\r") for line in spec_path.read_text(encoding="utf-8").split("\n")]

    report = []
    from_spec = spec_schemas(lines, report)
    listed = listed_event_types(lines)
    if sorted(listed) != sorted(from_spec):
        missing = sorted(set(listed) - set(from_spec))
        unlisted = sorted(set(from_spec) - set(listed))
        raise SystemExit(f"tables and schema sections differ: no schema for {missing},"
                         f" not in a table: {unlisted}")
    own = own_schemas()
    clashes = sorted(set(own) & set(from_spec))
    if clashes:
        raise SystemExit(f"own schemas clash with spec types: {clashes}")

    CATALOG_DIR.mkdir(parents=True, exist_ok=True)
    for stale in CATALOG_DIR.glob("*.json"):
        stale.unlink()
    index = []
    for event_type, (section, schema) in from_spec.items():
        write_json(CATALOG_DIR / f"{event_type}.json", schema)
        index.append({"type": event_type, "category": category_of(event_type),
                      "source": f"spec 003 {section}"})
    for event_type, schema in own.items():
        write_json(CATALOG_DIR / f"{event_type}.json", schema)
        index.append({"type": event_type, "category": category_of(event_type),
                      "source": "pullroute"})
    index.sort(key=lambda entry: entry["type"])
    write_json(CATALOG_DIR / "index.json", {
        "$comment": "Generated by tools/catalog/generate.py. Do not edit by hand.",
        "types": index,
    })

    for line in report:
        print(line)
    print(f"{len(from_spec)} types from {spec_path.name}, {len(own)} own types,"
          f" {len(index)} in total, written to {CATALOG_DIR.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main(sys.argv)
