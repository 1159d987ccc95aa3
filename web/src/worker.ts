// The Web Worker that runs the emulator (session.ts), so that the page stays
// responsive while the machine runs. Between two slices of work it returns
// to its message loop through a MessageChannel (a zero-delay task, unlike a
// clamped setTimeout), which is where a Stop arrives: no SharedArrayBuffer,
// so no cross-origin isolation headers are needed from the host.

import { EVENT_BREAKS } from "../../src/step/core.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { Session } from "./session.ts";

interface WorkerScope {
  postMessage(msg: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

const session = new Session((msg) => scope.postMessage(msg));
const tick = new MessageChannel();
let scheduled = false;

function schedule(): void {
  if (scheduled || !session.busy) return;
  scheduled = true;
  tick.port2.postMessage(0);
}

tick.port1.onmessage = () => {
  scheduled = false;
  try {
    session.pump();
  } catch (e) {
    scope.postMessage({ t: "error", message: e instanceof Error ? e.message : String(e) });
  }
  schedule();
};

scope.onmessage = (e) => {
  session.handle(e.data);
  schedule();
};

scope.postMessage({ t: "hello", events: Object.keys(EVENT_BREAKS) });
