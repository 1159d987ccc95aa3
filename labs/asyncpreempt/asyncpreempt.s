// Lab: asyncPreempt. Write the routine a preemption signal makes a
// goroutine call. Read README.md first. Grade it with:
//   gmpemu lab grade asyncpreempt asyncpreempt.s
//
// When it starts, the signal handler has pushed the interrupted PC as if
// the goroutine had executed CALL asyncPreempt: 0(SP) is that PC, and
// every other register, the flags and X0-X15 hold the interrupted
// goroutine's values, none of which it expected to lose. Save them all,
// CALL runtime·asyncPreempt2(SB) (it parks the goroutine until the
// scheduler runs it again, perhaps on another thread), restore them all,
// and RET to the interrupted PC. The grader checks, when control is back
// there: every general register, the arithmetic flags and DF, X0-X15, and
// SP as it was before the PC was pushed.
//
// NOSPLIT|NOFRAME: no prologue, no frame set up for you. The assembler
// checks that your PUSHes and POPs balance.

#include "go_asm.h"
#include "textflag.h"

TEXT runtime·asyncPreempt(SB), NOSPLIT|NOFRAME, $0-0
	// TODO: keep BP and make a frame pointer of your own (for tracebacks)
	// TODO: save the flags before any instruction changes them
	// TODO: room for the registers (ADJSP), then save the general
	//       registers and X0-X15 (MOVUPS)
	CALL	runtime·asyncPreempt2(SB)
	// TODO: restore everything, in reverse, the flags last
	RET
