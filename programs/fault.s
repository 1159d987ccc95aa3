// fault: main loads a word through a nil pointer. Address 0 is not
// mapped, so the CPU faults and the kernel reports SIGSEGV at that pc:
//   unexpected fault address 0x0
//   fatal error: fault
//   [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=...]
// and the goroutine dump, exit status 2. There is no Go twin: real Go
// turns a nil dereference in Go code into a recoverable panic
// ("panic: runtime error: invalid memory address or nil pointer
// dereference"); there is no sigpanic here.

#include "textflag.h"

TEXT ·main(SB), $16-0
	// println("loading from nil")
	CALL	runtime·printlock(SB)
	LEAQ	loading<>(SB), AX
	MOVQ	AX, 0(SP)
	MOVQ	$16, 8(SP)
	CALL	runtime·printstring(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
	// var p *int; _ = *p
	MOVQ	$0, AX
	MOVQ	(AX), BX
	RET

DATA loading<>+0(SB)/8, $"loading "
DATA loading<>+8(SB)/8, $"from nil"
GLOBL loading<>(SB), RODATA, $16
