// main creates N goroutines one after the other, each running an empty
// function: go noop(); Gosched(). Each round is a newproc, a switch to the
// new goroutine, its goexit, and a switch back: N goroutines created and
// exited. N is set by bench/sched.ts (#define N).
#include "textflag.h"

TEXT ·noop(SB), NOSPLIT, $0-0
	RET

TEXT ·main(SB), $16-0
	MOVQ	$N, CX
	MOVQ	CX, i-8(SP)
again:
	LEAQ	·noopfv(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	CALL	runtime·Gosched(SB)
	DECQ	i-8(SP)
	JNZ	again
	RET

DATA ·noopfv+0(SB)/8, $·noop(SB)
GLOBL ·noopfv(SB), RODATA, $8
