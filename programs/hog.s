// hog: Go's TestPingPongHog. Two pairs of goroutines ping-pong over
// unbuffered channels, a hog pair doing a million increments per turn and
// a light pair a thousand. A goroutine readied by its partner goes into
// runnext and inherits the time slice (execute with inheritTime), so a pair
// could keep the one P between them for good; sysmon sees the P's schedtick
// stand still for 10 ms and preempts, and both pairs get about the same
// time: their counts end within a factor of 5. Twin: hog.go.

#include "textflag.h"

// run as a closure: DX -> {run, limit, counter, wake}.
TEXT ·run(SB), NEEDCTXT, $48-0
	MOVQ	8(DX), AX
	MOVQ	AX, limit-8(SP)
	MOVQ	16(DX), AX
	MOVQ	AX, counter-16(SP)
	MOVQ	24(DX), AX
	MOVQ	AX, wake-24(SP)
loop:
	// <-wake
	MOVQ	wake-24(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	// for i := 0; i < limit; i++ { *counter++ }
	MOVQ	limit-8(SP), CX
	MOVQ	counter-16(SP), BX
count:
	MOVQ	(BX), AX
	INCQ	AX
	MOVQ	AX, (BX)
	DECQ	CX
	JNE	count
	// wake <- true
	MOVB	$1, v-32(SP)
	MOVQ	wake-24(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	JMP	loop

// spawn(limit int, counter *int, wake chan bool): go run(limit, counter, wake)
TEXT ·spawn(SB), $32-24
	MOVQ	$32, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·run(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	limit+0(FP), BX
	MOVQ	BX, 8(AX)
	MOVQ	counter+8(FP), BX
	MOVQ	BX, 16(AX)
	MOVQ	wake+16(FP), BX
	MOVQ	BX, 24(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	RET

// pair(limit, counter, wake): two goroutines on one channel.
TEXT ·pair(SB), $24-24
	MOVQ	limit+0(FP), AX
	MOVQ	AX, 0(SP)
	MOVQ	counter+8(FP), AX
	MOVQ	AX, 8(SP)
	MOVQ	wake+16(FP), AX
	MOVQ	AX, 16(SP)
	CALL	·spawn(SB)
	MOVQ	limit+0(FP), AX
	MOVQ	AX, 0(SP)
	MOVQ	counter+8(FP), AX
	MOVQ	AX, 8(SP)
	MOVQ	wake+16(FP), AX
	MOVQ	AX, 16(SP)
	CALL	·spawn(SB)
	RET

TEXT ·main(SB), $48-0
	// hogChan, lightChan := make(chan bool), make(chan bool)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, hog-8(SP)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, light-16(SP)
	MOVQ	$1000000, 0(SP)
	LEAQ	·hogCount(SB), AX
	MOVQ	AX, 8(SP)
	MOVQ	hog-8(SP), AX
	MOVQ	AX, 16(SP)
	CALL	·pair(SB)
	MOVQ	$1000, 0(SP)
	LEAQ	·lightCount(SB), AX
	MOVQ	AX, 8(SP)
	MOVQ	light-16(SP), AX
	MOVQ	AX, 16(SP)
	CALL	·pair(SB)
	// hogChan <- true; lightChan <- true
	MOVB	$1, v-24(SP)
	MOVQ	hog-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	MOVQ	light-16(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	// time.Sleep(100 * time.Millisecond)
	MOVQ	$100000000, 0(SP)
	CALL	runtime·timeSleep(SB)
	// ok := h < 5*l && l < 5*h
	MOVQ	·hogCount(SB), AX
	MOVQ	·lightCount(SB), BX
	MOVB	$0, ok-32(SP)
	IMUL3Q	$5, BX, CX
	CMPQ	AX, CX
	JGE	print
	IMUL3Q	$5, AX, CX
	CMPQ	BX, CX
	JGE	print
	MOVB	$1, ok-32(SP)
print:
	// println("within 5x:", ok)
	CALL	runtime·printlock(SB)
	LEAQ	msg<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$10, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVBQZX	ok-32(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printbool(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

GLOBL ·hogCount(SB), NOPTR, $8
GLOBL ·lightCount(SB), NOPTR, $8
DATA msg<>+0(SB)/8, $"within 5"
DATA msg<>+8(SB)/2, $"x:"
GLOBL msg<>(SB), RODATA, $16
