// many: 100,000 goroutines, each sending one value on a buffered channel;
// main receives all of them. With --procs 4 the other Ps' Ms spin, steal
// half of a run queue at a time, and park again when there is no work.
// The benchmark runs it (npm run bench). Twin: many.go.

#include "textflag.h"

#define N 100000

// func() { done <- true }, a closure: DX -> {send, done}.
TEXT ·send(SB), NEEDCTXT, $24-0
	MOVQ	8(DX), AX
	MOVQ	AX, 0(SP)
	MOVB	$1, v-8(SP)
	LEAQ	v-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

TEXT ·main(SB), $48-0
	// done := make(chan bool, 100)
	MOVQ	$1, 0(SP)
	MOVQ	$100, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-8(SP)
	MOVQ	$0, i-16(SP)
spawn:
	MOVQ	$16, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·send(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	done-8(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	i-16(SP), AX
	INCQ	AX
	MOVQ	AX, i-16(SP)
	CMPQ	AX, $N
	JLT	spawn
	MOVQ	$0, i-16(SP)
recv:
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	i-16(SP), AX
	INCQ	AX
	MOVQ	AX, i-16(SP)
	CMPQ	AX, $N
	JLT	recv
	// println("finished", n)
	CALL	runtime·printlock(SB)
	LEAQ	finished<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$8, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	$N, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA finished<>+0(SB)/8, $"finished"
GLOBL finished<>(SB), RODATA, $8
