// Tests of scripts/check-contract-compat.sh (`buf breaking` against the newest release image in protos/releases/)
// and scripts/cut-contract-release.sh: each test copies this repository's protos (without its releases), buf.yaml
// and both scripts into a throwaway folder, cuts releases there with the real script, changes the protos and runs
// the real check with the real buf. The check must never skip: every run is asserted not to print SKIPPED.
//
// Run: node --test scripts/tests/   (scripts/test.sh does, after it has installed buf and staged
// .build/third_party).

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const buf = process.env.BUF ?? join(repoRoot, ".build/tools/node_modules/.bin/buf");
const thirdParty = join(repoRoot, ".build/third_party");

for (const [what, path] of [["buf", buf], ["the staged google protos", join(thirdParty, "google/type/date.proto")]]) {
  if (!existsSync(path)) {
    throw new Error(`${what} not found at ${path}; run bash scripts/test.sh once (it installs buf and stages .build/third_party).`);
  }
}

const temps = [];
process.on("exit", () => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

function git(cwd, ...args) {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

// A folder with the current contract and no release; not a git repository.
function fixture() {
  const dir = mkdtempSync(join(tmpdir(), "ketenhub-contract-"));
  temps.push(dir);
  cpSync(join(repoRoot, "protos"), join(dir, "protos"), { recursive: true, filter: (source) => !source.includes(join("protos", "releases")) });
  cpSync(join(repoRoot, "buf.yaml"), join(dir, "buf.yaml"));
  mkdirSync(join(dir, "scripts"));
  for (const script of ["check-contract-compat.sh", "cut-contract-release.sh", "proto-tools.sh"]) {
    cpSync(join(repoRoot, "scripts", script), join(dir, "scripts", script));
  }
  writeFileSync(join(dir, ".gitignore"), ".build/\n");
  addThirdParty(dir);
  return dir;
}

function addThirdParty(dir) {
  cpSync(thirdParty, join(dir, ".build/third_party"), { recursive: true });
}

function run(dir, script, ...args) {
  const result = spawnSync("bash", [`scripts/${script}`, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, BUF: buf },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  assert.doesNotMatch(output, /SKIPPED/, `${script} never skips:\n${output}`);
  return { status: result.status, output };
}

const check = (dir) => run(dir, "check-contract-compat.sh");

function release(dir, version) {
  const cut = run(dir, "cut-contract-release.sh", version);
  assert.equal(cut.status, 0, cut.output);
  assert.ok(existsSync(join(dir, `protos/releases/v${version}.binpb`)), cut.output);
}

function edit(dir, file, from, to) {
  const path = join(dir, "protos/ketenhub", file);
  const text = readFileSync(path, "utf8");
  const found = from instanceof RegExp ? from.test(text) : text.includes(from);
  assert.ok(found, `${file} contains ${from}`);
  writeFileSync(path, text.replace(from, to));
}

// A copy of protos/ketenhub/v1 as package ketenhub.v2 in protos/ketenhub/v2.
function addV2(dir) {
  const v1 = join(dir, "protos/ketenhub/v1");
  const v2 = join(dir, "protos/ketenhub/v2");
  mkdirSync(v2);
  for (const name of readdirSync(v1)) {
    const text = readFileSync(join(v1, name), "utf8")
      .replace("package ketenhub.v1;", "package ketenhub.v2;")
      .replaceAll('import "ketenhub/v1/', 'import "ketenhub/v2/')
      .replace('"Ketenhub.Contracts.V1"', '"Ketenhub.Contracts.V2"')
      .replace('"ketenhub.nl/go/ketenhub/v1;ketenhubv1"', '"ketenhub.nl/go/ketenhub/v2;ketenhubv2"')
      .replace('"nl.ketenhub.v1"', '"nl.ketenhub.v2"');
    writeFileSync(join(v2, name), text);
  }
}

// Field edits match a field by its declaration up to the number, so options after it (field_behavior) do
// not matter.
const renamePhone = ["v1/client.proto", "  string phone = 4", "  string phone_number = 4"];
const emailField = /  \/\/ The coach's work e-mail address\.\n  string email = 5[^\n]*\n/;
const addTeam = ["v1/client.proto", "  // The coach's work e-mail address.\n", "  // The coach's team.\n  string team = 6;\n  // The coach's work e-mail address.\n"];

test("the repository carries a released contract, and the check compares with it", () => {
  const releases = readdirSync(join(repoRoot, "protos/releases")).filter((name) => /^v\d+\.\d+\.\d+\.binpb$/.test(name));
  assert.ok(releases.includes("v1.0.0.binpb"), `protos/releases holds ${releases.join(", ")}`);
  const table = readFileSync(join(repoRoot, "docs/contracts.md"), "utf8");
  for (const name of releases) {
    assert.match(table, new RegExp(`\\| \`${name.replace(".binpb", "").replaceAll(".", "\\.")}\` \\|`), `docs/contracts.md lists ${name}`);
  }

  const result = check(repoRoot);

  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /buf breaking: OK \(\d+ package version\(s\) compatible with v\d+\.\d+\.\d+\)/);
});

// The protos as v1.0.0 had them: without the generator options added after it (docs/contracts.md, "Exceptions").
const generatorOptions = [
  'option go_package = "ketenhub.nl/go/ketenhub/v1;ketenhubv1";\n',
  "option java_multiple_files = true;\n",
  'option java_package = "nl.ketenhub.v1";\n',
];
function withoutGeneratorOptions(dir) {
  const v1 = join(dir, "protos/ketenhub/v1");
  for (const name of readdirSync(v1).filter((n) => n.endsWith(".proto"))) {
    let text = readFileSync(join(v1, name), "utf8");
    for (const option of generatorOptions) {
      text = text.replace(option, "");
    }
    writeFileSync(join(v1, name), text);
  }
}
function withGeneratorOptions(dir) {
  const v1 = join(dir, "protos/ketenhub/v1");
  for (const name of readdirSync(v1).filter((n) => n.endsWith(".proto"))) {
    const text = readFileSync(join(v1, name), "utf8");
    writeFileSync(join(v1, name), text.replace('option csharp_namespace = "Ketenhub.Contracts.V1";\n', (line) => line + generatorOptions.join("")));
  }
}

test("the one exception lets exactly the generator options added after v1.0.0 through, and nothing else", () => {
  const dir = fixture();
  withoutGeneratorOptions(dir);
  release(dir, "1.0.0");
  withGeneratorOptions(dir);

  const added = check(dir);
  assert.equal(added.status, 0, added.output);
  assert.match(added.output, /finding\(s\) allowed by the documented exceptions for this release/);

  // Another value of an option is not the documented one: it fails.
  edit(dir, "v1/party.proto", '"nl.ketenhub.v1"', '"nl.ketenhub.other"');
  const other = check(dir);
  assert.equal(other.status, 1, other.output);
  assert.match(other.output, /java_package/);

  // Nor does the exception let any other break through.
  edit(dir, "v1/party.proto", '"nl.ketenhub.other"', '"nl.ketenhub.v1"');
  edit(dir, ...renamePhone);
  const renamed = check(dir);
  assert.equal(renamed.status, 1, renamed.output);
  assert.match(renamed.output, /changed name from "phone" to "phone_number"/);
});

test("the exception is tied to v1.0.0: against a later release without the options, adding them fails", () => {
  const dir = fixture();
  withoutGeneratorOptions(dir);
  release(dir, "1.1.0");
  withGeneratorOptions(dir);

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /FILE_SAME_GO_PACKAGE/);
});

test("without a release image the check fails instead of skipping", () => {
  const dir = fixture();

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /buf breaking cannot run: protos\/releases\/ holds no released contract/);
});

test("a release image buf cannot read fails the check", () => {
  const dir = fixture();
  mkdirSync(join(dir, "protos/releases"));
  writeFileSync(join(dir, "protos/releases/v1.0.0.binpb"), "not an image");

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /buf cannot read the release image protos\/releases\/v1\.0\.0\.binpb/);
});

test("an unchanged contract passes", () => {
  const dir = fixture();
  release(dir, "1.0.0");

  const result = check(dir);

  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /protos\/ketenhub\/v1: no breaking changes/);
  assert.match(result.output, /buf breaking: OK \(1 package version\(s\) compatible with v1\.0\.0\)/);
});

test("the release image is complete without the staged google protos", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  const files = execFileSync(buf, ["ls-files", "--include-imports", join(dir, "protos/releases/v1.0.0.binpb")], { encoding: "utf8" });

  assert.match(files, /^google\/type\/date\.proto$/m);
  assert.match(files, /^ketenhub\/v1\/client\.proto$/m);
});

test("renaming a released field fails", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  edit(dir, ...renamePhone);

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /Field "4" on message "Coach" changed name from "phone" to "phone_number"/);
  assert.match(result.output, /protos\/ketenhub\/v1 has breaking changes against the released contract v1\.0\.0/);
  assert.match(result.output, /new package version \(e\.g\. protos\/ketenhub\/v2/);
});

test("renaming a released RPC fails", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  edit(dir, "v1/client.proto", "rpc RegisterClient(RegisterClientRequest)", "rpc EnrolClient(RegisterClientRequest)");

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /Previously present RPC "RegisterClient" on service "ClientService" was deleted/);
});

test("deleting a released field or a released file fails", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  edit(dir, "v1/client.proto", emailField, "");
  rmSync(join(dir, "protos/ketenhub/v1/routing.proto"));

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /Previously present field "5" with name "email" on message "Coach" was deleted/);
  assert.match(result.output, /Previously present file "ketenhub\/v1\/routing\.proto" was deleted/);
});

test("adding a field, a message, an enum value and an RPC passes", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  edit(dir, ...addTeam);
  edit(dir, "v1/common.proto", "  LIFE_DOMAIN_EDUCATION = 7;\n", "  LIFE_DOMAIN_EDUCATION = 7;\n  // Vrije tijd.\n  LIFE_DOMAIN_LEISURE = 8;\n");
  writeFileSync(
    join(dir, "protos/ketenhub/v1/note.proto"),
    'syntax = "proto3";\n\npackage ketenhub.v1;\n\noption csharp_namespace = "Ketenhub.Contracts.V1";\n\n' +
      "// Notes.\nservice NoteService {\n  // Adds a note.\n  rpc AddNote(AddNoteRequest) returns (AddNoteResponse);\n}\n\n" +
      "// A note.\nmessage AddNoteRequest {\n  // Its text.\n  string text = 1;\n}\n\n// Nothing.\nmessage AddNoteResponse {}\n",
  );

  const result = check(dir);

  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /buf breaking: OK/);
});

test("a breaking change in a new package version ketenhub.v2 passes, and v1 may then retire", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  addV2(dir);
  edit(dir, "v2/client.proto", "  string phone = 4", "  string phone_number = 4");

  const withBoth = check(dir);
  assert.equal(withBoth.status, 0, withBoth.output);

  rmSync(join(dir, "protos/ketenhub/v1"), { recursive: true });
  const retired = check(dir);
  assert.equal(retired.status, 0, retired.output);
  assert.match(retired.output, /protos\/ketenhub\/v1: retired \(removed; protos\/ketenhub\/v2 replaces it\)/);
});

test("removing a released package without a newer version fails", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  rmSync(join(dir, "protos/ketenhub/v1"), { recursive: true });

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /protos\/ketenhub\/v1 was released in v1\.0\.0 and is gone with no newer version/);
});

test("the newest release is the baseline, by version rather than by name", () => {
  const dir = fixture();
  release(dir, "1.2.0");
  edit(dir, ...addTeam);
  release(dir, "1.10.0");
  edit(dir, "v1/client.proto", "  // The coach's team.\n  string team = 6;\n", "");

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /against the released contract v1\.10\.0/);
  assert.match(result.output, /Previously present field "6" with name "team"/);
});

test("cutting a release refuses an existing or older version, and a release incompatible with the last one", () => {
  const dir = fixture();
  release(dir, "1.1.0");

  const again = run(dir, "cut-contract-release.sh", "1.1.0");
  assert.equal(again.status, 1, again.output);
  assert.match(again.output, /v1\.1\.0\.binpb exists; a release is never changed/);

  const older = run(dir, "cut-contract-release.sh", "1.0.5");
  assert.equal(older.status, 1, older.output);
  assert.match(older.output, /v1\.0\.5 is not newer than the newest release, v1\.1\.0/);

  edit(dir, ...renamePhone);
  const breaking = run(dir, "cut-contract-release.sh", "1.2.0");
  assert.equal(breaking.status, 1, breaking.output);
  assert.ok(!existsSync(join(dir, "protos/releases/v1.2.0.binpb")), "no release is written");

  const badVersion = run(dir, "cut-contract-release.sh", "1.2");
  assert.equal(badVersion.status, 2, badVersion.output);
});

test("a shallow clone without tags has its baseline and catches a break", () => {
  const origin = fixture();
  release(origin, "1.0.0");
  git(origin, "init", "-q", "-b", "main");
  git(origin, "config", "user.email", "contracts@ketenhub.test");
  git(origin, "config", "user.name", "Contract test");
  git(origin, "config", "commit.gpgsign", "false");
  git(origin, "add", "--all");
  git(origin, "commit", "-q", "-m", "contract and its first release");
  const clone = mkdtempSync(join(tmpdir(), "ketenhub-clone-"));
  temps.push(clone);
  git(tmpdir(), "clone", "-q", "--depth", "1", "--no-tags", `file://${origin}`, clone);
  assert.equal(git(clone, "tag", "--list"), "", "the clone has no tags");
  addThirdParty(clone);
  edit(clone, ...renamePhone);

  const result = check(clone);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /changed name from "phone" to "phone_number"/);
});
