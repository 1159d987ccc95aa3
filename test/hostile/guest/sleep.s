// A goroutine sleeps for an hour of virtual time; every thread waits on a
// timer meanwhile, so the clock must jump, not tick.
#include "textflag.h"

TEXT ·main(SB), $8-0
	MOVQ	$3600000000000, AX
	MOVQ	AX, 0(SP)
	CALL	runtime·timeSleep(SB)
	CALL	runtime·printlock(SB)
	MOVQ	$1, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET
