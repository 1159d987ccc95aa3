// Assembled as package runtime (-p runtime -compiling-runtime), the only
// package where Go allows an ABI selector on a TEXT symbol; Go also insists
// that an assembly ABIInternal function be NOSPLIT.

// ABIInternal with a frame and a call: the frame and BP save, no check.
TEXT ·internal<ABIInternal>(SB), 4, $16-8
	MOVQ	AX, x-8(SP)
	CALL	·leaf(SB)
	RET

// ABIInternal WRAPPER: g is in R14 already, so the argp fix-up uses it directly.
TEXT ·internalwrap<ABIInternal>(SB), 4|32, $16-8
	MOVQ	AX, BX
	RET

// The ABI0 wrapper Go would call it through, spelled out.
TEXT ·leaf(SB), 4|32, $0-0
	MOVQ	AX, BX
	RET
