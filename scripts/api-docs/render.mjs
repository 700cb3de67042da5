// Renders docs/api.md from a buf image in JSON form (`buf build -o -#format=json`): every ketenhub
// package's services, messages and enums with the comments written in the protos. Output depends only on
// the image and the hand-written section in other-languages.md, so regenerating an unchanged contract gives the same
// bytes.
//
// Usage: node scripts/api-docs/render.mjs <image.json>   (writes Markdown to stdout)

import { readFileSync } from "node:fs";

const OWN_PACKAGE = /^ketenhub\.v\d+(?:(?:alpha|beta)\d*)?$/;

// Field numbers of the descriptor messages, used to find comments in SourceCodeInfo.
const FILE_MESSAGE = 4;
const FILE_ENUM = 5;
const FILE_SERVICE = 6;
const MESSAGE_FIELD = 2;
const MESSAGE_NESTED = 3;
const MESSAGE_ENUM = 4;
const MESSAGE_ONEOF = 8;
const ENUM_VALUE = 2;
const SERVICE_METHOD = 2;

const SCALARS = {
  TYPE_DOUBLE: "double",
  TYPE_FLOAT: "float",
  TYPE_INT64: "int64",
  TYPE_UINT64: "uint64",
  TYPE_INT32: "int32",
  TYPE_FIXED64: "fixed64",
  TYPE_FIXED32: "fixed32",
  TYPE_BOOL: "bool",
  TYPE_STRING: "string",
  TYPE_BYTES: "bytes",
  TYPE_UINT32: "uint32",
  TYPE_SFIXED32: "sfixed32",
  TYPE_SFIXED64: "sfixed64",
  TYPE_SINT32: "sint32",
  TYPE_SINT64: "sint64",
};

function main() {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write("usage: node scripts/api-docs/render.mjs <image.json>\n");
    process.exit(2);
  }
  const image = JSON.parse(readFileSync(path, "utf8"));
  process.stdout.write(render(image));
}

export function render(image) {
  const files = (image.file ?? [])
    .filter((f) => OWN_PACKAGE.test(f.package ?? ""))
    .sort((a, b) => compare(a.package, b.package) || compare(a.name, b.name));
  const sections = files.map((file) => {
    const section = { file: file.name, pkg: file.package, services: [], messages: [], enums: [] };
    collect(file, section);
    return section;
  });
  const known = new Set();
  for (const section of sections) {
    for (const item of [...section.messages, ...section.enums]) known.add(item.fullName);
  }

  const out = [];
  out.push("# Ketenhub API reference");
  out.push("");
  out.push("<!-- Generated from the comments in protos/ by `bash scripts/gen-api-docs.sh`. Do not edit by hand. -->");
  out.push("");
  out.push("Generated from the comments in `protos/`; regenerate with `bash scripts/gen-api-docs.sh`.");
  out.push("Every call's errors are described in [errors.md](errors.md). Types are listed per proto file, in the");
  out.push("order the file declares them.");
  out.push("");
  // A hand-written section (scripts/api-docs/other-languages.md): clients built from the protos alone.
  out.push(readFileSync(new URL("./other-languages.md", import.meta.url), "utf8").trimEnd());
  out.push("");

  out.push("## Contents");
  out.push("");
  for (const section of sections) {
    const items = [
      ...section.services.map((s) => link(s.fullName, s.name)),
      ...section.messages.map((m) => link(m.fullName, m.displayName)),
      ...section.enums.map((e) => link(e.fullName, e.displayName)),
    ];
    out.push(`- [\`${section.file}\`](#${slug(section.file)}) (\`${section.pkg}\`): ${items.join(", ")}`);
  }
  out.push("");

  for (const section of sections) {
    out.push(`## ${section.file}`);
    out.push("");
    out.push(`Package \`${section.pkg}\`.`);
    out.push("");
    for (const service of section.services) {
      heading(out, service.fullName);
      paragraph(out, service.comment);
      for (const method of service.methods) {
        out.push(`#### ${method.name}`);
        out.push("");
        const input = typeRef(method.inputType, known);
        const output = typeRef(method.outputType, known);
        const clientStream = method.clientStreaming ? "stream " : "";
        const serverStream = method.serverStreaming ? "stream " : "";
        out.push(`\`rpc ${method.name}(${clientStream}${plain(method.inputType)}) returns (${serverStream}${plain(method.outputType)})\``);
        out.push("");
        out.push(`Request: ${method.clientStreaming ? "a stream of " : ""}${input}. Response: ${method.serverStreaming ? "a stream of " : ""}${output}.`);
        out.push("");
        paragraph(out, method.comment);
      }
    }

    for (const message of section.messages) {
      heading(out, message.fullName);
      paragraph(out, message.comment);
      if (message.fields.length === 0) {
        out.push("No fields.");
        out.push("");
        continue;
      }
      out.push("| Field | Number | Type | Behaviour | Description |");
      out.push("| --- | --- | --- | --- | --- |");
      for (const field of message.fields) {
        let description = cell(field.comment);
        if (field.oneof) {
          description = `${description}${description ? " " : ""}Part of oneof \`${field.oneof}\`.`;
        }
        const behavior = field.behavior.map((b) => `\`${b}\``).join(", ");
        out.push(`| \`${field.name}\` | ${field.number} | ${fieldType(field, message, known)} | ${behavior} | ${description} |`);
      }
      out.push("");
      for (const oneof of message.oneofs) {
        if (oneof.comment) {
          out.push(`Oneof \`${oneof.name}\`: ${cell(oneof.comment)}`);
          out.push("");
        }
      }
    }

    for (const en of section.enums) {
      heading(out, en.fullName);
      paragraph(out, en.comment);
      out.push("| Value | Number | Description |");
      out.push("| --- | --- | --- |");
      for (const value of en.values) {
        out.push(`| \`${value.name}\` | ${value.number} | ${cell(value.comment)} |`);
      }
      out.push("");
    }
  }

  return out.join("\n").replace(/\n+$/, "") + "\n";
}

function collect(file, section) {
  const comments = new Map();
  for (const location of file.sourceCodeInfo?.location ?? []) {
    const text = [location.leadingComments, location.trailingComments].filter(Boolean).map(clean).filter(Boolean).join("\n\n");
    if (text) comments.set((location.path ?? []).join("."), text);
  }
  const comment = (path) => comments.get(path.join(".")) ?? "";

  const addEnum = (en, path, scope) => {
    const fullName = `${scope}.${en.name}`;
    section.enums.push({
      fullName,
      displayName: fullName.slice(file.package.length + 1),
      comment: comment(path),
      values: (en.value ?? []).map((v, i) => ({ name: v.name, number: v.number ?? 0, comment: comment([...path, ENUM_VALUE, i]) })),
    });
  };

  const addMessage = (message, path, scope) => {
    const fullName = `${scope}.${message.name}`;
    const nested = message.nestedType ?? [];
    const mapEntries = new Map();
    nested.forEach((n, i) => {
      if (n.options?.mapEntry) {
        mapEntries.set(`${fullName}.${n.name}`, n);
      } else {
        addMessage(n, [...path, MESSAGE_NESTED, i], fullName);
      }
    });
    (message.enumType ?? []).forEach((e, i) => addEnum(e, [...path, MESSAGE_ENUM, i], fullName));
    const oneofs = (message.oneofDecl ?? []).map((o, i) => ({ name: o.name, comment: comment([...path, MESSAGE_ONEOF, i]) }));
    const fields = (message.field ?? []).map((f, i) => ({
      name: f.name,
      number: f.number ?? 0,
      label: f.label,
      type: f.type,
      typeName: f.typeName,
      proto3Optional: Boolean(f.proto3Optional),
      oneof: f.oneofIndex !== undefined && !f.proto3Optional ? oneofs[f.oneofIndex]?.name : undefined,
      comment: comment([...path, MESSAGE_FIELD, i]),
      // google.api.field_behavior values and a google.api.field_info format, as the contract declares them.
      behavior: [...(f.options?.["[google.api.field_behavior]"] ?? []), ...(f.options?.["[google.api.field_info]"]?.format ? [f.options["[google.api.field_info]"].format] : [])],
    }));
    const realOneofs = oneofs.filter((o) => fields.some((f) => f.oneof === o.name));
    section.messages.push({
      fullName,
      displayName: fullName.slice(file.package.length + 1),
      comment: comment(path),
      fields,
      oneofs: realOneofs,
      mapEntries,
    });
  };

  (file.messageType ?? []).forEach((m, i) => addMessage(m, [FILE_MESSAGE, i], file.package));
  (file.enumType ?? []).forEach((e, i) => addEnum(e, [FILE_ENUM, i], file.package));
  (file.service ?? []).forEach((s, i) => {
    section.services.push({
      name: s.name,
      fullName: `${file.package}.${s.name}`,
      comment: comment([FILE_SERVICE, i]),
      methods: (s.method ?? []).map((m, j) => ({
        name: m.name,
        inputType: m.inputType,
        outputType: m.outputType,
        clientStreaming: Boolean(m.clientStreaming),
        serverStreaming: Boolean(m.serverStreaming),
        comment: comment([FILE_SERVICE, i, SERVICE_METHOD, j]),
      })),
    });
  });
}

function fieldType(field, message, known) {
  const base = (f) => (f.type === "TYPE_MESSAGE" || f.type === "TYPE_ENUM" || f.type === "TYPE_GROUP" ? typeRef(f.typeName, known) : `\`${SCALARS[f.type] ?? f.type}\``);
  if (field.label === "LABEL_REPEATED" && field.type === "TYPE_MESSAGE") {
    const entry = message.mapEntries.get(field.typeName.replace(/^\./, ""));
    if (entry) {
      const [key, value] = entry.field;
      return `map<${base(key)}, ${base(value)}>`;
    }
  }
  if (field.label === "LABEL_REPEATED") return `repeated ${base(field)}`;
  if (field.proto3Optional) return `optional ${base(field)}`;
  return base(field);
}

function typeRef(typeName, known) {
  const name = typeName.replace(/^\./, "");
  return known.has(name) ? link(name, name.replace(/^ketenhub\.v\w+\./, "")) : `\`${name}\``;
}

function plain(typeName) {
  return typeName.replace(/^\./, "").replace(/^ketenhub\.v\w+\./, "");
}

function link(fullName, text) {
  return `[\`${text}\`](#${slug(fullName)})`;
}

function heading(out, fullName) {
  out.push(`### ${fullName}`);
  out.push("");
}

// The anchor GitHub and most Markdown renderers give a heading: lower case, punctuation dropped,
// spaces turned into hyphens.
function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

function paragraph(out, text) {
  if (!text) return;
  out.push(text);
  out.push("");
}

// Proto comments keep their leading space per line; drop it and trailing blanks.
function clean(comment) {
  return comment
    .split("\n")
    .map((line) => line.replace(/^ /, "").replace(/\s+$/, ""))
    .join("\n")
    .trim();
}

// A table cell: one line, pipes escaped.
function cell(text) {
  return text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|").trim();
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main();
}
