// lockthread: runtime·LockOSThread wires a goroutine to its thread (M):
// while it is locked, no other goroutine runs on that thread, and when the
// locked goroutine blocks, its thread hands the P to another thread
// (stoplockedm) and sleeps until the goroutine is ready again, when the
// thread that finds it hands the P back (startlockedm). A goroutine that
// exits still locked takes its thread with it (mexit). Twin: lockthread.go.

#include "textflag.h"

// func worker(id int, done chan bool) as a closure: DX -> {worker, id, done}.
TEXT ·worker(SB), NEEDCTXT, $48-0
	MOVQ	8(DX), AX
	MOVQ	AX, id-8(SP)
	MOVQ	16(DX), AX
	MOVQ	AX, done-16(SP)
	CALL	runtime·LockOSThread(SB)
	// println("worker", id, "locked")
	MOVQ	id-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	locked<>(SB), AX
	MOVQ	AX, 8(SP)
	MOVQ	$6, 16(SP)
	CALL	·say(SB)
	CALL	runtime·Gosched(SB)
	// println("worker", id, "after Gosched")
	MOVQ	id-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	after<>(SB), AX
	MOVQ	AX, 8(SP)
	MOVQ	$13, 16(SP)
	CALL	·say(SB)
	// if id == 1 { runtime.UnlockOSThread(); println("worker", id, "unlocked") }
	CMPQ	id-8(SP), $1
	JNE	send
	CALL	runtime·UnlockOSThread(SB)
	MOVQ	id-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	unlocked<>(SB), AX
	MOVQ	AX, 8(SP)
	MOVQ	$8, 16(SP)
	CALL	·say(SB)
send:
	// done <- true (worker 0 returns still locked: its thread exits)
	MOVB	$1, v-24(SP)
	MOVQ	done-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

// func say(id int, msg string): println("worker", id, msg)
TEXT ·say(SB), $16-24
	CALL	runtime·printlock(SB)
	LEAQ	worker<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$6, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	id+0(FP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	MOVQ	msg+8(FP), AX
	MOVQ	AX, 0(SP)
	MOVQ	len+16(FP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

// spawn(id int, done chan bool): go worker(id, done)
TEXT ·spawn(SB), $32-16
	MOVQ	$24, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·worker(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	id+0(FP), BX
	MOVQ	BX, 8(AX)
	MOVQ	done+8(FP), BX
	MOVQ	BX, 16(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	RET

TEXT ·main(SB), $32-0
	CALL	runtime·LockOSThread(SB)
	// done := make(chan bool)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-8(SP)
	// go worker(0, done); go worker(1, done)
	MOVQ	$0, 0(SP)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	·spawn(SB)
	MOVQ	$1, 0(SP)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 8(SP)
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
	CALL	runtime·UnlockOSThread(SB)
	// println("main: done")
	CALL	runtime·printlock(SB)
	LEAQ	maindone<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$10, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA worker<>+0(SB)/6, $"worker"
GLOBL worker<>(SB), RODATA, $8
DATA locked<>+0(SB)/6, $"locked"
GLOBL locked<>(SB), RODATA, $8
DATA after<>+0(SB)/8, $"after Go"
DATA after<>+8(SB)/5, $"sched"
GLOBL after<>(SB), RODATA, $16
DATA unlocked<>+0(SB)/8, $"unlocked"
GLOBL unlocked<>(SB), RODATA, $8
DATA maindone<>+0(SB)/8, $"main: do"
DATA maindone<>+8(SB)/2, $"ne"
GLOBL maindone<>(SB), RODATA, $16
