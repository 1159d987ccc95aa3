// nilfunc: `go f()` with f a nil func value: newproc gets fn == nil and
// newproc1 dies at once, before making a goroutine:
//   fatal error: go of nil func value
// followed by the calling goroutine (main, running). Twin: nilfunc.go.

#include "textflag.h"

TEXT ·main(SB), $16-0
	// println("going")
	CALL	runtime·printlock(SB)
	LEAQ	going<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$5, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// var f func(); go f()
	MOVQ	$0, 0(SP)
	CALL	runtime·newproc(SB)
	// println("not reached")
	CALL	runtime·printlock(SB)
	LEAQ	notreached<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$11, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

DATA going<>+0(SB)/5, $"going"
GLOBL going<>(SB), RODATA, $8
DATA notreached<>+0(SB)/8, $"not reac"
DATA notreached<>+8(SB)/3, $"hed"
GLOBL notreached<>(SB), RODATA, $16
