// goexitmain: main calls runtime·Goexit after its only other goroutine
// has finished. Goexit never returns, so main.main never does either and
// the program cannot exit; the last M parks in findRunnable (stopm →
// mput), and checkdead, counting user goroutines (the runtime's own,
// parked for good, do not count), finds none at all:
//   fatal error: no goroutines (main called runtime.Goexit) - deadlock!
// Go prints no goroutine after it: the M is on g0, with no current
// goroutine to show. Exit status 2. Twin: goexitmain.go.

#include "textflag.h"

// func() { done <- true }, a closure: DX -> {send, done}.
TEXT ·send(SB), NEEDCTXT, $24-0
	MOVQ	8(DX), AX
	MOVQ	AX, 0(SP)
	MOVB	$1, b-8(SP)
	LEAQ	b-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

TEXT ·main(SB), $40-0
	// done := make(chan bool)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-8(SP)
	// go func() { done <- true }()
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
	// <-done
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// println("main: calling Goexit")
	CALL	runtime·printlock(SB)
	LEAQ	calling<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$20, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// runtime.Goexit()
	CALL	runtime·Goexit(SB)
	// println("not reached")
	CALL	runtime·printlock(SB)
	LEAQ	notreached<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$11, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA calling<>+0(SB)/8, $"main: ca"
DATA calling<>+8(SB)/8, $"lling Go"
DATA calling<>+16(SB)/4, $"exit"
GLOBL calling<>(SB), RODATA, $24
DATA notreached<>+0(SB)/8, $"not reac"
DATA notreached<>+8(SB)/3, $"hed"
GLOBL notreached<>(SB), RODATA, $16
