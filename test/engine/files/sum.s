// sum(n) = n + (n-1) + ... + 1, in a function with a frame, so the loader's
// stand-in g has to satisfy the stack-split check of its prologue.
#define NOSPLIT 4 // textflag.h's value

TEXT ·sum(SB), $16-16
	MOVQ n+0(FP), CX
	XORQ AX, AX
loop:
	ADDQ CX, AX
	MOVQ AX, 8(SP)
	DECQ CX
	JNE loop
	MOVQ AX, ret+8(FP)
	RET

// sum10 calls sum(10) and leaves the result in BX.
TEXT ·sum10(SB), $24-0
	MOVQ $10, 0(SP)
	CALL ·sum(SB)
	MOVQ 8(SP), BX
	RET
