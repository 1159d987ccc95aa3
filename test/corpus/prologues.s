// Prologue and epilogue variants: every path through obj6's preprocess that
// a hand-written function can take, for the byte-exact comparison with Go's
// assembler (test/asm/oracle.test.ts). Flags are numeric so that the file
// needs no include: NOSPLIT 4, WRAPPER 32, NEEDCTXT 64, NOFRAME 512.

// Small frame with a call: MOVQ (TLS), R14; CMPQ SP, 16(R14); JLS; frame+BP.
TEXT ·small(SB), $24-16
	MOVQ	a+0(FP), AX
	MOVQ	AX, x-8(SP)
	CALL	·leaf(SB)
	MOVQ	x-8(SP), AX
	MOVQ	AX, ret+8(FP)
	RET

// Frame 120: with the saved BP exactly 128, StackSmall: still the short check,
// and ADJSP $128 is emitted as ADDQ $-128, SP.
TEXT ·exactly128(SB), $120-0
	CALL	·leaf(SB)
	RET

// Frame above 128: LEAQ -(frame-128)(SP), R12; CMPQ R12, 16(R14).
TEXT ·medium(SB), $1000-8
	MOVQ	$0, x-1000(SP)
	CALL	·leaf(SB)
	RET

// Frame above StackBig: MOVQ SP, R12; SUBQ; JCS; CMPQ R12, 16(R14).
TEXT ·huge(SB), $8000-0
	CALL	·leaf(SB)
	RET

// Zero frame with a call: the BP save still adds 8.
TEXT ·zeroframe(SB), $0-0
	CALL	·leaf(SB)
	RET

// NOSPLIT with a frame: no check, but the frame and BP save.
TEXT ·nosplitframe(SB), 4, $32-0
	MOVQ	$1, x-32(SP)
	CALL	·leaf(SB)
	RET

// NOFRAME: no BP save even with a frame size of zero and a call.
TEXT ·noframe(SB), 4|512, $0-0
	CALL	·leaf(SB)
	RET

// Leaf: small frame and no call, so Go marks it NOSPLIT itself.
TEXT ·leaf(SB), $16-0
	MOVQ	$7, x-8(SP)
	RET

// A leaf whose only call is a zero-argument runtime panic is still a leaf.
TEXT ·leafpanic(SB), $16-8
	MOVQ	i+0(FP), AX
	CMPQ	AX, $10
	JCS	ok
	CALL	runtime·panicIndex(SB)
ok:
	RET

// NEEDCTXT: the trailer calls runtime·morestack, keeping DX.
TEXT ·needctxt(SB), 64, $8-0
	MOVQ	8(DX), AX
	CALL	·leaf(SB)
	RET

// WRAPPER: the g._panic.argp fix-up after the frame.
TEXT ·wrapper(SB), 32, $16-8
	CALL	·leaf(SB)
	RET

// WRAPPER and NOSPLIT: g is loaded for the fix-up without a stack check.
TEXT ·wrappernosplit(SB), 32|4, $16-8
	MOVQ	x+0(FP), AX
	RET

// Several RETs, one labelled and branched to, PUSHQ/POPQ moving FP offsets.
TEXT ·manyret(SB), $16-16
	MOVQ	a+0(FP), AX
	TESTQ	AX, AX
	JEQ	out
	PUSHQ	AX
	MOVQ	a+0(FP), BX
	POPQ	AX
	CMPQ	AX, $1
	JNE	two
	CALL	·leaf(SB)
	RET
two:
	MOVQ	AX, ret+8(FP)
	RET
out:
	RET

// Jump chains (a branch to a JMP goes to the JMP's target), n(PC) branches,
// and a forward branch too far for rel8.
TEXT ·branches(SB), 4, $0-0
	JMP	a
b:
	JMP	c
a:
	JMP	b
c:
	JEQ	2(PC)
	NOP
	JNE	far
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
	BYTE	$0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90; BYTE $0x90
far:
	JMP	-1(PC)
	RET

// TLS in both spellings, a file-local symbol, RET to a symbol (a tail jump).
TEXT local<>(SB), 4, $0-0
	MOVQ	TLS, CX
	MOVQ	0(CX)(TLS*1), AX
	MOVQ	(TLS), BX
	RET

TEXT ·tail(SB), $8-0
	CALL	local<>(SB)
	RET	·leaf(SB)

// Calls and jumps through registers and memory, and the address of data.
TEXT ·indirect(SB), $8-0
	LEAQ	·table(SB), AX
	MOVQ	$·table(SB), BX
	CALL	(AX)
	CALL	BX
	MOVQ	·table+8(SB), CX
	JMP	CX

DATA ·table+0(SB)/8, $·leaf(SB)
DATA ·table+8(SB)/8, $local<>(SB)
DATA ·table+16(SB)/4, $0x12345678
DATA ·table+20(SB)/2, $-2
DATA ·table+22(SB)/2, $'A'
DATA ·table+24(SB)/8, $"gmpemu!\x00"
GLOBL ·table(SB), 8, $32
GLOBL ·counter(SB), 16, $16
