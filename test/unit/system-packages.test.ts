// The Debian-package helper: finds commands on PATH, names what is missing, fails tests clearly.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { missingPackages, requireCommand, which, type SystemPackage } from "../../scripts/cli/system-packages.ts";
import { tempDir } from "../support/seed-home.ts";

describe("system packages", () => {
  const dir = path.join(tempDir(), "bin dir");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "present-tool"), "#!/bin/sh\n");
  chmodSync(path.join(dir, "present-tool"), 0o755);
  writeFileSync(path.join(dir, "not-executable"), "");

  it("finds executables on PATH only", () => {
    expect(which("present-tool", dir)).toBe(path.join(dir, "present-tool"));
    expect(which("not-executable", dir)).toBeNull();
    expect(which("absent-tool", dir)).toBeNull();
  });

  it("lists the missing packages of one purpose", () => {
    const pkgs: SystemPackage[] = [
      { name: "a", command: "sh", for: ["test"], why: "" },
      { name: "b", command: "no-such-command-here", for: ["test"], why: "" },
      { name: "c", command: "no-such-command-either", for: ["bench"], why: "" },
    ];
    expect(missingPackages("test", pkgs).map((p) => p.name)).toEqual(["b"]);
    expect(missingPackages("bench", pkgs).map((p) => p.name)).toEqual(["c"]);
  });

  it("requireCommand names the Debian package and how to install it", () => {
    expect(requireCommand("sh")).toMatch(/\/sh$/);
    expect(() => requireCommand("no-such-command-here")).toThrow(/needs `no-such-command-here`.*apt-get install/);
  });
});
