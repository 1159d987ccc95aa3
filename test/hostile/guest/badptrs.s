// Bad pointers handed to the runtime fault as Go's runtime faults: a
// channel at 0x1058 (BAD=chan), a string at 0x10 (BAD=print), a funcval at
// 0x20 (BAD=go).
#include "textflag.h"

TEXT ·main(SB), $16-0
#ifdef chan
	MOVQ	$0x1058, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·chansend1(SB)
#endif
#ifdef print
	CALL	runtime·printlock(SB)
	MOVQ	$0x10, 0(SP)
	MOVQ	$5, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printunlock(SB)
#endif
#ifdef go
	MOVQ	$0x20, 0(SP)
	CALL	runtime·newproc(SB)
#endif
	RET
