// futex(FUTEX_WAIT) on a word that holds the expected value, so it would
// wait, with a timeout pointer into unmapped memory (0x10): Linux copies
// the timeout in first and returns EFAULT (-14) without waiting. Then a
// valid relative timeout of 1 ms: the wait times out with ETIMEDOUT (-110).
#include "textflag.h"

TEXT ·main(SB), $16-0
	LEAQ	·word(SB), DI		// futex(&word, FUTEX_WAIT_PRIVATE, 0, 0x10)
	MOVQ	$128, SI
	MOVQ	$0, DX
	MOVQ	$0x10, R10
	MOVQ	$202, AX
	SYSCALL
	MOVQ	AX, 0(SP)
	CALL	·show(SB)
	LEAQ	·word(SB), DI		// futex(&word, FUTEX_WAIT_PRIVATE, 0, &ms)
	MOVQ	$128, SI
	MOVQ	$0, DX
	LEAQ	·ms(SB), R10
	MOVQ	$202, AX
	SYSCALL
	MOVQ	AX, 0(SP)
	CALL	·show(SB)
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

GLOBL ·word(SB), NOPTR, $8
// struct timespec{0 s, 1,000,000 ns}
DATA ·ms+0(SB)/8, $0
DATA ·ms+8(SB)/8, $1000000
GLOBL ·ms(SB), RODATA, $16
