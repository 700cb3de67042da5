// Tests of scripts/check-contract-compat.sh (`buf breaking` against the last contract release): each test
// builds a throwaway git repository holding this repository's protos, buf.yaml and the check, tags a
// release, changes the protos and runs the real script with the real buf.
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

// A git repository with the current contract, committed on `main`; no tags.
function fixture() {
  const dir = mkdtempSync(join(tmpdir(), "ketenhub-contract-"));
  temps.push(dir);
  cpSync(join(repoRoot, "protos"), join(dir, "protos"), { recursive: true });
  cpSync(join(repoRoot, "buf.yaml"), join(dir, "buf.yaml"));
  mkdirSync(join(dir, "scripts"));
  for (const script of ["check-contract-compat.sh", "proto-tools.sh"]) {
    cpSync(join(repoRoot, "scripts", script), join(dir, "scripts", script));
  }
  writeFileSync(join(dir, ".gitignore"), ".build/\n");
  addThirdParty(dir);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "contracts@ketenhub.test");
  git(dir, "config", "user.name", "Contract test");
  git(dir, "config", "commit.gpgsign", "false");
  commit(dir, "contract");
  return dir;
}

function addThirdParty(dir) {
  cpSync(thirdParty, join(dir, ".build/third_party"), { recursive: true });
}

function commit(dir, message) {
  git(dir, "add", "--all");
  git(dir, "commit", "-q", "--allow-empty", "-m", message);
}

function release(dir, version) {
  git(dir, "tag", "-a", `contracts/v${version}`, "-m", `Contract release ${version}`);
}

function edit(dir, file, from, to) {
  const path = join(dir, "protos/ketenhub", file);
  const text = readFileSync(path, "utf8");
  assert.ok(text.includes(from), `${file} contains ${from}`);
  writeFileSync(path, text.replace(from, to));
}

function check(dir) {
  const run = spawnSync("bash", ["scripts/check-contract-compat.sh"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, BUF: buf, GIT_TERMINAL_PROMPT: "0" },
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
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
      .replace('"Ketenhub.Contracts.V1"', '"Ketenhub.Contracts.V2"');
    writeFileSync(join(v2, name), text);
  }
}

const renamePhone = ["v1/client.proto", "  string phone = 4;", "  string phone_number = 4;"];

test("without a release tag the check says so plainly and skips", () => {
  const dir = fixture();
  edit(dir, ...renamePhone);
  commit(dir, "rename");

  const result = check(dir);

  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /buf breaking: SKIPPED: no contract has been released yet/);
});

test("an unchanged contract passes", () => {
  const dir = fixture();
  release(dir, "1.0.0");

  const result = check(dir);

  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /protos\/ketenhub\/v1: no breaking changes/);
  assert.match(result.output, /buf breaking: OK \(1 package version\(s\) compatible with contracts\/v1\.0\.0\)/);
});

test("renaming a released field fails, in the working tree before any commit", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  edit(dir, ...renamePhone);

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /Field "4" on message "Coach" changed name from "phone" to "phone_number"/);
  assert.match(result.output, /protos\/ketenhub\/v1 has breaking changes against the released contract contracts\/v1\.0\.0/);
  assert.match(result.output, /new package version \(e\.g\. protos\/ketenhub\/v2/);
});

test("deleting a released field or a released file fails", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  edit(dir, "v1/client.proto", "  // The coach's work e-mail address.\n  string email = 5;\n", "");
  rmSync(join(dir, "protos/ketenhub/v1/routing.proto"));
  commit(dir, "remove");

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /Previously present field "5" with name "email" on message "Coach" was deleted/);
  assert.match(result.output, /Previously present file "ketenhub\/v1\/routing\.proto" was deleted/);
});

test("adding a field, a message and an enum value passes", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  edit(dir, "v1/client.proto", "  string email = 5;\n", "  string email = 5;\n  // The coach's team.\n  string team = 6;\n");
  edit(dir, "v1/common.proto", "  LIFE_DOMAIN_EDUCATION = 7;\n", "  LIFE_DOMAIN_EDUCATION = 7;\n  // Vrije tijd.\n  LIFE_DOMAIN_LEISURE = 8;\n");
  writeFileSync(
    join(dir, "protos/ketenhub/v1/note.proto"),
    'syntax = "proto3";\n\npackage ketenhub.v1;\n\noption csharp_namespace = "Ketenhub.Contracts.V1";\n\n// A note.\nmessage Note {\n  // Its text.\n  string text = 1;\n}\n',
  );
  commit(dir, "additions");

  const result = check(dir);

  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /buf breaking: OK/);
});

test("a breaking change in a new package version ketenhub.v2 passes, and v1 may then retire", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  addV2(dir);
  edit(dir, "v2/client.proto", "  string phone = 4;", "  string phone_number = 4;");
  commit(dir, "v2");

  const withBoth = check(dir);
  assert.equal(withBoth.status, 0, withBoth.output);

  rmSync(join(dir, "protos/ketenhub/v1"), { recursive: true });
  commit(dir, "retire v1");
  const retired = check(dir);
  assert.equal(retired.status, 0, retired.output);
  assert.match(retired.output, /protos\/ketenhub\/v1: retired \(removed; protos\/ketenhub\/v2 replaces it\)/);
});

test("removing a released package without a newer version fails", () => {
  const dir = fixture();
  release(dir, "1.0.0");
  rmSync(join(dir, "protos/ketenhub/v1"), { recursive: true });
  commit(dir, "gone");

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /protos\/ketenhub\/v1 was released in contracts\/v1\.0\.0 and is gone with no newer version/);
});

test("the newest release is the baseline, by version rather than by name", () => {
  const dir = fixture();
  release(dir, "1.2.0");
  edit(dir, "v1/client.proto", "  string email = 5;\n", "  string email = 5;\n  // The coach's team.\n  string team = 6;\n");
  commit(dir, "team");
  release(dir, "1.10.0");
  edit(dir, "v1/client.proto", "  // The coach's team.\n  string team = 6;\n", "");
  commit(dir, "no team");

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /against contracts\/v1\.10\.0/);
  assert.match(result.output, /Previously present field "6" with name "team"/);
});

test("a shallow clone without tags fetches the release tags from origin and still catches a break", () => {
  const origin = fixture();
  release(origin, "1.0.0");
  commit(origin, "after the release");
  const clone = mkdtempSync(join(tmpdir(), "ketenhub-clone-"));
  temps.push(clone);
  git(tmpdir(), "clone", "-q", "--depth", "1", "--no-tags", `file://${origin}`, clone);
  git(clone, "config", "user.email", "contracts@ketenhub.test");
  git(clone, "config", "user.name", "Contract test");
  assert.equal(git(clone, "tag", "--list"), "", "the clone starts without tags");
  addThirdParty(clone);
  edit(clone, ...renamePhone);

  const result = check(clone);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /fetching contract release tags from origin/);
  assert.match(result.output, /changed name from "phone" to "phone_number"/);
  assert.equal(git(clone, "tag", "--list"), "contracts/v1.0.0");
});

test("a clone whose origin has no release skips plainly", () => {
  const origin = fixture();
  const clone = mkdtempSync(join(tmpdir(), "ketenhub-clone-"));
  temps.push(clone);
  git(tmpdir(), "clone", "-q", "--depth", "1", "--no-tags", `file://${origin}`, clone);
  addThirdParty(clone);

  const result = check(clone);

  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /SKIPPED: no contract has been released yet/);
});

test("an unreachable origin fails instead of skipping", () => {
  const dir = fixture();
  git(dir, "remote", "add", "origin", join(tmpdir(), "ketenhub-no-such-origin"));

  const result = check(dir);

  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /could not fetch the contract release tags/);
});
