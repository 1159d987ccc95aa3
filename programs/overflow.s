// overflow: unbounded recursion. Every call of down needs another 56 bytes
// of stack, so newstack doubles the stack again and again until the next
// size would pass the limit (Go's maxstacksize: 1,000,000,000 bytes, which
// takes a 512 MiB stack to reach; run it with a small one instead):
//
//	gmpemu run programs/overflow.s --max-stack 1048576
//
//	runtime: goroutine stack exceeds 1048576-byte limit
//	runtime: sp=0xc... stack=[0xc..., 0xc...]
//	fatal error: stack overflow
//
// and exit status 2, as Go's does. No twin: Go's report of the same
// overflow goes on with a "runtime stack:" traceback of its own g0, and it
// needs the 1 GB limit (or debug.SetMaxStack) to get there.

#include "textflag.h"

// func down(n int) int { return down(n+1) + 1 }
TEXT ·down(SB), $32-16
	MOVQ	n+0(FP), AX
	INCQ	AX
	MOVQ	AX, 0(SP)
	CALL	·down(SB)
	MOVQ	8(SP), AX
	INCQ	AX
	MOVQ	AX, ret+8(FP)
	RET

TEXT ·main(SB), $16-0
	MOVQ	$0, 0(SP)
	CALL	·down(SB)
	RET
