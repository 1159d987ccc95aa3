// A raw GDB remote-protocol client for the hostile stub tests: it sends
// whatever bytes a test gives it (malformed, oversized, junk) and reads the
// stub's packets back, with no gdb in between.
import { connect, type Socket } from "node:net";
import { checksum } from "../../src/gdb/rsp.ts";

export class RspClient {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  /** Acks (+/-) the stub sent, in order. */
  readonly acks: string[] = [];
  ended = false;

  private constructor(readonly sock: Socket) {
    sock.on("data", (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.wake?.(); });
    const end = (): void => { this.ended = true; this.wake?.(); };
    sock.on("end", end);
    sock.on("close", end);
    sock.on("error", end);
  }

  static connect(port: number): Promise<RspClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new RspClient(s)));
      s.once("error", reject);
    });
  }

  write(data: string | Uint8Array): void {
    this.sock.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Sends one well-formed packet. */
  send(data: string): void {
    this.write(`$${data}#${checksum(data)}`);
  }

  /** The next packet's data (acks before it are recorded); rejects when the stub hangs up. */
  async packet(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.buf.length && (this.buf[0] === 0x2b || this.buf[0] === 0x2d)) {
        this.acks.push(String.fromCharCode(this.buf[0]!));
        this.buf = this.buf.subarray(1);
      }
      const hash = this.buf.indexOf(0x23);
      if (this.buf[0] === 0x24 && hash > 0 && this.buf.length >= hash + 3) {
        const data = this.buf.subarray(1, hash).toString("latin1");
        this.buf = this.buf.subarray(hash + 3);
        return data;
      }
      if (this.ended) throw new Error("the stub closed the connection");
      if (Date.now() > deadline) throw new Error("no packet from the stub");
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, 200); });
      this.wake = undefined;
    }
  }

  /** The next ack the stub sends ("+" or "-"). */
  async ack(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.acks.length) return this.acks.shift()!;
      if (this.buf.length && (this.buf[0] === 0x2b || this.buf[0] === 0x2d)) {
        const a = String.fromCharCode(this.buf[0]!);
        this.buf = this.buf.subarray(1);
        return a;
      }
      if (this.ended) throw new Error("the stub closed the connection");
      if (Date.now() > deadline) throw new Error("no ack from the stub");
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, 200); });
      this.wake = undefined;
    }
  }

  /** Sends a packet and returns the reply (skipping acks; O packets are returned as they come). */
  async request(data: string): Promise<string> {
    this.send(data);
    return this.packet();
  }

  /** Resolves when the stub closes the connection. */
  async closed(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error("the stub did not close the connection");
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, 200); });
      this.wake = undefined;
    }
  }

  close(): void { this.sock.destroy(); }
}

/** A seeded PRNG (mulberry32): the same seed gives the same test. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const hexOf = (s: string): string => Buffer.from(s, "latin1").toString("hex");
