// Two goroutines take turns through runtime.Gosched, N times each: 2N
// goroutine switches (each Gosched: mcall, gosched_m, schedule, gogo).
// N is set by bench/sched.ts (#define N).
#include "textflag.h"

// func loop(done chan bool): DX -> {loop, done}.
TEXT ·loop(SB), NEEDCTXT, $24-0
	MOVQ	8(DX), AX
	MOVQ	AX, done-8(SP)
	MOVQ	$N, CX
	MOVQ	CX, i-16(SP)
again:
	CALL	runtime·Gosched(SB)
	DECQ	i-16(SP)
	JNZ	again
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

TEXT ·spawn(SB), $32-8
	MOVQ	$16, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·loop(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	done+0(FP), BX
	MOVQ	BX, 8(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	RET

TEXT ·main(SB), $24-0
	MOVQ	$0, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-8(SP)
	MOVQ	AX, 0(SP)
	CALL	·spawn(SB)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	·spawn(SB)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chanrecv1(SB)
	RET
