// deeprec: stack growth. main calls rec(10000, &anchor), a recursion whose
// frames (112 bytes each with the saved BP and return address) need about
// 1.1 MB, far past the 2 KiB a goroutine starts with. Each time a prologue
// finds the stack short, morestack → newstack doubles it (2 KiB → 4 KiB →
// ... → 2 MiB: ten copies) and copystack moves the frames, adjusting the
// pointers into the stack: the saved frame pointers, and — conservatively,
// assembly has no stack maps — every word that points into the old stack.
// Two kinds of pointer must survive the moves: p, the address of main's
// local anchor, passed down through every frame and written through at the
// bottom; and vp, each frame's pointer to its own local v, used after the
// call below it returns (and grew the stack). A frame copied wrong or a
// pointer left behind changes the checksum or the anchor. A second, shallow
// round runs on the grown stack without copying. Twin: deeprec.go.

#include "textflag.h"

// func rec(n int, p *int) int
//	v := n*7 + 3; pad := n ^ 0x5a5a; vp := &v
//	if n == 0 { *p += 1000; r = *p } else { r = rec(n-1, p) }
//	*vp += 1
//	return r*31 + v + pad
TEXT ·rec(SB), $96-24
	MOVQ	n+0(FP), AX
	MOVQ	AX, BX
	SHLQ	$3, AX			// AX = 8n
	SUBQ	BX, AX			// AX = 7n
	ADDQ	$3, AX
	MOVQ	AX, v-8(SP)		// v := n*7 + 3
	LEAQ	v-8(SP), AX
	MOVQ	AX, vp-16(SP)		// vp := &v
	MOVQ	BX, CX
	XORQ	$0x5a5a, CX
	MOVQ	CX, pad-32(SP)		// pad := n ^ 0x5a5a
	TESTQ	BX, BX
	JNE	deeper
	// The bottom: write through p, main's &anchor (moved by every copy).
	MOVQ	p+8(FP), SI
	MOVQ	(SI), CX
	ADDQ	$1000, CX
	MOVQ	CX, (SI)		// *p += 1000
	MOVQ	CX, r-24(SP)		// r = *p
	JMP	fold
deeper:
	DECQ	BX
	MOVQ	BX, 0(SP)		// rec(n-1, p)
	MOVQ	p+8(FP), SI
	MOVQ	SI, 8(SP)
	CALL	·rec(SB)
	MOVQ	16(SP), AX
	MOVQ	AX, r-24(SP)		// r = the result
fold:
	// *vp += 1: vp was taken before the call, the stack may have moved since.
	MOVQ	vp-16(SP), SI
	MOVQ	(SI), CX
	INCQ	CX
	MOVQ	CX, (SI)
	// return r*31 + v + pad
	MOVQ	r-24(SP), AX
	MOVQ	AX, BX
	SHLQ	$5, AX			// AX = 32r
	SUBQ	BX, AX			// AX = 31r
	ADDQ	v-8(SP), AX
	ADDQ	pad-32(SP), AX
	MOVQ	AX, ret+16(FP)
	RET

// report(depth, sum, anchor int): println("depth", depth, "checksum", sum); println("anchor", anchor)
TEXT ·report(SB), $16-24
	CALL	runtime·printlock(SB)
	LEAQ	depth<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$5, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	depth+0(FP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	LEAQ	checksum<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$8, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	sum+8(FP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	CALL	runtime·printlock(SB)
	LEAQ	anchor<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$6, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printsp(SB)
	MOVQ	anchor+16(FP), AX
	MOVQ	AX, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	RET

TEXT ·main(SB), $40-0
	MOVQ	$7, anchor-8(SP)	// anchor := 7
	// sum := rec(10000, &anchor): the stack grows to 2 MiB
	MOVQ	$10000, 0(SP)
	LEAQ	anchor-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	·rec(SB)
	MOVQ	16(SP), AX
	MOVQ	$10000, 0(SP)		// report(10000, sum, anchor)
	MOVQ	AX, 8(SP)
	MOVQ	anchor-8(SP), AX
	MOVQ	AX, 16(SP)
	CALL	·report(SB)
	// sum = rec(100, &anchor): room enough now
	MOVQ	$100, 0(SP)
	LEAQ	anchor-8(SP), AX
	MOVQ	AX, 8(SP)
	CALL	·rec(SB)
	MOVQ	16(SP), AX
	MOVQ	$100, 0(SP)		// report(100, sum, anchor)
	MOVQ	AX, 8(SP)
	MOVQ	anchor-8(SP), AX
	MOVQ	AX, 16(SP)
	CALL	·report(SB)
	RET

DATA depth<>+0(SB)/5, $"depth"
GLOBL depth<>(SB), RODATA, $8
DATA checksum<>+0(SB)/8, $"checksum"
GLOBL checksum<>(SB), RODATA, $8
DATA anchor<>+0(SB)/6, $"anchor"
GLOBL anchor<>(SB), RODATA, $8
