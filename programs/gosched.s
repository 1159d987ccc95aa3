// gosched: two goroutines take turns through runtime.Gosched, which moves
// the caller to the global run queue (gosched_m) and schedules the other.
// At the end NumGoroutine counts only main: the two finished goroutines
// are on the P's free list, kept for reuse. Twin: gosched.go.

#include "textflag.h"

// func loop(name string, n int, done chan bool) as a closure:
// DX -> {loop, name.ptr, name.len, n, done}.
TEXT ·loop(SB), NEEDCTXT, $56-0
	MOVQ	8(DX), AX
	MOVQ	AX, nameptr-8(SP)
	MOVQ	16(DX), AX
	MOVQ	AX, namelen-16(SP)
	MOVQ	24(DX), AX
	MOVQ	AX, n-24(SP)
	MOVQ	32(DX), AX
	MOVQ	AX, done-32(SP)
	MOVQ	$0, i-40(SP)
again:
	MOVQ	i-40(SP), AX
	CMPQ	AX, n-24(SP)
	JGE	finished
	// println(name, i)
	CALL	runtime·printlock(SB)
	MOVQ	nameptr-8(SP), AX
	MOVQ	AX, 0(SP)
	MOVQ	namelen-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	i-40(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	CALL	runtime·Gosched(SB)
	MOVQ	i-40(SP), AX
	INCQ	AX
	MOVQ	AX, i-40(SP)
	JMP	again
finished:
	// done <- true
	MOVB	$1, v-48(SP)
	MOVQ	done-32(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-48(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

// spawn(name *byte, len int, n int, done chan bool): go loop(name, n, done)
TEXT ·spawn(SB), $32-32
	MOVQ	$40, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·loop(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	name+0(FP), BX
	MOVQ	BX, 8(AX)
	MOVQ	len+8(FP), BX
	MOVQ	BX, 16(AX)
	MOVQ	n+16(FP), BX
	MOVQ	BX, 24(AX)
	MOVQ	done+24(FP), BX
	MOVQ	BX, 32(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	RET

TEXT ·main(SB), $48-0
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-8(SP)
	// go loop("ping", 3, done); go loop("pong", 3, done)
	LEAQ	ping<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$4, 8(SP)
	MOVQ	$3, 16(SP)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 24(SP)
	CALL	·spawn(SB)
	LEAQ	pong<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$4, 8(SP)
	MOVQ	$3, 16(SP)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 24(SP)
	CALL	·spawn(SB)
	// <-done; <-done
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// println("goroutines:", runtime.NumGoroutine())
	CALL	runtime·NumGoroutine(SB)
	MOVQ	0(SP), AX
	MOVQ	AX, n-24(SP)
	CALL	runtime·printlock(SB)
	LEAQ	goroutines<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$11, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	n-24(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA ping<>+0(SB)/4, $"ping"
GLOBL ping<>(SB), RODATA, $8
DATA pong<>+0(SB)/4, $"pong"
GLOBL pong<>(SB), RODATA, $8
DATA goroutines<>+0(SB)/8, $"goroutin"
DATA goroutines<>+8(SB)/3, $"es:"
GLOBL goroutines<>(SB), RODATA, $16
