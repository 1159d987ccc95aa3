// The reference solution of the gogo lab (the runtime's own, asm/asm_amd64.s).

#include "go_asm.h"
#include "go_tls.h"
#include "textflag.h"

TEXT runtime·gogo(SB), NOSPLIT, $0-8
	MOVQ	buf+0(FP), BX		// BX = buf
	MOVQ	gobuf_g(BX), DX		// DX = buf.g, the goroutine to resume
	MOVQ	0(DX), CX		// load from g: a nil g faults now, here
	JMP	gogo<>(SB)		// the switch proper (BX = buf, DX = g)

TEXT gogo<>(SB), NOSPLIT, $0
	get_tls(CX)			// CX = the TLS base
	MOVQ	DX, g(CX)		// TLS g slot = g: this thread now runs g
	MOVQ	DX, R14			// and so does the g register
	MOVQ	gobuf_sp(BX), SP	// onto g's stack, where it stopped
	MOVQ	gobuf_ret(BX), AX	// AX = the value g was to receive (if any)
	MOVQ	gobuf_ctxt(BX), DX	// DX = g's closure context (if any)
	MOVQ	gobuf_bp(BX), BP	// BP = g's frame pointer
	// Zero what was consumed: a gobuf holds a parked goroutine only while it
	// is parked, and stale pointers in it would keep things alive.
	MOVQ	$0, gobuf_sp(BX)	// buf.sp = 0
	MOVQ	$0, gobuf_ret(BX)	// buf.ret = 0
	MOVQ	$0, gobuf_ctxt(BX)	// buf.ctxt = 0
	MOVQ	$0, gobuf_bp(BX)	// buf.bp = 0
	MOVQ	gobuf_pc(BX), BX	// BX = where g continues (pc stays in buf)
	JMP	BX			// g runs
