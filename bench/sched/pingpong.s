// Unbuffered ping-pong: main sends on ping and receives on pong, a partner
// goroutine receives on ping and sends on pong, N round trips (each
// direction parks one side and readies the other). N is set by
// bench/sched.ts (#define N).
#include "textflag.h"

// func partner(ping, pong chan int): DX -> {partner, ping, pong}.
TEXT ·partner(SB), NEEDCTXT, $40-0
	MOVQ	8(DX), AX
	MOVQ	AX, ping-8(SP)
	MOVQ	16(DX), AX
	MOVQ	AX, pong-16(SP)
loop:
	MOVQ	ping-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	pong-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	JMP	loop

TEXT ·main(SB), $48-0
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, ping-8(SP)
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, pong-16(SP)
	// go partner(ping, pong)
	MOVQ	$24, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·partner(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	ping-8(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	pong-16(SP), BX
	MOVQ	BX, 16(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	$N, CX
	MOVQ	CX, i-32(SP)
again:
	MOVQ	ping-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	i-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	MOVQ	pong-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-40(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	DECQ	i-32(SP)
	JNZ	again
	RET
