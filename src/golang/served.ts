// What the emulated runtime does with each function of Go's runtime in a
// `go build` binary. Every function whose source file is in Go's
// src/runtime/ (which includes the ones linknamed into other packages:
// sync.runtime_Semacquire, time.Sleep ...) is exactly one of:
//
//   switch routine  our assembly (asm/*.s) instead: the entry jumps to our
//                   gogo, mcall, systemstack, morestack ..., so a trace of
//                   a .go program shows the same instructions as for a .s
//                   program, and Go's own scheduler code is never run;
//   served          the TypeScript runtime's host function, entered by
//                   Go's register ABI (ABIInternal) or by ABI0, as the
//                   binary's function is;
//   compiled        left as Go compiled it: leaf helpers that touch no
//                   scheduler state (memmove, string and slice helpers,
//                   the map implementation over our allocator), and the
//                   ABI wrappers, which only forward to one of the above;
//   not provided    everything else: its entry calls a stub that stops the
//                   run and names it (and its caller), never a silent
//                   wrong answer.
//
// The lists are by name because behaviour is by name: a served function's
// host function must take the same arguments as Go's (makechan takes a
// *chantype here, where an assembly program passes an element size, so the
// two are different host functions).

/** Binary function (Go's ELF name: ".abi0" for an ABI0 one) → our assembly routine. */
export const SWITCH_ROUTINES: ReadonlyMap<string, string> = new Map([
  ["runtime.gogo.abi0", "runtime.gogo"],
  ["runtime.mcall", "runtime.mcall"],
  ["runtime.systemstack.abi0", "runtime.systemstack"],
  ["runtime.systemstack_switch.abi0", "runtime.systemstack_switch"],
  ["runtime.morestack.abi0", "runtime.morestack"],
  ["runtime.morestack_noctxt.abi0", "runtime.morestack_noctxt"],
  ["runtime.asyncPreempt.abi0", "runtime.asyncPreempt"],
  ["runtime.goexit.abi0", "runtime.goexit"],
  ["runtime.abort.abi0", "runtime.abort"],
  ["runtime.procyield.abi0", "runtime.procyield"],
  ["runtime.exit.abi0", "runtime.exit"],
]);

/** Binary function → the host function that serves it (same arguments and results as Go's). */
export const SERVED: ReadonlyMap<string, string> = new Map([
  // Goroutines and the scheduler (proc.go).
  ["runtime.newproc", "runtime.newproc"],
  ["runtime.Gosched", "runtime.Gosched"],
  // Gosched is small enough to be inlined: the caller then calls mcall(gosched_m) itself.
  ["runtime.gosched_m", "runtime.gosched_m"],
  ["runtime.Goexit", "runtime.Goexit"],
  ["runtime.NumGoroutine", "runtime.NumGoroutine"],
  ["runtime.LockOSThread", "runtime.LockOSThread"],
  ["runtime.UnlockOSThread", "runtime.UnlockOSThread"],
  ["runtime.GOMAXPROCS", "runtime.GOMAXPROCS"],
  ["runtime.entersyscall", "runtime.entersyscall"],
  ["runtime.exitsyscall", "runtime.exitsyscall"],
  // Allocation (malloc.go), with the real type descriptors.
  ["runtime.newobject", "runtime.newobject"],
  ["runtime.mallocgc", "runtime.mallocgc"],
  ["runtime.newarray", "runtime.newarray"],
  ["reflect.unsafe_New", "runtime.newobject"],
  ["internal/reflectlite.unsafe_New", "runtime.newobject"],
  ["reflect.unsafe_NewArray", "runtime.newarray"],
  // Channels and select (chan.go, select.go).
  ["runtime.makechan", "runtime.makechan·chantype"],
  ["runtime.makechan64", "runtime.makechan·chantype"],
  ["runtime.chansend1", "runtime.chansend1"],
  ["runtime.chanrecv1", "runtime.chanrecv1"],
  ["runtime.chanrecv2", "runtime.chanrecv2"],
  ["runtime.closechan", "runtime.closechan"],
  ["runtime.selectgo", "runtime.selectgo"],
  ["runtime.selectnbsend", "runtime.selectnbsend"],
  ["runtime.selectnbrecv", "runtime.selectnbrecv"],
  ["runtime.block", "runtime.block"],
  // Time.
  ["time.Sleep", "runtime.timeSleep"],
  ["runtime.nanotime", "runtime.nanotime"],
  ["time.now", "time.now"],
  ["time.runtimeNano", "runtime.nanotime"],
  // sync's semaphores and helpers (sema.go, proc.go, panic.go).
  ["sync.runtime_Semacquire", "sync.runtime_Semacquire"],
  ["sync.runtime_SemacquireMutex", "sync.runtime_SemacquireMutex"],
  ["sync.runtime_Semrelease", "sync.runtime_Semrelease"],
  ["sync.runtime_notifyListAdd", "sync.runtime_notifyListAdd"],
  ["sync.runtime_notifyListWait", "sync.runtime_notifyListWait"],
  ["sync.runtime_notifyListNotifyAll", "sync.runtime_notifyListNotifyAll"],
  ["sync.runtime_notifyListNotifyOne", "sync.runtime_notifyListNotifyOne"],
  ["sync.runtime_notifyListCheck", "sync.runtime_notifyListCheck"],
  ["sync.runtime_canSpin", "sync.runtime_canSpin"],
  ["sync.runtime_doSpin", "sync.runtime_doSpin"],
  ["sync.runtime_nanotime", "runtime.nanotime"],
  ["sync.runtime_registerPoolCleanup", "sync.runtime_registerPoolCleanup"],
  ["sync.runtime_procPin", "sync.runtime_procPin"],
  ["sync.runtime_procUnpin", "sync.runtime_procUnpin"],
  ["sync/atomic.runtime_procPin", "sync.runtime_procPin"],
  ["sync/atomic.runtime_procUnpin", "sync.runtime_procUnpin"],
  ["sync.throw", "runtime.throw"],
  ["sync.fatal", "runtime.fatal"],
  // print and println (print.go).
  ["runtime.printlock", "runtime.printlock"],
  ["runtime.printunlock", "runtime.printunlock"],
  ["runtime.printstring", "runtime.printstring"],
  ["runtime.printint", "runtime.printint"],
  ["runtime.printuint", "runtime.printuint"],
  ["runtime.printhex", "runtime.printhex"],
  ["runtime.printbool", "runtime.printbool"],
  ["runtime.printpointer", "runtime.printpointer"],
  ["runtime.printuintptr", "runtime.printuint"],
  ["runtime.printfloat", "runtime.printfloat"],
  ["runtime.printcomplex", "runtime.printcomplex"],
  ["runtime.printslice", "runtime.printslice"],
  ["runtime.printeface", "runtime.printeface"],
  ["runtime.printiface", "runtime.printiface"],
  ["runtime.printsp", "runtime.printsp"],
  ["runtime.printnl", "runtime.printnl"],
  // Fatal errors and panics (panic.go): there is no recover.
  ["runtime.throw", "runtime.throw"],
  ["runtime.fatal", "runtime.fatal"],
  ["runtime.gopanic", "runtime.gopanic"],
  ["runtime.goPanicIndex", "runtime.goPanicIndex"],
  ["runtime.goPanicIndexU", "runtime.goPanicIndexU"],
  ["runtime.goPanicSliceAlen", "runtime.goPanicSliceAlen"],
  ["runtime.goPanicSliceAlenU", "runtime.goPanicSliceAlenU"],
  ["runtime.goPanicSliceAcap", "runtime.goPanicSliceAcap"],
  ["runtime.goPanicSliceAcapU", "runtime.goPanicSliceAcapU"],
  ["runtime.goPanicSliceB", "runtime.goPanicSliceB"],
  ["runtime.goPanicSliceBU", "runtime.goPanicSliceBU"],
  ["runtime.goPanicSlice3Alen", "runtime.goPanicSlice3Alen"],
  ["runtime.goPanicSlice3AlenU", "runtime.goPanicSlice3AlenU"],
  ["runtime.goPanicSlice3Acap", "runtime.goPanicSlice3Acap"],
  ["runtime.goPanicSlice3AcapU", "runtime.goPanicSlice3AcapU"],
  ["runtime.goPanicSlice3B", "runtime.goPanicSlice3B"],
  ["runtime.goPanicSlice3BU", "runtime.goPanicSlice3BU"],
  ["runtime.goPanicSlice3C", "runtime.goPanicSlice3C"],
  ["runtime.goPanicSlice3CU", "runtime.goPanicSlice3CU"],
  ["runtime.goPanicSliceConvert", "runtime.goPanicSliceConvert"],
  ["runtime.panicdivide", "runtime.panicdivide"],
  ["runtime.panicshift", "runtime.panicshift"],
  ["runtime.panicmem", "runtime.panicmem"],
  ["runtime.panicmemAddr", "runtime.panicmem"],
  ["runtime.panicunsafeslicelen", "runtime.panicunsafeslicelen"],
  ["runtime.panicmakeslicelen", "runtime.panicmakeslicelen"],
  ["runtime.panicmakeslicecap", "runtime.panicmakeslicecap"],
  // Interfaces (iface.go): itabs, built as Go builds them.
  ["runtime.getitab", "runtime.getitab"],
  ["runtime.convI2I", "runtime.convI2I"],
  ["runtime.assertI2I", "runtime.assertI2I"],
  ["runtime.assertI2I2", "runtime.assertI2I2"],
  ["runtime.assertE2I", "runtime.assertE2I"],
  ["runtime.assertE2I2", "runtime.assertE2I2"],
  ["runtime.panicdottypeE", "runtime.panicdottypeE"],
  ["runtime.panicdottypeI", "runtime.panicdottypeI"],
  ["runtime.panicnildottype", "runtime.panicnildottype"],
  // Write barriers are off.
  ["runtime.bulkBarrierPreWrite", "runtime.bulkBarrierPreWrite"],
  ["runtime.bulkBarrierPreWriteSrcOnly", "runtime.bulkBarrierPreWriteSrcOnly"],
  // The finalizer is never run (there is no collector): recording nothing is exact.
  ["runtime.SetFinalizer", "runtime.SetFinalizer"],
  ["runtime.KeepAlive", "runtime.KeepAlive"],
  // The process's arguments and environment (os and syscall's init).
  ["os.runtime_args", "os.runtime_args"],
  ["syscall.runtime_envs", "syscall.runtime_envs"],
  ["os.runtime_beforeExit", "os.runtime_beforeExit"],
  ["syscall.Exit", "syscall.Exit"],
]);

/**
 * Source files of Go's runtime whose functions run as Go compiled them:
 * leaf helpers over memory (strings, slices, hashing, the maps over our
 * allocator, copying and clearing, the error types' methods). A function
 * there that calls into the rest of the runtime reaches a patched entry
 * (served or not provided), never Go's scheduler.
 */
export const COMPILED_FILES: ReadonlySet<string> = new Set([
  "alg.go", "hash64.go", "string.go", "slice.go", "utf8.go", "error.go", "unsafe.go", "msize.go",
  "map.go", "map_fast32.go", "map_fast64.go", "map_faststr.go", "float.go", "complex.go", "type.go",
  "memmove_amd64.s", "memclr_amd64.s", "duff_amd64.s", "mbarrier.go", "iface.go", "typekind.go", "atomic_pointer.go",
]);

/** Functions of other runtime files that run as compiled: the panic stubs (they jump to goPanic*), fastrand. */
export const COMPILED_FUNCS: ReadonlySet<string> = new Set([
  "runtime.panicIndex", "runtime.panicIndexU", "runtime.panicSliceAlen", "runtime.panicSliceAlenU",
  "runtime.panicSliceAcap", "runtime.panicSliceAcapU", "runtime.panicSliceB", "runtime.panicSliceBU",
  "runtime.panicSlice3Alen", "runtime.panicSlice3AlenU", "runtime.panicSlice3Acap", "runtime.panicSlice3AcapU",
  "runtime.panicSlice3B", "runtime.panicSlice3BU", "runtime.panicSlice3C", "runtime.panicSlice3CU",
  "runtime.panicSliceConvert",
  "runtime.memhash.abi0", "runtime.memhash32.abi0", "runtime.memhash64.abi0", "runtime.strhash.abi0",
  "runtime.memhash", "runtime.memhash32", "runtime.memhash64", "runtime.strhash",
  "runtime.fastrand", "runtime.fastrandn", "runtime.fastrand64", "runtime.fastrandu",
  "runtime.add", "runtime.noescape",
]);

/**
 * Functions of COMPILED_FILES that must not run as compiled after all:
 * they take runtime locks, or build itabs with the runtime's allocator
 * (the served ones are in SERVED).
 */
export const NOT_COMPILED: ReadonlySet<string> = new Set([
  "runtime.getitab", "runtime.itabsinit", "runtime.itabAdd", "runtime.itabHashFunc", "runtime.assertE2I",
  "runtime.assertE2I2", "runtime.typehash",
]);
