// Tests of scripts/check-sdk-package.sh: the package check uses a package folder and NuGet settings of its own, so
// what a user's machine holds cannot pass or fail it. After the install steps in docs/clients.md the global package folder
// holds Ketenhub.Client; here a global package folder (NUGET_PACKAGES) holds a broken copy of both Ketenhub
// packages, at the version under test.
//
// Needs the Release build of the solution (scripts/test.sh builds it before it runs these tests).
// Run: node --test scripts/tests/

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const clientDll = join(repoRoot, "src/Clients/Ketenhub.Client/bin/Release/net10.0/Ketenhub.Client.dll");
if (!existsSync(clientDll)) {
  throw new Error(`${clientDll} not found; build the solution in Release first (scripts/test.sh does).`);
}

const version = /<Version>(.*)<\/Version>/.exec(readFileSync(join(repoRoot, "src/Clients/Ketenhub.Client/Ketenhub.Client.csproj"), "utf8"))[1];
const ownPackages = join(repoRoot, ".build/sdk-package-check/packages");

function check(env = {}) {
  const run = spawnSync("bash", ["scripts/check-sdk-package.sh"], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, DOTNET_NOLOGO: "1", DOTNET_CLI_TELEMETRY_OPTOUT: "1", ...env },
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

test("a global package folder holding Ketenhub packages of the same version does not affect the check", () => {
  const first = check();
  assert.equal(first.status, 0, first.output);

  // The global folder as the install steps in docs/clients.md leave it, but with the libraries gone from the copies.
  const global = mkdtempSync(join(tmpdir(), "ketenhub-global-packages-"));
  try {
    for (const id of ["ketenhub.client", "ketenhub.contracts"]) {
      cpSync(join(ownPackages, id), join(global, id), { recursive: true });
      rmSync(join(global, id, version, "lib"), { recursive: true });
    }

    const result = check({ NUGET_PACKAGES: global });

    assert.equal(result.status, 0, result.output);
    assert.match(result.output, new RegExp(`Ketenhub\\.Client ${version.replaceAll(".", "\\.")} and Ketenhub\\.Contracts .*: packed, installed and used`));
    assert.deepEqual(readdirSync(join(global, "ketenhub.client", version)).includes("lib"), false, "the check left the global folder alone");
  } finally {
    rmSync(global, { recursive: true, force: true });
  }
});
