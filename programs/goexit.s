// goexit: runtime·Goexit ends the goroutine that calls it, from however
// deep in its call stack: it switches to g0 (mcall) and runs goexit0,
// which marks the goroutine dead and puts it on the P's free list; its
// stack, with worker's and inner's frames on it, is simply abandoned.
// The lines after the call never run. Main waits until NumGoroutine is
// back to 1 (yielding with Gosched, so this holds for any --procs).
// Twin: goexit.go.

#include "textflag.h"

// func inner()
TEXT ·inner(SB), $16-0
	// println("inner: calling Goexit")
	CALL	runtime·printlock(SB)
	LEAQ	calling<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$21, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// runtime.Goexit()
	CALL	runtime·Goexit(SB)
	// println("inner: not reached")
	CALL	runtime·printlock(SB)
	LEAQ	innernot<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$18, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

// func worker(started chan bool) as a closure: DX -> {worker, started}.
TEXT ·worker(SB), NEEDCTXT, $24-0
	// started <- true
	MOVQ	8(DX), AX
	MOVQ	AX, 0(SP)
	MOVB	$1, b-8(SP)
	LEAQ	b-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	CALL	·inner(SB)
	// println("worker: not reached")
	CALL	runtime·printlock(SB)
	LEAQ	workernot<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$19, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

TEXT ·main(SB), $40-0
	// started := make(chan bool)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, started-8(SP)
	// go worker(started)
	MOVQ	$16, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·worker(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	started-8(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	// <-started
	MOVQ	started-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// for runtime.NumGoroutine() > 1 { runtime.Gosched() }
	JMP	check
yield:
	CALL	runtime·Gosched(SB)
check:
	CALL	runtime·NumGoroutine(SB)
	MOVQ	0(SP), AX
	CMPQ	AX, $1
	JGT	yield
	// println("main: goroutines:", runtime.NumGoroutine())
	CALL	runtime·NumGoroutine(SB)
	MOVQ	0(SP), AX
	MOVQ	AX, n-24(SP)
	CALL	runtime·printlock(SB)
	LEAQ	maingor<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$17, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	n-24(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA calling<>+0(SB)/8, $"inner: c"
DATA calling<>+8(SB)/8, $"alling G"
DATA calling<>+16(SB)/5, $"oexit"
GLOBL calling<>(SB), RODATA, $24
DATA innernot<>+0(SB)/8, $"inner: n"
DATA innernot<>+8(SB)/8, $"ot reach"
DATA innernot<>+16(SB)/2, $"ed"
GLOBL innernot<>(SB), RODATA, $24
DATA workernot<>+0(SB)/8, $"worker: "
DATA workernot<>+8(SB)/8, $"not reac"
DATA workernot<>+16(SB)/3, $"hed"
GLOBL workernot<>(SB), RODATA, $24
DATA maingor<>+0(SB)/8, $"main: go"
DATA maingor<>+8(SB)/8, $"routines"
DATA maingor<>+16(SB)/1, $":"
GLOBL maingor<>(SB), RODATA, $24
