// semaphore: a buffered channel of capacity 2 as a counting semaphore
// (the runtime's semacquire has no Go twin: sync.Mutex is more than a
// semaphore). Four workers; a send acquires, a receive releases, so at
// most two are ever between "in" and "out". The third and fourth park on
// the full channel's sendq; each release takes the buffer's head and
// moves the first parked sender's value in, readying it (chanrecv →
// recv). Gosched in the middle lets the others run. Twin: semaphore.go.

#include "textflag.h"

// say(id int, what *byte, len int): println("worker", id, what)
TEXT ·say(SB), $16-24
	CALL	runtime·printlock(SB)
	LEAQ	workername<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$6, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	id+0(FP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	MOVQ	what+8(FP), AX
	MOVQ	AX, 0(SP)
	MOVQ	len+16(FP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

// func worker(id int, sem, done chan bool) as a closure:
// DX -> {worker, id, sem, done}.
TEXT ·worker(SB), NEEDCTXT, $56-0
	MOVQ	8(DX), AX
	MOVQ	AX, id-8(SP)
	MOVQ	16(DX), AX
	MOVQ	AX, sem-16(SP)
	MOVQ	24(DX), AX
	MOVQ	AX, done-24(SP)
	MOVB	$1, b-32(SP)
	// sem <- true: acquire
	MOVQ	sem-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	// println("worker", id, "in")
	MOVQ	id-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	in<>(SB), AX
	MOVQ	AX, 8(SP)
	MOVQ	$2, 16(SP)
	CALL	·say(SB)
	CALL	runtime·Gosched(SB)
	// println("worker", id, "out")
	MOVQ	id-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	out<>(SB), AX
	MOVQ	AX, 8(SP)
	MOVQ	$3, 16(SP)
	CALL	·say(SB)
	// <-sem: release
	MOVQ	sem-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// done <- true
	MOVB	$1, b-32(SP)
	MOVQ	done-24(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

TEXT ·main(SB), $56-0
	// sem := make(chan bool, 2); done := make(chan bool)
	MOVQ	$1, 0(SP)
	MOVQ	$2, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, sem-8(SP)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-16(SP)
	// for i := 0; i < 4; i++ { go worker(i, sem, done) }
	MOVQ	$0, i-24(SP)
spawn:
	MOVQ	$32, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·worker(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	i-24(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	sem-8(SP), BX
	MOVQ	BX, 16(AX)
	MOVQ	done-16(SP), BX
	MOVQ	BX, 24(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	INCQ	i-24(SP)
	CMPQ	i-24(SP), $4
	JLT	spawn
	// for i := 0; i < 4; i++ { <-done }
	MOVQ	$0, i-24(SP)
wait:
	MOVQ	done-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	INCQ	i-24(SP)
	CMPQ	i-24(SP), $4
	JLT	wait
	// println("all done")
	CALL	runtime·printlock(SB)
	LEAQ	alldone<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$8, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA workername<>+0(SB)/6, $"worker"
GLOBL workername<>(SB), RODATA, $8
DATA in<>+0(SB)/2, $"in"
GLOBL in<>(SB), RODATA, $8
DATA out<>+0(SB)/3, $"out"
GLOBL out<>(SB), RODATA, $8
DATA alldone<>+0(SB)/8, $"all done"
GLOBL alldone<>(SB), RODATA, $8
