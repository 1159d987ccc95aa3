// syscall: main blocks in a 50 ms nanosleep system call (syscall·Syscall,
// with entersyscall and exitsyscall around it) while a worker waits in the
// run queue. With one P the worker runs only because sysmon sees the P
// sitting in the system call with work queued and hands it off to another
// M (retake → handoffp → startm); main gets a P back when the call
// returns. Twin: syscall.go.

#include "textflag.h"

#define SYS_nanosleep 35

// worker as a closure: DX -> {worker, done}.
TEXT ·worker(SB), NEEDCTXT, $40-0
	MOVQ	8(DX), AX
	MOVQ	AX, done-8(SP)
	MOVQ	$0, i-16(SP)
again:
	MOVQ	i-16(SP), AX
	CMPQ	AX, $3
	JGE	finished
	CALL	runtime·printlock(SB)
	LEAQ	workerstr<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$6, 8(SP)
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
	MOVB	$1, v-24(SP)
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-24(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	RET

// say(s *byte, n int): println(s)
TEXT ·say(SB), $16-16
	CALL	runtime·printlock(SB)
	MOVQ	s+0(FP), AX
	MOVQ	AX, 0(SP)
	MOVQ	n+8(FP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

TEXT ·main(SB), $64-0
	// done := make(chan bool, 1)
	MOVQ	$1, 0(SP)
	MOVQ	$1, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, done-8(SP)
	// go worker(done)
	MOVQ	$16, 0(SP)
	MOVQ	$0, 8(SP)
	MOVQ	$1, 16(SP)
	CALL	runtime·mallocgc(SB)
	MOVQ	24(SP), AX
	LEAQ	·worker(SB), BX
	MOVQ	BX, 0(AX)
	MOVQ	done-8(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	AX, 0(SP)
	CALL	runtime·newproc(SB)
	LEAQ	enterstr<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$33, 8(SP)
	CALL	·say(SB)
	// syscall.Syscall(SYS_nanosleep, &ts, 0, 0) with ts = {0, 50ms}
	MOVQ	$0, ts-24(SP)
	MOVQ	$50000000, ts-16(SP)
	MOVQ	$SYS_nanosleep, 0(SP)
	LEAQ	ts-24(SP), AX
	MOVQ	AX, 8(SP)
	MOVQ	$0, 16(SP)
	MOVQ	$0, 24(SP)
	CALL	syscall·Syscall(SB)
	LEAQ	backstr<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$31, 8(SP)
	CALL	·say(SB)
	// <-done
	MOVQ	done-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-32(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chanrecv1(SB)
	LEAQ	donestr<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$10, 8(SP)
	CALL	·say(SB)
	RET

DATA workerstr<>+0(SB)/6, $"worker"
GLOBL workerstr<>(SB), RODATA, $8
DATA enterstr<>+0(SB)/8, $"main: en"
DATA enterstr<>+8(SB)/8, $"tering a"
DATA enterstr<>+16(SB)/8, $" 50ms sy"
DATA enterstr<>+24(SB)/8, $"stem cal"
DATA enterstr<>+32(SB)/1, $"l"
GLOBL enterstr<>(SB), RODATA, $40
DATA backstr<>+0(SB)/8, $"main: ba"
DATA backstr<>+8(SB)/8, $"ck from "
DATA backstr<>+16(SB)/8, $"the syst"
DATA backstr<>+24(SB)/7, $"em call"
GLOBL backstr<>(SB), RODATA, $32
DATA donestr<>+0(SB)/8, $"main: do"
DATA donestr<>+8(SB)/2, $"ne"
GLOBL donestr<>(SB), RODATA, $16
