// A Java client generated from protos/ketenhub/v1 alone, with no generator flags: `protoc --java_out` must succeed
// and put every file in the package the protos declare (`java_package` nl.ketenhub.v1, `java_multiple_files`).
// Compiling and running such a client (with Debian's protoc, grpc-java plugin and runtime jars, which match each
// other's versions) is tests/Ketenhub.Hub.ProcessTests/JavaClientTests.cs.
//
// protoc comes from the Grpc.Tools NuGet package the C# contracts build with (PROTOC overrides it); the google/*
// imports from .build/third_party (scripts/proto-tools.sh) and Grpc.Tools' well-known types.
//
// Run: node --test scripts/tests/   (scripts/test.sh does, after the .NET build and staging .build/third_party).

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const thirdParty = join(repoRoot, ".build/third_party");
const protoDir = join(repoRoot, "protos/ketenhub/v1");

function findProtoc() {
  if (process.env.PROTOC) {
    return { protoc: process.env.PROTOC, include: process.env.PROTOC_INCLUDE };
  }
  const tools = join(process.env.NUGET_PACKAGES ?? join(homedir(), ".nuget/packages"), "grpc.tools");
  const versions = existsSync(tools) ? readdirSync(tools).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })) : [];
  for (const version of versions.reverse()) {
    const protoc = join(tools, version, "tools/linux_x64/protoc");
    if (existsSync(protoc)) {
      return { protoc, include: join(tools, version, "build/native/include") };
    }
  }
  throw new Error(`protoc not found under ${tools}; restore src/Clients/Ketenhub.Contracts (dotnet restore) or set PROTOC.`);
}

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test("protoc --java_out generates every file in the declared java_package, from the protos alone", () => {
  assert.ok(existsSync(join(thirdParty, "google/type/date.proto")), "run scripts/test.sh once: it stages .build/third_party");
  const { protoc, include } = findProtoc();
  const out = mkdtempSync(join(tmpdir(), "ketenhub-java-"));
  try {
    const protos = readdirSync(protoDir).filter((f) => f.endsWith(".proto")).map((f) => join(protoDir, f));
    const args = ["-I", join(repoRoot, "protos"), "-I", thirdParty, ...(include ? ["-I", include] : []), `--java_out=${out}`, ...protos];
    const result = spawnSync(protoc, args, { encoding: "utf8" });
    assert.equal(result.status, 0, `protoc failed:\n${result.stderr}`);

    const files = filesUnder(out).map((f) => relative(out, f));
    assert.ok(files.length > 0, "protoc wrote no Java files");
    const outside = files.filter((f) => dirname(f) !== join("nl", "ketenhub", "v1"));
    assert.deepEqual(outside, [], "every generated file lies in nl/ketenhub/v1");
    for (const file of files) {
      assert.match(readFileSync(join(out, file), "utf8"), /^package nl\.ketenhub\.v1;$/m, `${file} declares package nl.ketenhub.v1`);
    }
    // java_multiple_files: one file per top-level message, enum and service, not one per .proto.
    for (const type of ["Delivery", "ErrorReason", "Consent", "Referral", "RecipientDecision"]) {
      assert.ok(files.includes(join("nl", "ketenhub", "v1", `${type}.java`)), `${type}.java is generated on its own`);
    }

  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
