// spin: a goroutine that counts forever without making a single call, and
// one that prints. With one P, nothing else can run while the spinner
// holds it, and it never passes a function prologue where a cooperative
// preemption request could be seen: main and the printer run again only
// because sysmon notices the spinner has had the P for a whole time slice
// (10 ms of virtual time) and preempts it with a signal. The shape of Go's
// TestAsyncPreempt. Twin: spin.go. With --asyncpreemptoff (Go's
// GODEBUG=asyncpreemptoff=1) it never ends.

#include "textflag.h"

// spinner: ready = 1, then count in AX forever.
TEXT ·spinner(SB), $0-0
	MOVL	$1, ·ready(SB)
	XORL	AX, AX
spin:
	INCQ	AX
	JMP	spin

// printer as a closure: DX -> {printer, done}. Prints three lines, calling
// Gosched after each, then sends on done.
TEXT ·printer(SB), NEEDCTXT, $40-0
	MOVQ	8(DX), AX
	MOVQ	AX, done-8(SP)
	MOVQ	$0, i-16(SP)
again:
	MOVQ	i-16(SP), AX
	CMPQ	AX, $3
	JGE	finished
	// println("printer", i)
	CALL	runtime·printlock(SB)
	LEAQ	printerstr<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$7, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	i-16(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	CALL	runtime·Gosched(SB)
	INCQ	i-16(SP)
	JMP	again
finished:
	// done <- true
	MOVB	$1, v-24(SP)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

TEXT ·main(SB), $40-0
	// go spinner()
	LEAQ	·spinnerPC(SB), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	// for atomic.LoadUint32(&ready) == 0 { runtime.Gosched() }
wait:
	CMPL	·ready(SB), $0
	JNE	spinning
	CALL	runtime·Gosched(SB)
	JMP	wait
spinning:
	// println("spinner is spinning")
	CALL	runtime·printlock(SB)
	LEAQ	spinningstr<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$19, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// done := make(chan bool)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-8(SP)
	// go printer(done)
	MOVQ	$16, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·printer(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	done-8(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	// <-done
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// println("main: done")
	CALL	runtime·printlock(SB)
	LEAQ	donestr<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$10, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

GLOBL ·ready(SB), NOPTR, $4
DATA ·spinnerPC+0(SB)/8, $·spinner(SB)
GLOBL ·spinnerPC(SB), RODATA, $8
DATA printerstr<>+0(SB)/7, $"printer"
GLOBL printerstr<>(SB), RODATA, $8
DATA spinningstr<>+0(SB)/8, $"spinner "
DATA spinningstr<>+8(SB)/8, $"is spinn"
DATA spinningstr<>+16(SB)/3, $"ing"
GLOBL spinningstr<>(SB), RODATA, $24
DATA donestr<>+0(SB)/8, $"main: do"
DATA donestr<>+8(SB)/2, $"ne"
GLOBL donestr<>(SB), RODATA, $16
