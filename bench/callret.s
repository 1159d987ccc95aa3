// CALL/RET loop: a call to a leaf function per iteration.
// callret(n) runs n iterations (5n + 3 instructions).
#define NOSPLIT 4

TEXT ·callret(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	XORQ AX, AX
loop:
	CALL ·leaf(SB)
	DECQ CX
	JNE loop
	RET

TEXT ·leaf(SB), NOSPLIT, $0
	INCQ AX
	RET
