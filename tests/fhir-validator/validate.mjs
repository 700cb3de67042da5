// Validates FHIR R4 JSON files offline with Medplum's validator and the R4 core definitions, independently of the
// .NET SDK that wrote them. Each file is validated as a whole and, for a Bundle, every entry's resource on its own.
// Medplum does not check codes against required value sets by itself: it collects the coded values of every
// required binding, and this script checks them against the value sets expanded from the R4 definitions.
//
// Usage: node validate.mjs <file-or-folder>...
// Prints one line per problem as `file: [resource] path: message` and a summary; exits 1 on any problem, 2 on misuse.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const { validate } = await import('./r4.mjs');

// --- files -------------------------------------------------------------------------------------------------------
const args = process.argv.slice(2);
if (args.length === 0) {
  console.error('usage: node validate.mjs <file-or-folder>...');
  process.exit(2);
}
const files = args.flatMap((a) =>
  statSync(a).isDirectory()
    ? readdirSync(a).filter((f) => f.endsWith('.json')).sort().map((f) => join(a, f))
    : [a],
);
if (files.length === 0) {
  console.error('no .json files given');
  process.exit(2);
}

let failed = 0;
let resources = 0;
for (const file of files) {
  const problems = [];
  let root;
  try {
    root = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    problems.push(`not JSON: ${e.message}`);
  }
  if (root) {
    validate(root, problems, `[${root.resourceType}]`);
    resources++;
    if (root.resourceType === 'Bundle') {
      for (const [i, entry] of (root.entry ?? []).entries()) {
        if (!entry.resource) continue;
        validate(entry.resource, problems, `[entry ${i} ${entry.resource.resourceType}]`);
        resources++;
      }
    }
  }
  for (const p of problems) console.log(`${file}: ${p}`);
  if (problems.length > 0) failed++;
}
console.log(`validated ${resources} resources in ${files.length} files: ${failed} files with problems`);
process.exit(failed > 0 ? 1 : 0);
