// A backup file: tar (a manifest first, then the files) → gzip → age encryption, streamed, so a
// large home never sits in memory. age is the standard format: the owner can also open a backup
// with the `age` tool (`age -d -i key.txt FILE | tar -xz`). Extraction takes nothing but the
// regular files the manifest names, by plain relative paths.
import { createReadStream, createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { Decrypter, Encrypter } from "age-encryption";
import tar from "tar-stream";
import type { ManifestFile } from "./snapshot.ts";
import { sha256File } from "./snapshot.ts";

export const MANIFEST = "seed-backup.json";

export type Manifest = {
  format: "seed-backup";
  formatVersion: 1;
  seedVersion: string;
  seedId: string;
  createdAt: string;
  files: ManifestFile[];
};

export type Sealing = { recipients: string[] } | { passphrase: string };
export type Opening = { identities: string[] } | { passphrase: string };

export class BackupFormatError extends Error {}

export async function writeArchive(stageDir: string, manifest: Manifest, out: string, sealing: Sealing): Promise<void> {
  const pack = tar.pack();
  const enc = new Encrypter();
  if ("passphrase" in sealing) enc.setPassphrase(sealing.passphrase);
  else for (const r of sealing.recipients) enc.addRecipient(r);
  const feeding = (async () => {
    const json = Buffer.from(JSON.stringify(manifest, null, 2));
    pack.entry({ name: MANIFEST, size: json.length, mode: 0o600 }, json);
    for (const f of manifest.files) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name: f.path, size: f.bytes, mode: 0o600 }, (err) => (err ? reject(err) : resolve()));
        createReadStream(path.join(stageDir, f.path)).on("error", reject).pipe(entry);
      });
    }
    pack.finalize();
  })();
  const gz = Readable.toWeb(pack.pipe(createGzip())) as ReadableStream<Uint8Array>;
  const sealed = await enc.encrypt(gz);
  await Promise.all([feeding, pipeline(Readable.fromWeb(sealed as import("node:stream/web").ReadableStream<Uint8Array>), createWriteStream(out, { mode: 0o600, flags: "wx" }))]);
}

function safeName(name: string): boolean {
  return !path.isAbsolute(name) && !name.split("/").some((s) => s === ".." || s === "." || s === "") && !name.includes("\0") && !name.includes("\\");
}

/** Decrypts and unpacks `file` into `dir`, checking every file against the manifest. */
export async function readArchive(file: string, dir: string, opening: Opening): Promise<Manifest> {
  const dec = new Decrypter();
  if ("passphrase" in opening) dec.addPassphrase(opening.passphrase);
  else for (const i of opening.identities) dec.addIdentity(i);
  let plain: ReadableStream<Uint8Array>;
  try {
    plain = await dec.decrypt(Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>);
  } catch (err) {
    throw new BackupFormatError(`cannot open ${file}: ${(err as Error).message} (wrong passphrase or key, or not a seed backup)`);
  }
  const extract = tar.extract();
  let manifest: Manifest | null = null;
  const seen = new Set<string>();
  extract.on("entry", (header, stream, next) => {
    const fail = (msg: string) => {
      stream.resume();
      extract.destroy(new BackupFormatError(msg));
    };
    if (header.type !== "file" || !safeName(header.name)) return fail(`unexpected entry ${JSON.stringify(header.name)} (${header.type})`);
    if (header.name === MANIFEST) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        try {
          const m = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Manifest;
          if (m.format !== "seed-backup" || m.formatVersion !== 1 || !Array.isArray(m.files)) throw new Error("not a seed backup manifest");
          manifest = m;
          next();
        } catch (err) {
          extract.destroy(new BackupFormatError((err as Error).message));
        }
      });
      return;
    }
    const wanted = manifest?.files.find((f) => f.path === header.name);
    if (!manifest) return fail("the manifest is not the first entry");
    if (!wanted || seen.has(header.name)) return fail(`${header.name} is not in the manifest (or twice)`);
    seen.add(header.name);
    const dst = path.join(dir, header.name);
    mkdirSync(path.dirname(dst), { recursive: true, mode: 0o700 });
    pipeline(stream, createWriteStream(dst, { mode: 0o600, flags: "wx" })).then(() => next(), (err) => extract.destroy(err));
  });
  try {
    await pipeline(Readable.fromWeb(plain as import("node:stream/web").ReadableStream<Uint8Array>), createGunzip(), extract as unknown as Writable);
  } catch (err) {
    if (err instanceof BackupFormatError) throw err;
    throw new BackupFormatError(`${file} is damaged: ${(err as Error).message}`);
  }
  if (!manifest) throw new BackupFormatError(`${file} holds no manifest`);
  const m = manifest as Manifest;
  for (const f of m.files) {
    if (!seen.has(f.path)) throw new BackupFormatError(`${f.path} is missing from the archive`);
    const sum = await sha256File(path.join(dir, f.path));
    if (sum !== f.sha256) throw new BackupFormatError(`${f.path} does not match its checksum`);
  }
  return m;
}
