// The reference solution of the mcall lab (the runtime's own, asm/asm_amd64.s).

#include "go_asm.h"
#include "go_tls.h"
#include "textflag.h"

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
