// pingpong: two goroutines bounce a counter over two unbuffered channels.
// An unbuffered send either finds a parked receiver and copies the value
// straight into its frame (chansend → send → goready, the receiver goes to
// runnext) or parks the sender on the channel's sendq until a receiver
// comes. Each line is caused by the one before it, so the output is the
// same for any --procs. Twin: pingpong.go.

#include "textflag.h"

// func player(name string, in, out chan int, n int, done chan bool) as a
// closure: DX -> {player, name.ptr, name.len, in, out, n, done}.
TEXT ·player(SB), NEEDCTXT, $80-0
	MOVQ	8(DX), AX
	MOVQ	AX, nameptr-8(SP)
	MOVQ	16(DX), AX
	MOVQ	AX, namelen-16(SP)
	MOVQ	24(DX), AX
	MOVQ	AX, in-24(SP)
	MOVQ	32(DX), AX
	MOVQ	AX, out-32(SP)
	MOVQ	40(DX), AX
	MOVQ	AX, n-40(SP)
	MOVQ	48(DX), AX
	MOVQ	AX, done-48(SP)
	MOVQ	$0, i-56(SP)
loop:
	MOVQ	i-56(SP), AX
	CMPQ	AX, n-40(SP)
	JGE	finished
	// v := <-in
	MOVQ	in-24(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-64(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// println(name, v)
	CALL	runtime·printlock(SB)
	MOVQ	nameptr-8(SP), AX
	MOVQ	AX, 0(SP)
	MOVQ	namelen-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	v-64(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// out <- v + 1
	INCQ	v-64(SP)
	MOVQ	out-32(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-64(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	INCQ	i-56(SP)
	JMP	loop
finished:
	// done <- true
	MOVB	$1, b-72(SP)
	MOVQ	done-48(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-72(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

// spawn(name *byte, len int, in, out chan int, n int, done chan bool):
// go player(name, in, out, n, done).
TEXT ·spawn(SB), $32-48
	MOVQ	$56, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·player(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	name+0(FP), BX
	MOVQ	BX, 8(AX)
	MOVQ	len+8(FP), BX
	MOVQ	BX, 16(AX)
	MOVQ	in+16(FP), BX
	MOVQ	BX, 24(AX)
	MOVQ	out+24(FP), BX
	MOVQ	BX, 32(AX)
	MOVQ	n+32(FP), BX
	MOVQ	BX, 40(AX)
	MOVQ	done+40(FP), BX
	MOVQ	BX, 48(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	RET

TEXT ·main(SB), $88-0
	// ping := make(chan int); pong := make(chan int); done := make(chan bool)
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, ping-8(SP)
	MOVQ	$8, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, pong-16(SP)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-24(SP)
	// go player("ping", ping, pong, 3, done)
	LEAQ	pingname<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$4, 8(SP)
	MOVQ	ping-8(SP), AX
	MOVQ	AX, 16(SP)
	MOVQ	pong-16(SP), AX
	MOVQ	AX, 24(SP)
	MOVQ	$3, 32(SP)
	MOVQ	done-24(SP), AX
	MOVQ	AX, 40(SP)
	CALL	·spawn(SB)
	// go player("pong", pong, ping, 3, done)
	LEAQ	pongname<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$4, 8(SP)
	MOVQ	pong-16(SP), AX
	MOVQ	AX, 16(SP)
	MOVQ	ping-8(SP), AX
	MOVQ	AX, 24(SP)
	MOVQ	$3, 32(SP)
	MOVQ	done-24(SP), AX
	MOVQ	AX, 40(SP)
	CALL	·spawn(SB)
	// ping <- 0
	MOVQ	$0, v-32(SP)
	MOVQ	ping-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	// <-done: ping has made its last receive on ping ...
	MOVQ	done-24(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-40(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// ... so pong's last send comes to main: v := <-ping
	MOVQ	ping-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// <-done
	MOVQ	done-24(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	b-40(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// println("final", v)
	CALL	runtime·printlock(SB)
	LEAQ	final<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$5, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	v-32(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA pingname<>+0(SB)/4, $"ping"
GLOBL pingname<>(SB), RODATA, $8
DATA pongname<>+0(SB)/4, $"pong"
GLOBL pongname<>(SB), RODATA, $8
DATA final<>+0(SB)/5, $"final"
GLOBL final<>(SB), RODATA, $8
