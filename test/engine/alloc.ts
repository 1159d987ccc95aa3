// Counting what a piece of code allocates, without timing anything: run it
// synchronously and see whether V8 had to collect the young generation
// (PerformanceObserver 'gc' entries of the minor kind) and how much the heap
// grew. Nothing else runs during a synchronous call, so a scavenge there is
// the code's own doing; and code that allocates even 8 bytes per call, a
// million times, either triggers one or grows the heap by megabytes.
import { PerformanceObserver, constants } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";

export interface AllocReport {
  /** Young-generation collections during the call. */
  minorGCs: number;
  /** Any collections during the call. */
  gcs: number;
  /** Growth of the used heap across the call, in bytes (negative after a collection). */
  heapGrowth: number;
}

const turn = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `f` twice to warm it up (compilation allocates, and optimized code is
 * installed between turns of the event loop), then measured, up to `tries`
 * times, and returns the cleanest measurement: the optimizer may still be
 * settling (a deoptimization, code shared with other receivers), but code
 * that allocates per call allocates in every attempt. `f` must run
 * synchronously.
 */
export async function measureAlloc(f: () => void, tries = 3): Promise<AllocReport> {
  for (let i = 0; i < 2; i++) {
    f();
    await turn(20);
  }
  let best: AllocReport | null = null;
  for (let t = 0; t < tries; t++) {
    const r = await measureOnce(f);
    if (best === null || r.minorGCs < best.minorGCs || (r.minorGCs === best.minorGCs && r.heapGrowth < best.heapGrowth)) best = r;
    if (best.minorGCs === 0 && best.heapGrowth < NO_ALLOC_GROWTH) break;
  }
  return best!;
}

async function measureOnce(f: () => void): Promise<AllocReport> {
  const kinds: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) kinds.push(((e as unknown as { detail?: { kind?: number } }).detail)?.kind ?? -1);
  });
  obs.observe({ entryTypes: ["gc"] });
  await turn(20);
  kinds.length = 0; // anything the warm-up left behind
  const h0 = getHeapStatistics().used_heap_size;
  f();
  const h1 = getHeapStatistics().used_heap_size;
  await turn(50); // gc entries are delivered asynchronously
  obs.disconnect();
  return { minorGCs: kinds.filter((k) => k === constants.NODE_PERFORMANCE_GC_MINOR).length, gcs: kinds.length, heapGrowth: h1 - h0 };
}

/** Heap growth below which a million calls cannot have allocated per call. */
export const NO_ALLOC_GROWTH = 1 << 20;
