#define NOSPLIT 4 // textflag.h's value

TEXT ·bad(SB), NOSPLIT, $0
	MOVQ $0x1000, AX
	MOVQ (AX), BX
	RET
