#!/usr/bin/env python3
"""Writes the hub's FHIR conformance package (src/Adapters/Ketenhub.Adapters.Fhir/Conformance) from the contract's
enums (protos/ketenhub/v1) and the hand-written resources in it.

One CodeSystem and one ValueSet per contract enum the FHIR adapter codes (the enum value's name in kebab case is the
code, the proto comment its definition), and the error reasons. The hand-written resources (the extension, the
profiles, the code systems that are no contract enum) are kept as they are. Run it after an enum in the contract
changes; the adapter's tests (ConformancePackageTests) fail until the package matches the code.

    python3 scripts/gen-fhir-conformance.py
"""
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTOS = os.path.join(ROOT, "protos", "ketenhub", "v1")
OUT = os.path.join(ROOT, "src", "Adapters", "Ketenhub.Adapters.Fhir", "Conformance")
BASE = "https://ketenhub.nl/fhir/"
VERSION = "1.0.0"

# Contract enum → title. The order is the package's order.
ENUMS = {
    "ServiceKind": "Services the hub refers to",
    "LifeDomain": "Life domains (leefgebieden)",
    "Purpose": "Purposes of processing",
    "DataCategory": "Data categories",
    "MessageType": "Message types",
    "TransitionKind": "Transitions between organisations",
    "SignalKind": "Kinds of signal",
    "SignalSeverity": "Severities of a signal",
    "TaskKind": "Kinds of coach task",
    "GrantorRole": "Who granted a consent",
    "PartyKind": "Kinds of party",
    "VolumeUnit": "Units of a referral's volume",
    "ReferralKind": "What a referral asks: care, or a toewijzing for its requester",
}


def kebab(pascal):
    out = []
    for i, c in enumerate(pascal):
        if c.isupper():
            if i > 0:
                out.append("-")
            out.append(c.lower())
        else:
            out.append(c)
    return "".join(out)


def pascal_of_value(value, prefix):
    # SERVICE_KIND_WAAKVLAM_SUPPORT → WaakvlamSupport, as protoc's C# generator names it.
    rest = value[len(prefix):] if value.startswith(prefix) else value
    return "".join(p[:1].upper() + p[1:].lower() for p in rest.split("_") if p)


def screaming(pascal):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", pascal).upper()


def read_enum(name):
    for file in sorted(os.listdir(PROTOS)):
        text = open(os.path.join(PROTOS, file), encoding="utf-8").read()
        m = re.search(r"^enum " + name + r" \{\n(.*?)^\}", text, re.S | re.M)
        if not m:
            continue
        values, comment = [], []
        for line in m.group(1).splitlines():
            line = line.strip()
            if line.startswith("//"):
                comment.append(line[2:].strip())
                continue
            v = re.match(r"([A-Z0-9_]+) = (\d+);", line)
            if v:
                values.append((v.group(1), int(v.group(2)), " ".join(comment)))
            comment = []
        return values
    raise SystemExit("enum not found: " + name)


def first_sentence(text):
    text = text.strip()
    m = re.match(r"(.+?\.)(\s|$)", text)
    return (m.group(1) if m else text) or None


def code_system(id_, name, title, description, concepts, content="complete"):
    cs = {
        "resourceType": "CodeSystem",
        "id": id_,
        "url": BASE + "CodeSystem/" + id_,
        "version": VERSION,
        "name": name,
        "title": title,
        "status": "active",
        "experimental": False,
        "publisher": "Ketenhub",
        "description": description,
        "caseSensitive": True,
        "valueSet": BASE + "ValueSet/" + id_,
        "content": content,
    }
    if content == "complete":
        cs["count"] = len(concepts)
        cs["concept"] = concepts
    return cs


def value_set(id_, name, title, description, includes):
    return {
        "resourceType": "ValueSet",
        "id": id_,
        "url": BASE + "ValueSet/" + id_,
        "version": VERSION,
        "name": name,
        "title": title,
        "status": "active",
        "experimental": False,
        "publisher": "Ketenhub",
        "description": description,
        "immutable": False,
        "compose": {"include": includes},
    }


def write(resource):
    path = os.path.join(OUT, resource["resourceType"] + "-" + resource["id"] + ".json")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(resource, f, ensure_ascii=False, indent=2)
        f.write("\n")


def main():
    for enum, title in ENUMS.items():
        prefix = screaming(enum) + "_"
        id_ = kebab(enum)
        concepts = []
        for value, number, comment in read_enum(enum):
            if number == 0:
                continue
            concept = {"code": kebab(pascal_of_value(value, prefix)), "display": value[len(prefix):].replace("_", " ").lower().capitalize()}
            if comment:
                concept["definition"] = comment
            concepts.append(concept)
        description = f"The contract's enum `{enum}` (protos/ketenhub/v1): each value's name without its prefix, in kebab case."
        write(code_system(id_, enum, title, description, concepts))
        write(value_set(id_, enum, title, "All codes of " + BASE + "CodeSystem/" + id_ + ".", [{"system": BASE + "CodeSystem/" + id_}]))

    concepts = []
    for value, number, comment in read_enum("ErrorReason"):
        if number == 0:
            continue
        concept = {"code": value, "display": value.replace("_", " ").lower().capitalize()}
        if comment:
            concept["definition"] = comment
        concepts.append(concept)
    write(code_system("error-reason", "ErrorReason", "Error reasons",
                      "The reasons the hub gives in OperationOutcome.issue.details, the same as ErrorInfo.reason in the gRPC contract (docs/errors.md).", concepts))
    write(value_set("error-reason", "ErrorReason", "Error reasons", "All codes of " + BASE + "CodeSystem/error-reason.", [{"system": BASE + "CodeSystem/error-reason"}]))


if __name__ == "__main__":
    main()
