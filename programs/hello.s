// hello: three workers report on a channel; main waits for all three.
// The Go twin is hello.go; run both with one P and compare:
//   npx gmpemu run programs/hello.s --procs 1
//   GOMAXPROCS=1 go run programs/hello.go
// The order, worker 2 first, is runnext at work: each `go` puts the new
// goroutine in the P's runnext slot, kicking the previous one to the tail
// of the run queue, so the last one created runs first.

#include "textflag.h"

// func worker(id int, done chan bool), reached as a closure: DX points at
// {worker, id, done}, the funcval main allocates for each `go`.
TEXT ·worker(SB), NEEDCTXT, $40-0
	MOVQ	8(DX), AX
	MOVQ	AX, id-8(SP)
	MOVQ	16(DX), AX
	MOVQ	AX, done-16(SP)
	// println("worker", id, "running")
	CALL	runtime·printlock(SB)
	LEAQ	worker<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$6, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	id-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	LEAQ	running<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$7, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// done <- true
	MOVB	$1, v-24(SP)
	MOVQ	done-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

TEXT ·main(SB), $56-0
	// done := make(chan bool)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-8(SP)
	// for i := 0; i < 3; i++ { go worker(i, done) }
	MOVQ	$0, i-16(SP)
spawn:
	MOVQ	$24, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·worker(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	i-16(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	done-8(SP), BX
	MOVQ	BX, 16(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	MOVQ	i-16(SP), AX
	INCQ	AX
	MOVQ	AX, i-16(SP)
	CMPQ	AX, $3
	JLT	spawn
	// for i := 0; i < 3; i++ { <-done }
	MOVQ	$0, i-16(SP)
wait:
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	MOVQ	i-16(SP), AX
	INCQ	AX
	MOVQ	AX, i-16(SP)
	CMPQ	AX, $3
	JLT	wait
	// println("all", 3, "workers done")
	CALL	runtime·printlock(SB)
	LEAQ	all<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$3, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	$3, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	LEAQ	workersdone<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$12, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA worker<>+0(SB)/6, $"worker"
GLOBL worker<>(SB), RODATA, $8
DATA running<>+0(SB)/7, $"running"
GLOBL running<>(SB), RODATA, $8
DATA all<>+0(SB)/3, $"all"
GLOBL all<>(SB), RODATA, $8
DATA workersdone<>+0(SB)/8, $"workers "
DATA workersdone<>+8(SB)/4, $"done"
GLOBL workersdone<>(SB), RODATA, $16
