// System calls given what Linux refuses: write to a closed fd (EBADF),
// clock_gettime into unmapped memory (EFAULT); then tgkill(getpid(),
// gettid(), SIGKILL), which ends the process with status 137.
#include "textflag.h"

TEXT ·main(SB), $16-0
	MOVQ	$5, DI			// write(5, msg, 1)
	LEAQ	·msg(SB), SI
	MOVQ	$1, DX
	MOVQ	$1, AX
	SYSCALL
	MOVQ	AX, 0(SP)
	CALL	·show(SB)
	MOVQ	$1, DI			// clock_gettime(CLOCK_MONOTONIC, 0x10)
	MOVQ	$0x10, SI
	MOVQ	$228, AX
	SYSCALL
	MOVQ	AX, 0(SP)
	CALL	·show(SB)
	MOVQ	$39, AX			// getpid
	SYSCALL
	MOVQ	AX, R12
	MOVQ	$186, AX		// gettid
	SYSCALL
	MOVQ	R12, DI
	MOVQ	AX, SI
	MOVQ	$9, DX			// SIGKILL
	MOVQ	$234, AX		// tgkill
	SYSCALL
	CALL	·show(SB)		// not reached
	RET

// show(v int): println(v)
TEXT ·show(SB), $8-8
	CALL	runtime·printlock(SB)
	MOVQ	v+0(FP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA ·msg(SB)/1, $"x"
GLOBL ·msg(SB), RODATA, $8
