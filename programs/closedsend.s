// closedsend: a send on a closed channel panics, even when the buffer has
// room: chansend checks c.closed first, under the channel's lock, unlocks
// and panics. There is no recover here, so it is the end:
//   panic: send on closed channel
// and main's traceback, exit status 2. Twin: closedsend.go.

#include "textflag.h"

TEXT ·main(SB), $32-0
	// c := make(chan int, 1)
	MOVQ	$8, 0(SP)
	MOVQ	$1, 8(SP)
	CALL	runtime·makechan(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, c-8(SP)
	// close(c)
	MOVQ	AX, 0(SP)
	CALL	runtime·closechan(SB)
	// println("sending on a closed channel")
	CALL	runtime·printlock(SB)
	LEAQ	sending<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$27, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// c <- 1
	MOVQ	$1, v-16(SP)
	MOVQ	c-8(SP), AX
	MOVQ	AX, 0(SP)
	LEAQ	v-16(SP), AX
	MOVQ	AX, 8(SP)
	CALL	runtime·chansend1(SB)
	// println("not reached")
	CALL	runtime·printlock(SB)
	LEAQ	notreached<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$11, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA sending<>+0(SB)/8, $"sending "
DATA sending<>+8(SB)/8, $"on a clo"
DATA sending<>+16(SB)/8, $"sed chan"
DATA sending<>+24(SB)/3, $"nel"
GLOBL sending<>(SB), RODATA, $32
DATA notreached<>+0(SB)/8, $"not reac"
DATA notreached<>+8(SB)/3, $"hed"
GLOBL notreached<>(SB), RODATA, $16
