// The built hub (Ketenhub.Hub.dll) as its own process on a free loopback port with a temporary data folder,
// as the C# process tests run it (tests/Ketenhub.Hub.ProcessTests/Infrastructure/HubProcess.cs).
// KETENHUB_HUB_DLL names the dll; by default the Release build under src/Hub/Ketenhub.Hub/bin.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createKetenhubClient } from "../src/index.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../..");

// Inherited settings that would change which endpoint, folder or environment the hub uses.
const isolatedPrefixes = [
  "ASPNETCORE_", "DOTNET_ENVIRONMENT", "DOTNET_URLS", "DOTNET_HTTP_PORTS", "DOTNET_HTTPS_PORTS",
  "URLS", "HTTP_PORTS", "HTTPS_PORTS", "Hub__", "Storage__", "Kestrel__", "Logging__", "Identity__",
];

export function hubDllPath(): string {
  const path = process.env.KETENHUB_HUB_DLL ?? join(repoRoot, "src/Hub/Ketenhub.Hub/bin/Release/net10.0/Ketenhub.Hub.dll");
  if (!existsSync(path)) {
    throw new Error(`The hub is not built at ${path}; run dotnet build src/Hub/Ketenhub.Hub -c Release (or set KETENHUB_HUB_DLL).`);
  }
  return path;
}

export class HubProcess {
  readonly dataDirectory: string;
  private readonly output: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  private constructor(readonly port: number) {
    this.dataDirectory = mkdtempSync(join(tmpdir(), "ketenhub-ts-"));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Everything the hub wrote to stdout and stderr. */
  get log(): string {
    return this.output.join("");
  }

  /** Starts the hub in Development (the `ketenhub-party` header identifies callers) and waits until it answers. */
  static async start(timeoutMs = 60_000): Promise<HubProcess> {
    const hub = new HubProcess(await freeLoopbackPort());
    hub.spawn();
    try {
      await hub.waitUntilServing(timeoutMs);
    } catch (error) {
      await hub.stop();
      throw error;
    }
    return hub;
  }

  private spawn(): void {
    const dll = hubDllPath();
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!isolatedPrefixes.some((prefix) => key.toUpperCase().startsWith(prefix.toUpperCase()))) {
        env[key] = value;
      }
    }
    Object.assign(env, {
      ASPNETCORE_ENVIRONMENT: "Development",
      Kestrel__Endpoints__Grpc__Url: this.baseUrl,
      Storage__DataDirectory: this.dataDirectory,
      Identity__DevelopmentHeader: "true",
      Logging__Console__FormatterOptions__ColorBehavior: "Disabled",
      DOTNET_DbgEnableMiniDump: "0",
    });
    const child = spawn(process.env.DOTNET_HOST_PATH || "dotnet", [dll], { cwd: dirname(dll), env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => this.output.push(chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => this.output.push(chunk));
    this.exited = new Promise((resolveExit) => child.on("exit", (code) => resolveExit(code)));
    this.child = child;
  }

  /** Polls a cheap call (ListParties) until the hub answers; fails at once if the process exits. */
  private async waitUntilServing(timeoutMs: number): Promise<void> {
    const probe = createKetenhubClient({ baseUrl: this.baseUrl, party: "sdd", retry: false, timeoutMs: 2000 });
    const deadline = Date.now() + timeoutMs;
    let last = "no answer yet";
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null) {
        throw new Error(`The hub exited with code ${this.child?.exitCode} before it served.\n--- hub output ---\n${this.log}`);
      }
      try {
        await probe.parties.listParties({});
        return;
      } catch (error) {
        last = String(error);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`The hub did not answer within ${timeoutMs} ms (last: ${last}).\n--- hub output ---\n${this.log}`);
  }

  /** Stops the hub (SIGTERM, SIGKILL after 15 s) and deletes its data folder. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDirectory, { recursive: true, force: true });
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
