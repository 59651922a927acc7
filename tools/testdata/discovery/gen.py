#!/usr/bin/env python3
"""Writes the generated half of the discovery evaluation corpus.

Each service below is written the way real MCP servers publish their tools:
their own naming style (snake_case, camelCase, dotted, prefixed), their own
verbs ("retrieve", "fetch", "get"), resources with their own fields, and a
few hand-written tools that only that service has. Descriptions are picked
from several phrasings by a stable hash, so no two services read alike.

    python3 gen.py        # rewrites ./<service>.tools.json

queries.json (hand-written paraphrases with the expected tool) is not
generated: its wording must not be derived from the tool names.
"""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def pick(options, *key):
    h = int(hashlib.sha1("/".join(key).encode()).hexdigest(), 16)
    return options[h % len(options)]


VERB_WORDS = {
    "list": ["list", "list", "list", "get_all", "fetch_all", "query"],
    "get": ["get", "get", "retrieve", "fetch", "read", "show"],
    "create": ["create", "create", "add", "new", "create", "insert"],
    "update": ["update", "update", "edit", "modify", "patch", "update"],
    "delete": ["delete", "delete", "remove", "archive", "delete", "destroy"],
    "search": ["search", "search", "find", "search", "lookup", "filter"],
}

PHRASES = {
    "list": [
        "List {plural} in {svc}. Supports pagination with a cursor.",
        "Returns a paginated list of {plural}{scope}.",
        "Enumerate {plural}{scope}, newest first.",
        "Fetch all {plural} the authenticated account can access{scope}.",
        "Get a list of {plural}{scope}. Use limit and cursor to page through results.",
    ],
    "get": [
        "Retrieve a single {noun} by its ID, including {fields}.",
        "Get details of a {noun}: {fields}.",
        "Fetch one {noun} from {svc} by identifier.",
        "Returns the {noun} with the given id and its {fields}.",
        "Look up a specific {noun} and return its full record.",
    ],
    "create": [
        "Create a new {noun} in {svc}.",
        "Add a {noun}{scope}. Returns the created object with its ID.",
        "Creates a {noun} with the given {fields}.",
        "Make a new {noun}. Required: {req}.",
        "Insert a {noun} record into {svc}.",
    ],
    "update": [
        "Update an existing {noun}. Only the fields provided are changed.",
        "Modify the {fields} of a {noun}.",
        "Edit a {noun} in {svc}; omitted fields keep their values.",
        "Patch a {noun} by ID with new {fields}.",
        "Change properties of an existing {noun}.",
    ],
    "delete": [
        "Permanently delete a {noun}. This cannot be undone.",
        "Remove a {noun} from {svc}.",
        "Deletes the {noun} with the given ID.",
        "Archive or delete a {noun}{scope}.",
        "Destroy a {noun} and everything attached to it.",
    ],
    "search": [
        "Search {plural} by keyword{scope}.",
        "Full-text search across {plural} in {svc}.",
        "Find {plural} matching a query string and optional filters.",
        "Query {plural} using {svc}'s search syntax.",
        "Look for {plural} whose {fields} match the given text.",
    ],
}


def camel(parts):
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def tool_name(style, prefix, verb, res, plural):
    obj = plural if verb in ("list", "search") else res
    v = VERB_WORDS[verb][int(hashlib.sha1((prefix + verb + res).encode()).hexdigest(), 16) % 6]
    if style == "snake":
        return f"{v}_{obj}"
    if style == "prefixed":
        return f"{prefix}_{v}_{obj}"
    if style == "camel":
        return camel(v.split("_") + obj.split("_"))
    if style == "dotted":
        return f"{plural}.{v}"
    if style == "kebab":
        return f"{v}-{obj}".replace("_", "-")
    raise ValueError(style)


def prop(name, desc, typ="string"):
    return name, {"type": typ, "description": desc}


def schema(props, required):
    return {"type": "object", "properties": dict(props), "required": required}


def crud_tools(svc, r):
    res, plural, noun, fields, scope, verbs = r["res"], r["plural"], r["noun"], r["fields"], r.get("scope", ""), r["verbs"]
    out = []
    for verb in verbs:
        desc = pick(PHRASES[verb], svc["ns"], res, verb).format(
            plural=r.get("plural_words", plural.replace("_", " ")), noun=noun, svc=svc["title"],
            fields=", ".join(f.replace("_", " ") for f in fields[:3]), req=fields[0].replace("_", " "),
            scope=scope)
        props, req = [], []
        if verb in ("get", "update", "delete"):
            props.append(prop(f"{res}_id", f"ID of the {noun}"))
            req.append(f"{res}_id")
        if verb in ("create", "update"):
            for f in fields:
                props.append(prop(f, f"The {noun}'s {f.replace('_', ' ')}"))
            if verb == "create":
                req.append(fields[0])
        if verb == "search":
            props.append(prop("query", "Search text"))
            req.append("query")
        if verb in ("list", "search"):
            props.append(prop("limit", "Maximum number of results", "integer"))
            props.append(prop("cursor", "Pagination cursor from a previous call"))
        name = tool_name(svc["style"], svc["ns"], verb, res, plural)
        t = {"name": name, "description": desc, "inputSchema": schema(props, req)}
        if verb == "delete":
            t["annotations"] = {"destructiveHint": True}
        out.append(t)
    return out


def extra_tools(svc):
    out = []
    for name, desc, params in svc.get("extras", []):
        props = [prop(p.rstrip("?"), p.rstrip("?").replace("_", " ")) for p in params]
        req = [p for p in params if not p.endswith("?")]
        out.append({"name": name, "description": desc, "inputSchema": schema(props, req)})
    return out


def R(res, plural, noun, fields, verbs="list get create update delete", scope="", plural_words=None):
    r = {"res": res, "plural": plural, "noun": noun, "fields": fields, "verbs": verbs.split(), "scope": scope}
    if plural_words:
        r["plural_words"] = plural_words
    return r


SERVICES = json.load(open(os.path.join(HERE, "services.json")))


def build(svc):
    resources = [R(**r) for r in svc["resources"]]
    svc = dict(svc, extras=[tuple(e) for e in svc.get("extras", [])])
    tools = []
    for r in resources:
        tools += crud_tools(svc, r)
    tools += extra_tools(svc)
    seen = set()
    for t in tools:
        assert t["name"] not in seen, (svc["ns"], t["name"])
        seen.add(t["name"])
    return tools


def main():
    total = 0
    for svc in SERVICES:
        tools = build(svc)
        total += len(tools)
        with open(os.path.join(HERE, svc["ns"] + ".tools.json"), "w") as f:
            json.dump({"tools": tools}, f, indent=1, sort_keys=True)
            f.write("\n")
    print(f"{len(SERVICES)} services, {total} tools")


if __name__ == "__main__":
    main()
