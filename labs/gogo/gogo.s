// Lab: gogo. Write the routine that resumes a goroutine from its gobuf.
// Read README.md first. Grade it with:  gmpemu lab grade gogo gogo.s
//
// You may write it as one routine, or as Go does: runtime·gogo loads the
// gobuf and its g and jumps to gogo<>, which does the switch. Whatever you
// write must leave, at the moment control reaches buf.pc:
//   SP = buf.sp, BP = buf.bp, DX = buf.ctxt, AX = buf.ret,
//   R14 = the TLS g slot = buf.g,
//   buf.sp, buf.ret, buf.ctxt and buf.bp zeroed in memory.
// Offsets come from go_asm.h (gobuf_sp, gobuf_pc, gobuf_g, gobuf_ctxt,
// gobuf_ret, gobuf_bp); get_tls(CX) and g(CX) from go_tls.h.

#include "go_asm.h"
#include "go_tls.h"
#include "textflag.h"

// func gogo(buf *gobuf): ABI0, so buf is at buf+0(FP) (8(SP)).
TEXT runtime·gogo(SB), NOSPLIT, $0-8
	MOVQ	buf+0(FP), BX		// BX = buf
	// TODO: DX = buf.g (and touch it, so that a nil g faults here)
	JMP	gogo<>(SB)

// gogo<>: entered with BX = buf and DX = its g. Nothing comes back here.
TEXT gogo<>(SB), NOSPLIT, $0
	// TODO: make this thread run g: the TLS g slot and R14
	// TODO: g's stack, result, closure context and frame pointer from buf
	// TODO: zero what you consumed
	// TODO: jump to buf.pc
	INT	$3			// remove this: it stops the program here
