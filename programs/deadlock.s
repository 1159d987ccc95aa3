// deadlock: main waits on a channel nobody will ever send on. When the last
// M finds nothing to run and parks, checkdead sees every goroutine waiting
// and no timer pending, and the runtime dies as Go's does:
//   fatal error: all goroutines are asleep - deadlock!
// Twin: deadlock.go.

#include "textflag.h"

TEXT ·main(SB), $40-0
	// c := make(chan int)
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, c-8(SP)
	// println("waiting")
	CALL	runtime·printlock(SB)
	LEAQ	waiting<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$7, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// <-c
	MOVQ	c-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	RET

DATA waiting<>+0(SB)/7, $"waiting"
GLOBL waiting<>(SB), RODATA, $8
