// N goroutines blocked for good: each receives from one channel that
// nobody sends on. main starts them, lets each run until it parks
// (Gosched after every 1,000), prints runtime.NumGoroutine() and returns,
// which ends the program with them still parked. bench/sched.ts measures
// the resident memory per blocked goroutine from two sizes in child
// processes. N is set by bench/sched.ts (#define N).
#include "textflag.h"

// func block(c chan int): DX -> {block, c}.
TEXT ·block(SB), NEEDCTXT, $24-0
	MOVQ	8(DX), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	RET

TEXT ·main(SB), $40-0
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, c-8(SP)
	// The closure {block, c} is shared by every goroutine.
	MOVQ	$16, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·block(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	c-8(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	AX, fv-16(SP)
	MOVQ	$N, CX
	MOVQ	CX, i-24(SP)
again:
	MOVQ	fv-16(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	i-24(SP), AX
	MOVQ	$0, DX
	MOVQ	$1000, CX
	DIVQ	CX
	CMPQ	DX, $0
	JNE	next
	CALL	runtime·Gosched(SB)
next:
	DECQ	i-24(SP)
	JNZ	again
	CALL	runtime·Gosched(SB)
	CALL	runtime·NumGoroutine(SB)
	MOVQ	0(SP), AX
	MOVQ	AX, n-32(SP)
	CALL	runtime·printlock(SB)
	MOVQ	n-32(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET
