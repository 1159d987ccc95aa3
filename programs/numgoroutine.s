// numgoroutine: runtime·NumGoroutine is gcount(): all Gs ever made, minus
// the free ones (on the P's and the global free lists) and the runtime's
// own (sched.ngsys). Main, plus three workers from the moment newproc
// makes them (runnable, then blocked on gate) until goexit0 frees them.
// close(gate) readies all three at once. Twin: numgoroutine.go.

#include "textflag.h"

// func worker(gate, done chan bool) as a closure: DX -> {worker, gate, done}.
TEXT ·worker(SB), NEEDCTXT, $32-0
	MOVQ	16(DX), AX
	MOVQ	AX, done-8(SP)
	// <-gate
	MOVQ	8(DX), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// done <- true
	MOVB	$1, b-16(SP)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

// report(msg *byte, len int): println(msg, runtime.NumGoroutine())
TEXT ·report(SB), $24-16
	CALL	runtime·NumGoroutine(SB)
	MOVQ	0(SP), AX
	MOVQ	AX, n-8(SP)
	CALL	runtime·printlock(SB)
	MOVQ	msg+0(FP), AX
	MOVQ	AX, 0(SP)
	MOVQ	len+8(FP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	n-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

TEXT ·main(SB), $56-0
	// println("at start:", runtime.NumGoroutine())
	LEAQ	atstart<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$9, 8(SP)
	CALL	·report(SB)
	// gate := make(chan bool); done := make(chan bool)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, gate-8(SP)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-16(SP)
	// for i := 0; i < 3; i++ { go worker(gate, done) }
	MOVQ	$0, i-24(SP)
spawn:
	MOVQ	$24, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·worker(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	gate-8(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	done-16(SP), BX
	MOVQ	BX, 16(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	INCQ	i-24(SP)
	CMPQ	i-24(SP), $3
	JLT	spawn
	// println("created:", runtime.NumGoroutine())
	LEAQ	created<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$8, 8(SP)
	CALL	·report(SB)
	// runtime.Gosched(): the workers run and park on gate
	CALL	runtime·Gosched(SB)
	// println("blocked:", runtime.NumGoroutine())
	LEAQ	blocked<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$8, 8(SP)
	CALL	·report(SB)
	// close(gate)
	MOVQ	gate-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·closechan(SB)
	// for i := 0; i < 3; i++ { <-done }
	MOVQ	$0, i-24(SP)
wait:
	MOVQ	done-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	INCQ	i-24(SP)
	CMPQ	i-24(SP), $3
	JLT	wait
	// for runtime.NumGoroutine() > 1 { runtime.Gosched() }
	JMP	check
yield:
	CALL	runtime·Gosched(SB)
check:
	CALL	runtime·NumGoroutine(SB)
	MOVQ	0(SP), AX
	CMPQ	AX, $1
	JGT	yield
	// println("at end:", runtime.NumGoroutine())
	LEAQ	atend<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$7, 8(SP)
	CALL	·report(SB)
	RET

DATA atstart<>+0(SB)/8, $"at start"
DATA atstart<>+8(SB)/1, $":"
GLOBL atstart<>(SB), RODATA, $16
DATA created<>+0(SB)/8, $"created:"
GLOBL created<>(SB), RODATA, $8
DATA blocked<>+0(SB)/8, $"blocked:"
GLOBL blocked<>(SB), RODATA, $8
DATA atend<>+0(SB)/7, $"at end:"
GLOBL atend<>(SB), RODATA, $8
