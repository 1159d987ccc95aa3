// Load/store loop: stack loads and stores of every width per iteration.
// ldst(n) runs n iterations (10n + 3 instructions, plus the frame setup).
#define NOSPLIT 4

TEXT ·ldst(SB), NOSPLIT, $64-8
	MOVQ n+0(FP), CX
	MOVQ $7, AX
loop:
	MOVQ AX, 8(SP)
	MOVQ 8(SP), BX
	ADDQ BX, 16(SP)
	MOVL 16(SP), DX
	MOVB DL, 24(SP)
	MOVWLZX 24(SP), SI
	MOVQ SI, 32(SP)
	INCQ AX
	DECQ CX
	JNE loop
	RET
