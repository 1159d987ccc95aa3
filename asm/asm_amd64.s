// The Go runtime's machine-level core for linux/amd64, the routines that
// start the process and move the CPU from one goroutine to another. Each is
// Go 1.19's routine of the same name and does what it does, in our words.
//
// Three conventions run through all of it:
//
//   - The running goroutine's g lives in a thread-local slot, -8(FS), which
//     get_tls(r) / g(r) reach (go_tls.h), and, in Go code, in R14 as well.
//   - A gobuf (g.sched) is a suspended goroutine's CPU: SP, PC, BP, the
//     closure context (DX) and a return value. gogo loads one; mcall and
//     systemstack and morestack store one.
//   - Each M has a g0 whose stack is the thread's own; the scheduler runs
//     there. mcall and systemstack switch to it; gogo leaves it.
//
// Arguments are ABI0 (on the stack, name+off(FP)) except where Go 1.19
// uses its register ABI: mcall takes fn in AX.
//
// The functions these call without defining them (schedinit, newproc,
// mstart0, goexit1, newstack, the bad* reporters, runtime.main) are the
// scheduler, written in TypeScript and reached through the host bridge.

#include "go_asm.h"
#include "go_tls.h"
#include "funcdata.h"
#include "textflag.h"

// The first M and its g0 are variables of the runtime; their structs are
// filled in by rt0_go and schedinit.
GLOBL runtime·m0(SB), NOPTR, $m__size
GLOBL runtime·g0(SB), NOPTR, $g__size

// mainPC is a func value for runtime.main: what newproc starts as goroutine 1.
DATA runtime·mainPC+0(SB)/8, $runtime·main(SB)
GLOBL runtime·mainPC(SB), RODATA, $8

// rt0_go: the process starts here, on the stack the kernel gave the main
// thread, with nothing set up.
TEXT runtime·rt0_go(SB), NOSPLIT|TOPFRAME, $0
	// g0 runs on this thread's stack: give it the top 64 KiB below SP,
	// with the guard (the lowest address a prologue lets SP reach) above lo.
	MOVQ	$runtime·g0(SB), DI
	LEAQ	(-64*1024)(SP), BX
	MOVQ	BX, g_stackguard0(DI)
	MOVQ	BX, g_stackguard1(DI)
	MOVQ	BX, (g_stack+stack_lo)(DI)
	MOVQ	SP, (g_stack+stack_hi)(DI)

	// Point FS at m0's TLS block: settls makes -8(FS) the g slot.
	LEAQ	runtime·m0+m_tls(SB), DI
	CALL	runtime·settls(SB)

	// Prove it: a value stored through the g slot must land in m0.tls[0].
	get_tls(BX)
	MOVQ	$0x123, g(BX)
	MOVQ	runtime·m0+m_tls(SB), AX
	CMPQ	AX, $0x123
	JEQ	tlsok
	CALL	runtime·abort(SB)
tlsok:
	// The running g is g0, in TLS and in R14; m0 and g0 point at each other.
	get_tls(BX)
	LEAQ	runtime·g0(SB), CX
	MOVQ	CX, g(BX)
	MOVQ	CX, R14
	LEAQ	runtime·m0(SB), AX
	MOVQ	CX, m_g0(AX)
	MOVQ	AX, g_m(CX)

	// The scheduler sets itself up (Ps, m0's id, the heap and stack pools).
	CALL	runtime·schedinit(SB)

	// go runtime.main(): newproc(&mainPC) puts goroutine 1 in P 0's runnext.
	MOVQ	$runtime·mainPC(SB), AX
	PUSHQ	AX
	CALL	runtime·newproc(SB)
	POPQ	AX

	// This thread becomes m0 and starts scheduling; it never comes back.
	CALL	runtime·mstart(SB)
	CALL	runtime·abort(SB)
	RET

// mstart: where every M starts (rt0_go for m0, clone for the rest). It is
// the top of g0's stack: mstart0 records this frame as g0.sched, so that
// every later switch to g0 restarts from here.
TEXT runtime·mstart(SB), NOSPLIT|TOPFRAME, $0
	CALL	runtime·mstart0(SB)
	RET // not reached

// func gogo(buf *gobuf)
// Resumes the goroutine suspended in buf: from here on the CPU is that
// goroutine's. Never returns to its caller.
TEXT runtime·gogo(SB), NOSPLIT, $0-8
	MOVQ	buf+0(FP), BX		// the gobuf
	MOVQ	gobuf_g(BX), DX		// the g it belongs to
	MOVQ	0(DX), CX		// touch g: fault here, not later, if it is nil
	JMP	gogo<>(SB)

TEXT gogo<>(SB), NOSPLIT, $0
	get_tls(CX)
	MOVQ	DX, g(CX)		// this thread now runs g...
	MOVQ	DX, R14			// ...and Go code finds it in R14
	MOVQ	gobuf_sp(BX), SP	// g's stack
	MOVQ	gobuf_ret(BX), AX	// a return value, if g was stopped in a call
	MOVQ	gobuf_ctxt(BX), DX	// the closure context
	MOVQ	gobuf_bp(BX), BP	// the frame pointer
	// Clear what was consumed, so stale values cannot be resumed twice.
	MOVQ	$0, gobuf_sp(BX)
	MOVQ	$0, gobuf_ret(BX)
	MOVQ	$0, gobuf_ctxt(BX)
	MOVQ	$0, gobuf_bp(BX)
	MOVQ	gobuf_pc(BX), BX
	JMP	BX			// continue where g left off

// func mcall(fn func(*g))
// Saves the calling goroutine's state in g.sched, switches to g0 and its
// stack, and calls fn(g) there. fn must not return: it schedules something
// else (park_m, goexit0, gosched_m), and the saved state is what a later
// gogo resumes, as if mcall had returned.
TEXT runtime·mcall<ABIInternal>(SB), NOSPLIT, $0-8
	MOVQ	AX, DX			// fn's funcval (closure context for the call)

	// Where the caller continues: its PC (our return address) and its SP
	// (above that return address), and its frame pointer.
	MOVQ	0(SP), BX
	MOVQ	BX, (g_sched+gobuf_pc)(R14)
	LEAQ	fn+0(FP), BX
	MOVQ	BX, (g_sched+gobuf_sp)(R14)
	MOVQ	BP, (g_sched+gobuf_bp)(R14)

	// mcall on g0 itself would overwrite g0's state: a fatal bug.
	MOVQ	g_m(R14), BX
	MOVQ	m_g0(BX), SI
	CMPQ	SI, R14
	JNE	goodm
	JMP	runtime·badmcall(SB)
goodm:
	MOVQ	R14, AX			// fn's argument: the g we leave
	MOVQ	SI, R14			// g0 is running now
	get_tls(CX)
	MOVQ	R14, g(CX)
	MOVQ	(g_sched+gobuf_sp)(R14), SP	// on g0's stack, at its top frame
	PUSHQ	AX			// the argument slot
	MOVQ	0(DX), R12
	CALL	R12			// fn(g)
	POPQ	AX
	JMP	runtime·badmcall2(SB)	// fn returned: a fatal bug
	RET

// systemstack_switch is never called: its address stands in a g.sched.pc
// saved by systemstack, so that a traceback of a goroutine that is running
// something on g0 shows where it is.
TEXT runtime·systemstack_switch(SB), NOSPLIT, $0-0
	UNDEF
	CALL	runtime·abort(SB)
	RET

// func systemstack(fn func())
// Runs fn on the M's g0 stack and comes back. Called on g0 or gsignal, it
// just calls fn; called on a user goroutine, it saves that goroutine's state,
// switches to g0, calls fn, and switches back.
TEXT runtime·systemstack(SB), NOSPLIT, $0-8
	MOVQ	fn+0(FP), DI		// fn's funcval
	get_tls(CX)
	MOVQ	g(CX), AX		// AX = the running g
	MOVQ	g_m(AX), BX		// BX = its m

	CMPQ	AX, m_gsignal(BX)	// on the signal stack already
	JEQ	noswitch
	MOVQ	m_g0(BX), DX		// DX = g0
	CMPQ	AX, DX			// on g0 already
	JEQ	noswitch
	CMPQ	AX, m_curg(BX)		// any other g but the M's user goroutine
	JNE	bad

	// Save the user goroutine's state; switch to g0.
	CALL	gosave_systemstack_switch<>(SB)
	MOVQ	DX, g(CX)
	MOVQ	DX, R14
	MOVQ	(g_sched+gobuf_sp)(DX), BX
	MOVQ	BX, SP

	// Call fn with its closure context in DX.
	MOVQ	DI, DX
	MOVQ	0(DI), DI
	CALL	DI

	// Back to the user goroutine, at the SP and BP it had.
	get_tls(CX)
	MOVQ	g(CX), AX
	MOVQ	g_m(AX), BX
	MOVQ	m_curg(BX), AX
	MOVQ	AX, g(CX)
	MOVQ	AX, R14
	MOVQ	(g_sched+gobuf_sp)(AX), SP
	MOVQ	(g_sched+gobuf_bp)(AX), BP
	MOVQ	$0, (g_sched+gobuf_sp)(AX)
	MOVQ	$0, (g_sched+gobuf_bp)(AX)
	RET

noswitch:
	// Already on a system stack: a plain tail call into fn.
	MOVQ	DI, DX
	MOVQ	0(DI), DI
	JMP	DI

bad:
	MOVQ	$runtime·badsystemstack(SB), AX
	CALL	AX
	INT	$3

// gosave_systemstack_switch<>: g.sched = {pc: systemstack_switch+8, sp and
// bp of systemstack's caller}, for tracebacks while the goroutine waits on
// g0. It must not touch DX, DI, R12, R13 (live in systemstack).
TEXT gosave_systemstack_switch<>(SB), NOSPLIT, $0
	MOVQ	$runtime·systemstack_switch+8(SB), R9
	MOVQ	R9, (g_sched+gobuf_pc)(R14)
	LEAQ	8(SP), R9
	MOVQ	R9, (g_sched+gobuf_sp)(R14)
	MOVQ	$0, (g_sched+gobuf_ret)(R14)
	MOVQ	BP, (g_sched+gobuf_bp)(R14)
	// A non-nil ctxt here would be a bug: nothing may be carried across.
	MOVQ	(g_sched+gobuf_ctxt)(R14), R9
	TESTQ	R9, R9
	JZ	2(PC)
	CALL	runtime·abort(SB)
	RET

// goexit is where every goroutine's first function returns to: newproc1
// pushes goexit+1 (past the NOP, so a traceback shows goexit itself) as the
// return address of the goroutine's top frame.
TEXT runtime·goexit(SB), NOSPLIT|TOPFRAME, $0-0
	BYTE	$0x90	// NOP
	CALL	runtime·goexit1(SB)	// does not return
	BYTE	$0x90	// NOP

// morestack: a function's prologue found SP below g.stackguard0 (its stack
// is too small, or a preemption request set the guard to stackPreempt).
// On entry the return address is in f (the function that needs the stack)
// and 8(SP) is f's own return address into its caller. Save both, switch
// to g0, and let newstack grow the stack or reschedule; it then resumes f
// from its start through gogo. DX holds f's closure context.
TEXT runtime·morestack(SB), NOSPLIT, $0-0
	// Never on g0: g0's stack cannot grow.
	get_tls(CX)
	MOVQ	g(CX), BX
	MOVQ	g_m(BX), BX
	MOVQ	m_g0(BX), SI
	CMPQ	g(CX), SI
	JNE	3(PC)
	CALL	runtime·badmorestackg0(SB)
	CALL	runtime·abort(SB)

	// Nor on the signal stack.
	MOVQ	m_gsignal(BX), SI
	CMPQ	g(CX), SI
	JNE	3(PC)
	CALL	runtime·badmorestackgsignal(SB)
	CALL	runtime·abort(SB)

	// f's caller: m.morebuf = {pc: f's return address, sp: f's caller's SP}.
	NOP	SP	// tell the assembler's SP tracking that nothing moved
	MOVQ	8(SP), AX
	MOVQ	AX, (m_morebuf+gobuf_pc)(BX)
	LEAQ	16(SP), AX
	MOVQ	AX, (m_morebuf+gobuf_sp)(BX)
	get_tls(CX)
	MOVQ	g(CX), SI
	MOVQ	SI, (m_morebuf+gobuf_g)(BX)

	// f itself: g.sched = {pc: back into f's prologue, sp: f's SP}.
	MOVQ	0(SP), AX
	MOVQ	AX, (g_sched+gobuf_pc)(SI)
	LEAQ	8(SP), AX
	MOVQ	AX, (g_sched+gobuf_sp)(SI)
	MOVQ	BP, (g_sched+gobuf_bp)(SI)
	MOVQ	DX, (g_sched+gobuf_ctxt)(SI)

	// To g0, and call newstack there. It does not return.
	MOVQ	m_g0(BX), BX
	MOVQ	BX, g(CX)
	MOVQ	(g_sched+gobuf_sp)(BX), SP
	CALL	runtime·newstack(SB)
	CALL	runtime·abort(SB)	// crash if newstack returns
	RET

// morestack_noctxt: morestack for functions without a closure context.
TEXT runtime·morestack_noctxt(SB), NOSPLIT, $0
	MOVL	$0, DX
	JMP	runtime·morestack(SB)

// abort: crash at once, with a trap that tracebacks can see.
TEXT runtime·abort(SB), NOSPLIT, $0-0
	INT	$3
loop:
	JMP	loop

// func procyield(cycles uint32): spin politely for a while (spin locks).
TEXT runtime·procyield(SB), NOSPLIT, $0-4
	MOVL	cycles+0(FP), AX
again:
	PAUSE
	SUBL	$1, AX
	JNZ	again
	RET
