// closeclosed: closing a channel twice panics: closechan finds c.closed
// already set under the channel's lock:
//   panic: close of closed channel
// and main's traceback, exit status 2. Twin: closeclosed.go.

#include "textflag.h"

TEXT ·main(SB), $24-0
	// c := make(chan bool)
	MOVQ	$1, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, c-8(SP)
	// close(c)
	MOVQ	AX, 0(SP)
	CALL	runtime·closechan(SB)
	// println("closing again")
	CALL	runtime·printlock(SB)
	LEAQ	again<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$13, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// close(c)
	MOVQ	c-8(SP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·closechan(SB)
	// println("not reached")
	CALL	runtime·printlock(SB)
	LEAQ	notreached<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$11, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA again<>+0(SB)/8, $"closing "
DATA again<>+8(SB)/5, $"again"
GLOBL again<>(SB), RODATA, $16
DATA notreached<>+0(SB)/8, $"not reac"
DATA notreached<>+8(SB)/3, $"hed"
GLOBL notreached<>(SB), RODATA, $16
