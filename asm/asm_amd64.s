// asm_amd64.s: the machine-level heart of the Go 1.19 scheduler on
// linux/amd64, rewritten for gmpemu. Everything the TypeScript scheduler
// cannot do from the outside, because it means changing SP or jumping into
// the middle of another goroutine, happens in the few routines below.
//
// THE ROUTINES
//
//   rt0_go        Process start. Carves g0's stack out of the OS stack,
//                 points FS at m0's TLS block, links m0 and g0, and then
//                 does what every Go program does first: schedinit,
//                 newproc(runtime.main), mstart.
//   mstart        The bottom frame of every M's g0 stack. Calls mstart0,
//                 which records this frame as g0.sched and enters the
//                 scheduler loop for good.
//   gogo          Resume a goroutine: load SP, BP, DX, AX and g from a gobuf
//                 and jump to its PC. Never returns to its caller.
//   mcall         The way a goroutine gives up the CPU (Gosched, gopark,
//                 goexit): save the caller in g.sched, move to g0's stack,
//                 call fn(g) there. fn never returns; a later gogo(&g.sched)
//                 makes it look as if mcall had returned.
//   systemstack   Run a function on g0's stack and come back to the same
//                 goroutine (newproc does its work this way).
//   systemstack_switch, gosave_systemstack_switch<>
//                 The marker systemstack leaves in g.sched while the
//                 goroutine is away on g0, and the helper that writes it.
//   goexit        Not called, returned into: newproc1 builds every new
//                 goroutine's stack so that its function returns to
//                 goexit+1, which calls goexit1 to retire the goroutine.
//   morestack     Where a prologue's stack check jumps when SP is below
//                 g.stackguard0 (stack too small, or a preemption request).
//                 Saves f and f's caller, switches to g0, calls newstack.
//   stackcheck, abort, procyield
//                 Small helpers: assert SP is inside g's stack, crash, spin.
//
// THE CONVENTIONS
//
//   g in TLS.  Each thread's FS base points just past a thread-local slot
//   holding the running g: get_tls(r) then g(r) (go_tls.h) is -8(FS).
//   Switching goroutines means writing that slot.
//
//   g in R14.  Go code compiled for the register ABI (ABIInternal) keeps
//   g in R14 as well, and reads it from there. So every switch below writes
//   both the TLS slot and R14.
//
//   ABI0 arguments.  Assembly functions take their arguments on the stack.
//   On entry 0(SP) is the return address and the first argument is at
//   8(SP), which the assembler lets us call name+0(FP); results follow the
//   arguments. mcall alone is ABIInternal, as in Go 1.19: its argument
//   arrives in AX.
//
//   Closures.  A func value is a pointer to a funcval whose first word is
//   the code address. A closure is called with DX = the funcval (its
//   "context register") and jumps through 0(DX).
//
//   Frames.  TEXT name(SB), FLAGS, $frame-args. Every routine here is
//   NOSPLIT: each runs while the stack is being switched or on g0, where a
//   stack-growth check would be meaningless or fatal. With $0 the assembler
//   adds no prologue at all, so each listing is exactly what is written.
//
//   A gobuf (g.sched, m.morebuf) is a parked CPU: sp, pc, g, ctxt (DX),
//   ret (AX), lr (unused on amd64), bp. Offsets come from go_asm.h.
//
// HOST FUNCTIONS
//
// schedinit, newproc, mstart0, goexit1, newstack, runtime.main and the
// bad* reporters are not defined here: gmpemu's scheduler implements them
// in TypeScript, the linker places them on a host page, and a CALL to one
// runs the TypeScript with its ABI0 arguments at 8(SP), 16(SP), ...

#include "go_asm.h"
#include "go_tls.h"
#include "funcdata.h"
#include "textflag.h"

// The first M and the g0 that runs its scheduler are plain variables of
// the runtime (zeroed memory); rt0_go and schedinit fill them in.
GLOBL	runtime·m0(SB), NOPTR, $m__size
GLOBL	runtime·g0(SB), NOPTR, $g__size

// mainPC is a func value (a funcval: one word, the code address) for
// runtime.main. rt0_go passes its address to newproc, which turns it into
// goroutine 1.
DATA	runtime·mainPC+0(SB)/8, $runtime·main(SB)
GLOBL	runtime·mainPC(SB), RODATA, $8

// rt0_go: the first instruction of the program. The loader starts the main
// thread here with SP near the top of an OS stack and nothing else set up:
// no g, no m, no TLS.
TEXT runtime·rt0_go(SB), NOSPLIT|TOPFRAME, $0
	// Keep argc (DI) and argv (SI) in a 16-byte aligned frame of five words,
	// where Go's rt0_go keeps them. Nothing reads them in gmpemu.
	MOVQ	DI, AX			// AX = argc
	MOVQ	SI, BX			// BX = argv
	SUBQ	$(5*8), SP		// open the frame: 3 argument words, 2 locals
	ANDQ	$~15, SP		// round SP down to a multiple of 16
	MOVQ	AX, 24(SP)		// local 1: argc
	MOVQ	BX, 32(SP)		// local 2: argv

	// g0 owns the 64 KiB of OS stack below this point: stack = [lo, hi).
	MOVQ	$runtime·g0(SB), DI	// DI = &g0
	LEAQ	(-64*1024)(SP), BX	// BX = SP - 64 KiB, the lowest usable byte
	MOVQ	BX, (g_stack+stack_lo)(DI)	// g0.stack.lo
	MOVQ	SP, (g_stack+stack_hi)(DI)	// g0.stack.hi = the current SP
	// The guards sit StackGuard bytes above lo: a prologue whose SP would
	// go below them calls morestack. (Go sets them to this value in
	// mstart0; gmpemu's mstart0 is TypeScript and leaves them alone.)
	ADDQ	$const__StackGuard, BX	// BX = lo + StackGuard
	MOVQ	BX, g_stackguard0(DI)	// checked by ordinary Go prologues
	MOVQ	BX, g_stackguard1(DI)	// checked by system-stack-only code

	// Thread-local storage: make -8(FS) the address of m0.tls[0].
	LEAQ	runtime·m0+m_tls(SB), DI	// DI = &m0.tls[0], settls's register argument
	CALL	runtime·settls(SB)		// arch_prctl(ARCH_SET_FS, DI+8)

	// Check it: a word written through the g slot must show up in
	// m0.tls[0]. If it does not, TLS is broken and nothing else can work.
	get_tls(BX)			// BX = the TLS base (no code on linux/amd64)
	MOVQ	$0x123, g(BX)		// write a marker through -8(FS)
	MOVQ	runtime·m0+m_tls(SB), AX	// read m0.tls[0] directly
	CMPQ	AX, $0x123		// the same word?
	JEQ	ok			// yes: TLS works
	CALL	runtime·abort(SB)	// no: stop here
ok:
	// From now on this thread runs g0, and g0 belongs to m0.
	get_tls(BX)			// BX = the TLS base
	LEAQ	runtime·g0(SB), CX	// CX = &g0
	MOVQ	CX, g(BX)		// TLS g slot = g0
	MOVQ	CX, R14			// and the g register, for Go code
	LEAQ	runtime·m0(SB), AX	// AX = &m0
	MOVQ	CX, m_g0(AX)		// m0.g0 = &g0
	MOVQ	AX, g_m(CX)		// g0.m = &m0

	CLD				// string instructions count upward (the ABI default)

	// The scheduler initializes itself: m0's id, the Ps, the allocator.
	CALL	runtime·schedinit(SB)

	// go runtime.main(): newproc(fn *funcval) takes one ABI0 argument,
	// pushed here so that it is at 8(SP) when newproc starts.
	MOVQ	$runtime·mainPC(SB), AX	// AX = &mainPC, the funcval
	PUSHQ	AX			// newproc's argument
	CALL	runtime·newproc(SB)	// goroutine 1 goes into P0's runnext
	POPQ	AX			// drop the argument

	// Become m0 for good: mstart schedules goroutine 1 and never returns.
	CALL	runtime·mstart(SB)
	CALL	runtime·abort(SB)	// reached only if mstart returned
	RET

// mstart: the first frame on every M's g0 stack (rt0_go calls it for m0,
// clone for every other M). TOPFRAME ends tracebacks here. mstart0 saves
// its own return address and SP (this frame) in g0.sched, so each later
// switch to g0 (mcall, systemstack, morestack) starts from this depth.
TEXT runtime·mstart(SB), NOSPLIT|TOPFRAME, $0
	CALL	runtime·mstart0(SB)	// enters the scheduler loop; no return
	RET				// never executed

// func gogo(buf *gobuf)
// Makes buf's goroutine the running one and continues it at buf.pc, with
// the SP, BP, DX and AX it had. Whoever called gogo is left behind for good.
TEXT runtime·gogo(SB), NOSPLIT, $0-8
	MOVQ	buf+0(FP), BX		// BX = buf
	MOVQ	gobuf_g(BX), DX		// DX = buf.g, the goroutine to resume
	MOVQ	0(DX), CX		// load from g: a nil g faults now, here
	JMP	gogo<>(SB)		// the switch proper (BX = buf, DX = g)

// gogo<>: the switch itself, entered with BX = the gobuf and DX = its g.
// After the first MOVQ into SP there is no way back.
TEXT gogo<>(SB), NOSPLIT, $0
	get_tls(CX)			// CX = the TLS base
	MOVQ	DX, g(CX)		// TLS g slot = g: this thread now runs g
	MOVQ	DX, R14			// and so does the g register
	MOVQ	gobuf_sp(BX), SP	// onto g's stack, where it stopped
	MOVQ	gobuf_ret(BX), AX	// AX = the value g was to receive (if any)
	MOVQ	gobuf_ctxt(BX), DX	// DX = g's closure context (if any)
	MOVQ	gobuf_bp(BX), BP	// BP = g's frame pointer
	// Zero what was consumed: a gobuf holds a parked goroutine only while it
	// is parked, and stale pointers in it would keep things alive.
	MOVQ	$0, gobuf_sp(BX)	// buf.sp = 0
	MOVQ	$0, gobuf_ret(BX)	// buf.ret = 0
	MOVQ	$0, gobuf_ctxt(BX)	// buf.ctxt = 0
	MOVQ	$0, gobuf_bp(BX)	// buf.bp = 0
	MOVQ	gobuf_pc(BX), BX	// BX = where g continues (pc stays in buf)
	JMP	BX			// g runs

// func mcall(fn func(*g))
// Called on a user goroutine g (R14). Parks g's state in g.sched as "just
// returned from mcall", moves to g0 and its stack, and calls fn(g). fn is
// ABIInternal and arrives in AX. fn must not return: it runs the scheduler
// (park_m, gosched_m, goexit0), and g resumes only when something later
// does gogo(&g.sched), which lands right after the CALL to mcall.
TEXT runtime·mcall<ABIInternal>(SB), NOSPLIT, $0-8
	MOVQ	AX, DX			// DX = fn (a funcval; also the context for the call)

	// g.sched = "after mcall returns": pc = our return address, sp = the
	// caller's SP once that address is popped, bp = the caller's BP.
	MOVQ	0(SP), BX		// BX = return address into the caller
	MOVQ	BX, (g_sched+gobuf_pc)(R14)	// g.sched.pc
	LEAQ	fn+0(FP), BX		// BX = SP + 8, the caller's SP
	MOVQ	BX, (g_sched+gobuf_sp)(R14)	// g.sched.sp
	MOVQ	BP, (g_sched+gobuf_bp)(R14)	// g.sched.bp

	// Find g0. mcall from g0 itself would have just overwritten g0.sched,
	// the only record of where g0's stack starts: that is fatal.
	MOVQ	g_m(R14), BX		// BX = g.m
	MOVQ	m_g0(BX), SI		// SI = g.m.g0
	CMPQ	SI, R14			// already on g0?
	JNE	goodm			// no: fine
	JMP	runtime·badmcall(SB)	// yes: throw "mcall called on m->g0 stack"
goodm:
	MOVQ	R14, AX			// AX = g, fn's argument (ABIInternal: in AX)
	MOVQ	SI, R14			// the g register = g0
	get_tls(CX)			// CX = the TLS base
	MOVQ	R14, g(CX)		// TLS g slot = g0: this thread runs g0 now
	MOVQ	(g_sched+gobuf_sp)(R14), SP	// SP = g0.sched.sp, the top of g0's stack
	PUSHQ	AX			// a word for fn's argument (its ABI0 view: 8(SP) = g)
	MOVQ	0(DX), R12		// R12 = fn's code address
	CALL	R12			// fn(g): schedules another goroutine, never returns
	POPQ	AX			// (only if fn returned)
	JMP	runtime·badmcall2(SB)	// throw "mcall function returned"
	RET

// systemstack_switch is never run. Its address is the pc systemstack
// stores in g.sched while g is away on g0, so a traceback of g shows
// "systemstack_switch" as its innermost frame.
TEXT runtime·systemstack_switch(SB), NOSPLIT, $0-0
	RET

// func systemstack(fn func())
// Runs fn on the M's g0 stack. On g0 or on the signal stack it simply
// calls fn. On the M's current user goroutine it parks that goroutine in
// g.sched (marked as systemstack_switch), switches to g0, calls fn, then
// switches back and returns. On any other goroutine it is a fatal error.
TEXT runtime·systemstack(SB), NOSPLIT, $0-8
	MOVQ	fn+0(FP), DI		// DI = fn (a funcval)
	get_tls(CX)			// CX = the TLS base
	MOVQ	g(CX), AX		// AX = the running g
	MOVQ	g_m(AX), BX		// BX = its m

	CMPQ	AX, m_gsignal(BX)	// the signal-handling g?
	JEQ	noswitch		// already on a system stack

	MOVQ	m_g0(BX), DX		// DX = m.g0
	CMPQ	AX, DX			// g0 itself?
	JEQ	noswitch		// already on a system stack

	CMPQ	AX, m_curg(BX)		// the user goroutine this M is running?
	JNE	bad			// no: nobody should be calling from here

	// Park g in g.sched as if stopped at systemstack_switch.
	CALL	gosave_systemstack_switch<>(SB)

	// Switch to g0 (DX) and its stack.
	MOVQ	DX, g(CX)		// TLS g slot = g0
	MOVQ	DX, R14			// the g register = g0
	MOVQ	(g_sched+gobuf_sp)(DX), BX	// BX = g0.sched.sp
	MOVQ	BX, SP			// SP = the top of g0's stack

	// Call fn as a closure: DX = the funcval, jump through its first word.
	MOVQ	DI, DX			// DX = fn, the closure context
	MOVQ	0(DI), DI		// DI = fn's code address
	CALL	DI			// fn() on g0's stack

	// Back to the goroutine we came from: it is still m.curg.
	get_tls(CX)			// CX = the TLS base (fn may have used CX)
	MOVQ	g(CX), AX		// AX = g0
	MOVQ	g_m(AX), BX		// BX = m
	MOVQ	m_curg(BX), AX		// AX = m.curg, our goroutine
	MOVQ	AX, g(CX)		// TLS g slot = that goroutine
	// The g register too. (In Go the ABI wrapper around an ABI0 call
	// reloads R14 from TLS on return; gmpemu has no wrappers.)
	MOVQ	AX, R14
	MOVQ	(g_sched+gobuf_sp)(AX), SP	// SP = where we left its stack
	MOVQ	$0, (g_sched+gobuf_sp)(AX)	// g.sched is no longer a parked state
	RET				// to systemstack's caller, on its own stack

noswitch:
	// Already on a system stack: tail-call fn, so that systemstack leaves
	// no frame of its own behind (fn returns straight to our caller).
	MOVQ	DI, DX			// DX = fn, the closure context
	MOVQ	0(DI), DI		// DI = fn's code address
	JMP	DI			// fn()

bad:
	// Neither g0, gsignal nor curg: report and crash.
	MOVQ	$runtime·badsystemstack(SB), AX	// call through a register, as Go does
	CALL	AX			// prints "systemstack called from unexpected goroutine"
	INT	$3			// and stop if it came back

// gosave_systemstack_switch<>: g.sched = {pc: systemstack_switch, sp and bp
// of the function that called us (systemstack, which has no frame), ret 0}.
// Uses R9 only: systemstack still needs CX, DX and DI afterwards.
TEXT gosave_systemstack_switch<>(SB), NOSPLIT, $0
	MOVQ	$runtime·systemstack_switch(SB), R9	// R9 = the marker pc
	MOVQ	R9, (g_sched+gobuf_pc)(R14)	// g.sched.pc = systemstack_switch
	LEAQ	8(SP), R9		// R9 = SP above our return address = systemstack's SP
	MOVQ	R9, (g_sched+gobuf_sp)(R14)	// g.sched.sp
	MOVQ	$0, (g_sched+gobuf_ret)(R14)	// g.sched.ret = 0
	MOVQ	BP, (g_sched+gobuf_bp)(R14)	// g.sched.bp
	// g.sched.ctxt must already be nil: a context left over from an earlier
	// switch would be a bug, so crash rather than carry it along.
	MOVQ	(g_sched+gobuf_ctxt)(R14), R9	// R9 = g.sched.ctxt
	TESTQ	R9, R9			// nil?
	JZ	ctxtnil			// yes: good
	CALL	runtime·abort(SB)	// no: crash
ctxtnil:
	RET

// goexit: the return address at the top of every goroutine's stack.
// newproc1 sets a new goroutine's stack up as if goexit had called its
// function, with goexit+1 (the byte after the first NOP) as the return
// address, so that address lies inside goexit and tracebacks name it.
// When the goroutine's function returns, execution continues at the CALL.
TEXT runtime·goexit(SB), NOSPLIT|TOPFRAME, $0-0
	BYTE	$0x90			// NOP: goexit+0, never executed
	CALL	runtime·goexit1(SB)	// goexit+1: retire this goroutine; no return
	BYTE	$0x90			// NOP: keeps goexit1's return address inside goexit

// morestack: reached from a function f's prologue, which found SP below
// g.stackguard0 and did CALL runtime·morestack (or morestack_noctxt).
// On entry:
//	0(SP)	the return address into f's prologue (re-runs the check)
//	8(SP)	f's return address, into f's caller
//	DX	f's closure context, or 0 (morestack_noctxt)
// The guard is low either because f needs more stack or because the
// scheduler set it to stackPreempt to ask this goroutine to stop. Either
// way: record f and its caller, move to g0, and let newstack decide. It
// grows the stack or reschedules, and resumes f by gogo(&g.sched).
TEXT runtime·morestack(SB), NOSPLIT, $0-0
	// g0's stack cannot grow: it is the thread's own.
	get_tls(CX)			// CX = the TLS base
	MOVQ	g(CX), BX		// BX = g
	MOVQ	g_m(BX), BX		// BX = g.m (BX is m from here on)
	MOVQ	m_g0(BX), SI		// SI = m.g0
	CMPQ	g(CX), SI		// running on g0?
	JNE	notg0			// no: fine
	CALL	runtime·badmorestackg0(SB)	// yes: report "morestack on g0"
	CALL	runtime·abort(SB)	// and crash
notg0:
	// Nor can the signal-handling stack.
	MOVQ	m_gsignal(BX), SI	// SI = m.gsignal
	CMPQ	g(CX), SI		// running on gsignal?
	JNE	notgsignal		// no: fine
	CALL	runtime·badmorestackgsignal(SB)	// yes: report "morestack on gsignal"
	CALL	runtime·abort(SB)	// and crash
notgsignal:
	// m.morebuf = f's caller: where f would have returned to.
	NOP	SP			// the assembler stops checking SP offsets from here
	MOVQ	8(SP), AX		// AX = f's return address
	MOVQ	AX, (m_morebuf+gobuf_pc)(BX)	// m.morebuf.pc
	LEAQ	16(SP), AX		// AX = the caller's SP (above f's return address)
	MOVQ	AX, (m_morebuf+gobuf_sp)(BX)	// m.morebuf.sp
	get_tls(CX)			// CX = the TLS base
	MOVQ	g(CX), SI		// SI = g
	MOVQ	SI, (m_morebuf+gobuf_g)(BX)	// m.morebuf.g

	// g.sched = f, stopped in its prologue: resuming it repeats the check.
	MOVQ	0(SP), AX		// AX = the return address into f
	MOVQ	AX, (g_sched+gobuf_pc)(SI)	// g.sched.pc
	LEAQ	8(SP), AX		// AX = f's SP (before it called us)
	MOVQ	AX, (g_sched+gobuf_sp)(SI)	// g.sched.sp
	MOVQ	BP, (g_sched+gobuf_bp)(SI)	// g.sched.bp
	MOVQ	DX, (g_sched+gobuf_ctxt)(SI)	// g.sched.ctxt = f's closure context

	// Over to g0 and its stack, and call newstack there.
	MOVQ	m_g0(BX), BX		// BX = m.g0
	MOVQ	BX, g(CX)		// TLS g slot = g0
	// The g register too: Go's ABI0-to-ABIInternal wrapper for newstack
	// would load it from TLS; gmpemu calls newstack directly.
	MOVQ	BX, R14
	MOVQ	(g_sched+gobuf_sp)(BX), SP	// SP = the top of g0's stack
	CALL	runtime·newstack(SB)	// grows or reschedules; does not return
	CALL	runtime·abort(SB)	// reached only if newstack returned
	RET

// morestack_noctxt: the entry for functions that are not closures. There
// is no context to save, so clear DX and share morestack's body.
TEXT runtime·morestack_noctxt(SB), NOSPLIT, $0
	MOVL	$0, DX			// no closure context (zeroes all of RDX)
	JMP	runtime·morestack(SB)

// stackcheck: crash unless g.stack.lo < SP < g.stack.hi. clone runs it on a
// new thread's first instructions, to catch a mis-built g0.
TEXT runtime·stackcheck(SB), NOSPLIT, $0-0
	get_tls(CX)			// CX = the TLS base
	MOVQ	g(CX), AX		// AX = g
	CMPQ	(g_stack+stack_hi)(AX), SP	// hi above SP?
	JHI	belowhi			// yes: good
	CALL	runtime·abort(SB)	// no: crash
belowhi:
	CMPQ	SP, (g_stack+stack_lo)(AX)	// SP above lo?
	JHI	abovelo			// yes: good
	CALL	runtime·abort(SB)	// no: crash
abovelo:
	RET

// abort: stop at once with a breakpoint trap; if execution somehow goes
// on, spin here rather than run anything else.
TEXT runtime·abort(SB), NOSPLIT, $0-0
	INT	$3			// trap: SIGTRAP
loop:
	JMP	loop			// never leave

// func procyield(cycles uint32)
// Busy-waits for cycles rounds of PAUSE, the CPU's hint that this is a
// spin loop (used by lock spinning before it sleeps on a futex). Go 1.19
// declares $0-0 here; $0-4 is the true argument size, and gmpemu's
// assembler refuses an argument outside the declared area.
TEXT runtime·procyield(SB), NOSPLIT, $0-4
	MOVL	cycles+0(FP), AX	// AX = rounds to go
again:
	PAUSE				// relax for a moment
	SUBL	$1, AX			// one round done
	JNZ	again			// more to go?
	RET
