// buffered: a producer fills a buffered channel (capacity 3) and closes
// it; main drains it with v, ok := <-c (chanrecv2) until the channel is
// closed and empty. With one P: main parks on the empty channel, so the
// producer's first send hands 0 straight to main; the next three fill the
// buffer and the fifth parks the producer on the sendq. Main then takes
// the buffer's head and moves the parked sender's value into the freed
// slot (chanrecv → recv), which readies the producer. After close, the
// buffer still drains before ok turns false. Twin: buffered.go.

#include "textflag.h"

// func producer(c chan int, n int) as a closure: DX -> {producer, c, n}.
TEXT ·producer(SB), NEEDCTXT, $48-0
	MOVQ	8(DX), AX
	MOVQ	AX, c-8(SP)
	MOVQ	16(DX), AX
	MOVQ	AX, n-16(SP)
	MOVQ	$0, i-24(SP)
loop:
	MOVQ	i-24(SP), AX
	CMPQ	AX, n-16(SP)
	JGE	finished
	// c <- i
	MOVQ	c-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	i-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	// println("sent", i)
	CALL	runtime·printlock(SB)
	LEAQ	sent<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$4, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	i-24(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	INCQ	i-24(SP)
	JMP	loop
finished:
	// println("closing")
	CALL	runtime·printlock(SB)
	LEAQ	closing<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$7, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// close(c)
	MOVQ	c-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·closechan(SB)
	RET

TEXT ·main(SB), $56-0
	// c := make(chan int, 3)
	MOVQ	$8, 0(SP)
	MOVQ	$3, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, c-8(SP)
	// go producer(c, 5)
	MOVQ	$24, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·producer(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	c-8(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	$5, 16(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
loop:
	// v, ok := <-c; the result is a bool at 16(SP)
	MOVQ	c-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv2(SB)
	MOVBLZX	16(SP), AX
	TESTQ	AX, AX
	JEQ	drained
	// println("received", v)
	CALL	runtime·printlock(SB)
	LEAQ	received<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$8, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	v-16(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	JMP	loop
drained:
	// println("closed and drained")
	CALL	runtime·printlock(SB)
	LEAQ	drainedmsg<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$18, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA sent<>+0(SB)/4, $"sent"
GLOBL sent<>(SB), RODATA, $8
DATA closing<>+0(SB)/7, $"closing"
GLOBL closing<>(SB), RODATA, $8
DATA received<>+0(SB)/8, $"received"
GLOBL received<>(SB), RODATA, $8
DATA drainedmsg<>+0(SB)/8, $"closed a"
DATA drainedmsg<>+8(SB)/8, $"nd drain"
DATA drainedmsg<>+16(SB)/2, $"ed"
GLOBL drainedmsg<>(SB), RODATA, $24
