// A minimal WebSocket client over a raw TCP socket, for timing the server's close frame exactly.
// (Node's WebSocket reports `close` only once the TCP connection ends; workerd keeps a
// hibernatable socket's connection open after the server's close frame, so that event is late.)
import { randomBytes } from "node:crypto";
import net from "node:net";

export type RawSocket = {
  protocol: string | null;
  /** Resolves with the close code and the time the server's close frame arrived. */
  closeFrame: Promise<{ code: number; at: number }>;
  destroy: () => void;
  /** Text frames received so far, in order; `onText` is called for each new one. */
  texts: string[];
  onText: ((text: string) => void) | null;
  /** Sends one masked text frame (as a client must). */
  sendText: (text: string) => void;
};

export function openRawWebSocket(host: string, port: number, path: string, protocols: string[]): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let raw: RawSocket | null = null;
    let onClose!: (v: { code: number; at: number }) => void;
    const closeFrame = new Promise<{ code: number; at: number }>((r) => (onClose = r));
    sock.once("error", reject);
    sock.on("connect", () => {
      sock.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocols.join(", ")}\r\n\r\n`,
      );
    });
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        buf = buf.subarray(end + 4);
        if (!/^HTTP\/1\.1 101/.test(head)) return reject(new Error(`no upgrade: ${head.split("\r\n")[0]}`));
        upgraded = true;
        resolve(raw = {
          protocol: /sec-websocket-protocol: *([^\r\n]+)/i.exec(head)?.[1] ?? null,
          closeFrame,
          destroy: () => sock.destroy(),
          texts: [],
          onText: null,
          sendText: (text) => sock.write(maskedTextFrame(text)),
        });
      }
      // Server frames are unmasked: opcode, 7-bit (or 16-bit) length, payload.
      while (buf.length >= 2) {
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
        let offset = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          offset = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          offset = 10;
        }
        if (buf.length < offset + len) return;
        const payload = buf.subarray(offset, offset + len);
        buf = buf.subarray(offset + len);
        if (opcode === 8) onClose({ code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, at: Date.now() });
        if (opcode === 1 && raw) {
          const text = payload.toString("utf8");
          raw.texts.push(text);
          raw.onText?.(text);
        }
      }
    });
  });
}

function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const mask = randomBytes(4);
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.alloc(4);
  if (payload.length >= 126) {
    if (payload.length > 0xffff) throw new Error("frame too large for this test client");
    head[0] = 0x81;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(payload.length, 2);
  }
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, body]);
}
