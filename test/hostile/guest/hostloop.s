// Returns into a host function again and again with no instruction
// between: 20,000 copies of printunlock's address on the stack, then a
// jump to it. Each RET of printunlock is a host call; --max-insns must
// still bound the run.
#include "textflag.h"

TEXT ·main(SB), $0-0
	MOVQ	$20000, CX
	MOVQ	$runtime·printunlock(SB), AX
fill:
	PUSHQ	AX
	DECQ	CX
	JNZ	fill
	JMP	AX

