// The live TCP sockets of a process, read from /proc: /proc/<pid>/fd names the socket inodes the
// process holds, /proc/<pid>/net/tcp{,6} lists every socket of its network namespace by inode.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";

export type Endpoint = { ip: string; port: number };
export type TcpSocket = { inode: number; local: Endpoint; remote: Endpoint; state: string };

const STATES: Record<string, string> = {
  "01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2", "06": "TIME_WAIT",
  "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING", "0C": "NEW_SYN_RECV",
};

/** The kernel prints each 32-bit word of an address in host (little-endian) byte order. */
function wordsToBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(parseInt(word.slice(b, b + 2), 16));
  }
  return bytes;
}

export function decodeAddress(hex: string): string {
  const bytes = wordsToBytes(hex);
  if (bytes.length === 4) return bytes.join(".");
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is an IPv4 peer on a dual-stack socket.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join(".");
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

function endpoint(text: string): Endpoint {
  const [addr, port] = text.split(":");
  return { ip: decodeAddress(addr!), port: parseInt(port!, 16) };
}

/** Parses the text of /proc/<pid>/net/tcp or tcp6. */
export function parseProcNetTcp(text: string): TcpSocket[] {
  return text
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 10)
    .map((f) => ({ local: endpoint(f[1]!), remote: endpoint(f[2]!), state: STATES[f[3]!] ?? f[3]!, inode: Number(f[9]) }));
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1";
}

export function isUnspecified(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::";
}

/** The socket inodes among a process's open file descriptors. */
export function socketInodes(pid: number, procRoot = "/proc"): Set<number> {
  const out = new Set<number>();
  const dir = path.join(procRoot, String(pid), "fd");
  for (const fd of readdirSync(dir)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(path.join(dir, fd)));
      if (m) out.add(Number(m[1]));
    } catch {
      // the descriptor closed while we looked
    }
  }
  return out;
}

/** Every TCP socket (IPv4 and IPv6) the process holds. */
export function processSockets(pid: number, procRoot = "/proc"): TcpSocket[] {
  const inodes = socketInodes(pid, procRoot);
  const all: TcpSocket[] = [];
  for (const table of ["tcp", "tcp6"]) {
    try {
      all.push(...parseProcNetTcp(readFileSync(path.join(procRoot, String(pid), "net", table), "utf8")));
    } catch {
      // no IPv6 on this kernel
    }
  }
  return all.filter((s) => s.inode !== 0 && inodes.has(s.inode));
}

export type Connections = {
  listening: Endpoint[];
  /** Peers that connected to one of the process's listening ports. */
  inbound: (TcpSocket & { remoteLoopback: boolean })[];
  /** Connections the process opened itself. */
  outbound: (TcpSocket & { remoteLoopback: boolean })[];
};

export function classify(sockets: TcpSocket[]): Connections {
  const listening = sockets.filter((s) => s.state === "LISTEN").map((s) => s.local);
  const ports = new Set(listening.map((l) => l.port));
  const live = sockets.filter((s) => s.state !== "LISTEN" && !(isUnspecified(s.remote.ip) && s.remote.port === 0));
  const tag = (s: TcpSocket) => ({ ...s, remoteLoopback: isLoopback(s.remote.ip) });
  return {
    listening,
    inbound: live.filter((s) => ports.has(s.local.port)).map(tag),
    outbound: live.filter((s) => !ports.has(s.local.port)).map(tag),
  };
}
