// bigchan: a channel of 64 KiB elements. Go's compiler refuses to build
// `make(chan [65536]byte)` ("channel element type too large"), and
// makechan checks it again, with a runtime throw, not a panic:
//   fatal error: makechan: invalid channel element type
// A throw is the runtime's own invariant failing, so the goroutine dump
// that follows includes runtime frames and the runtime's goroutines.
// Exit status 2. No Go twin: Go code cannot get past the compiler.

#include "textflag.h"

TEXT ·main(SB), $24-0
	// makechan(elemsize 65536, size 0)
	MOVQ	$65536, 0(SP)
	MOVQ	$0, 8(SP)
	CALL	runtime·makechan(SB)
	RET
