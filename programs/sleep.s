// sleep: three goroutines sleep 30, 10 and 20 ms (time.Sleep is
// runtime·timeSleep, on the emulator's virtual clock); they wake, and
// print, in the order of their deadlines. Each parks with a timer
// (waitReason "sleep"); with nothing left to run, the M waits until the
// earliest timer is due, as Go's blocks in netpoll, and findRunnable's
// timer check readies the sleeper. Twin: sleep.go.

#include "textflag.h"

// func sleeper(ms int, done chan bool) as a closure: DX -> {sleeper, ms, done}.
TEXT ·sleeper(SB), NEEDCTXT, $40-0
	MOVQ	8(DX), AX
	MOVQ	AX, ms-8(SP)
	MOVQ	16(DX), AX
	MOVQ	AX, done-16(SP)
	// time.Sleep(time.Duration(ms) * time.Millisecond)
	MOVQ	ms-8(SP), AX
	IMULQ	$1000000, AX
	MOVQ	AX, 0(SP)
	CALL	runtime·timeSleep(SB)
	// println("woke after", ms, "ms")
	CALL	runtime·printlock(SB)
	LEAQ	wokeafter<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$10, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	ms-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	LEAQ	msname<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$2, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// done <- true
	MOVB	$1, b-24(SP)
	MOVQ	done-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

// spawn(ms int, done chan bool): go sleeper(ms, done)
TEXT ·spawn(SB), $32-16
	MOVQ	$24, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·sleeper(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	ms+0(FP), BX
	MOVQ	BX, 8(AX)
	MOVQ	done+8(FP), BX
	MOVQ	BX, 16(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	RET

TEXT ·main(SB), $40-0
	// done := make(chan bool)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-8(SP)
	// go sleeper(30, done); go sleeper(10, done); go sleeper(20, done)
	MOVQ	$30, 0(SP)
	MOVQ	AX, 8(SP)
	CALL	·spawn(SB)
	MOVQ	$10, 0(SP)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	·spawn(SB)
	MOVQ	$20, 0(SP)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	·spawn(SB)
	// for i := 0; i < 3; i++ { <-done }
	MOVQ	$0, i-16(SP)
wait:
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	INCQ	i-16(SP)
	CMPQ	i-16(SP), $3
	JLT	wait
	// println("all awake")
	CALL	runtime·printlock(SB)
	LEAQ	allawake<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$9, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA wokeafter<>+0(SB)/8, $"woke aft"
DATA wokeafter<>+8(SB)/2, $"er"
GLOBL wokeafter<>(SB), RODATA, $16
DATA msname<>+0(SB)/2, $"ms"
GLOBL msname<>(SB), RODATA, $8
DATA allawake<>+0(SB)/8, $"all awak"
DATA allawake<>+8(SB)/1, $"e"
GLOBL allawake<>(SB), RODATA, $16
