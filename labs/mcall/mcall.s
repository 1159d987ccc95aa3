// Lab: mcall. Write the routine a goroutine uses to give up the CPU.
// Read README.md first. Grade it with:  gmpemu lab grade mcall mcall.s
//
// mcall(fn) is called on a user goroutine g (R14 = g, and the TLS slot).
// It is ABIInternal: fn (a *funcval) arrives in AX. When control reaches
// fn's code, the grader checks:
//   g.sched.pc = mcall's return address, g.sched.sp = the caller's SP once
//   that address is popped, g.sched.bp = the caller's BP;
//   the TLS g slot and R14 = g0 (g.m.g0), SP = g0.sched.sp - 16;
//   fn's argument is the old g: in AX, and at 8(SP) (a word pushed before
//   the CALL; gmpemu's fn reads its ABI0 argument there).
// fn never returns. If it does, or if mcall is called on g0, the runtime
// must crash: JMP runtime·badmcall(SB) / runtime·badmcall2(SB) report it.

#include "go_asm.h"
#include "go_tls.h"
#include "textflag.h"

TEXT runtime·mcall<ABIInternal>(SB), NOSPLIT, $0-8
	MOVQ	AX, DX			// DX = fn (a funcval; also the closure context)
	// TODO: save the caller in g.sched (R14 = g): pc, sp, bp
	// TODO: find g0; if g is g0, JMP runtime·badmcall(SB)
	// TODO: switch to g0: R14, the TLS g slot, SP = g0.sched.sp
	// TODO: push the argument word and call fn's code (0(DX))
	INT	$3			// remove this: it stops the program here
	JMP	runtime·badmcall2(SB)	// fn returned: "mcall function returned"
