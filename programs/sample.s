// A first look at what gmpemu's assembler does with Go assembly: run
// `npx gmpemu asm programs/sample.s` and compare with
// `go tool asm -S -p main programs/sample.s`.
//
// sum adds the n 64-bit words at p. It has a frame and calls nothing it does
// not own, so Go inserts the stack-split check in front of it (load g from
// TLS, compare SP with g.stackguard0, call morestack when it is too low) and
// saves BP in the frame.

#include "textflag.h"
#include "go_tls.h"

// func sum(p *int64, n int64) int64
TEXT ·sum(SB), $16-24
	MOVQ	p+0(FP), SI
	MOVQ	n+8(FP), CX
	XORL	AX, AX
	TESTQ	CX, CX
	JLE	done
loop:
	ADDQ	(SI), AX
	ADDQ	$8, SI
	DECQ	CX
	JNE	loop
done:
	MOVQ	AX, ret+16(FP)
	CALL	·touch(SB)
	RET

// touch is a leaf: no frame, no call, so it gets no prologue at all.
TEXT ·touch(SB), NOSPLIT, $0-0
	get_tls(CX)
	MOVQ	g(CX), AX
	MOVQ	AX, ·lastg(SB)
	RET

// Three words to sum, and a place for touch to leave g.
DATA ·words+0(SB)/8, $1
DATA ·words+8(SB)/8, $2
DATA ·words+16(SB)/8, $39
GLOBL ·words(SB), RODATA, $24
GLOBL ·lastg(SB), NOPTR, $8
