// ALU loop: eight register-only ALU instructions and a counted branch per
// iteration. alu(n) runs n iterations (9n + 3 instructions).
#define NOSPLIT 4

TEXT ·alu(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	MOVQ $1, AX
loop:
	ADDQ AX, BX
	XORQ BX, DX
	SUBQ $3, SI
	ANDQ DX, DI
	ORQ SI, R8
	SHLQ $1, R9
	INCQ AX
	DECQ CX
	JNE loop
	RET
