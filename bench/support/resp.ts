// A minimal RESP2 client for the Redis anchor of the bus benchmark: commands in, replies out,
// pipelining by sending several commands before reading. Enough for XADD/XREADGROUP/XACK.
import net from "node:net";

export type Reply = string | number | null | Reply[] | Error;

export class Resp {
  readonly #sock: net.Socket;
  #buf = Buffer.alloc(0);
  readonly #queue: ((r: Reply) => void)[] = [];

  private constructor(sock: net.Socket) {
    this.#sock = sock;
    sock.setNoDelay(true);
    sock.on("data", (d) => {
      this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d;
      for (;;) {
        const parsed = parse(this.#buf, 0);
        if (!parsed) break;
        this.#buf = this.#buf.subarray(parsed.end);
        this.#queue.shift()!(parsed.value);
      }
    });
  }

  static connect(port: number): Promise<Resp> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ port, host: "127.0.0.1" }, () => resolve(new Resp(s)));
      s.once("error", reject);
    });
  }

  send(...args: (string | number)[]): Promise<Reply> {
    return this.pipeline([args])[0]!;
  }

  pipeline(commands: (string | number)[][]): Promise<Reply>[] {
    let out = "";
    const replies = commands.map((args) => {
      out += `*${args.length}\r\n`;
      for (const a of args) {
        const s = String(a);
        out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
      }
      return new Promise<Reply>((resolve) => this.#queue.push(resolve));
    });
    this.#sock.write(out);
    return replies;
  }

  close(): void {
    this.#sock.end();
  }
}

function parse(buf: Buffer, at: number): { value: Reply; end: number } | null {
  const nl = buf.indexOf("\r\n", at);
  if (nl < 0) return null;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString("utf8", at + 1, nl);
  switch (type) {
    case "+":
      return { value: line, end: nl + 2 };
    case "-":
      return { value: new Error(line), end: nl + 2 };
    case ":":
      return { value: Number(line), end: nl + 2 };
    case "$": {
      const len = Number(line);
      if (len < 0) return { value: null, end: nl + 2 };
      if (buf.length < nl + 2 + len + 2) return null;
      return { value: buf.toString("utf8", nl + 2, nl + 2 + len), end: nl + 2 + len + 2 };
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return { value: null, end: nl + 2 };
      const items: Reply[] = [];
      let pos = nl + 2;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, pos);
        if (!item) return null;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`unexpected RESP type ${type}`);
  }
}
