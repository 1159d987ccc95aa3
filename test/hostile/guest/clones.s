// clone in a loop, each child blocked for good on a futex: the kernel's
// thread limit must stop it with EAGAIN. Prints the clones made and the
// error; with `lock` defined, then asks the runtime for a thread
// (LockOSThread starts the template thread), which must fail as Go's does.
#include "textflag.h"

TEXT ·main(SB), $16-0
	MOVQ	$0, R12			// clones made
loop:
	MOVQ	$0x50f00, DI		// CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM
	LEAQ	·stack+4096(SB), SI	// a stack the children share (they never push)
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	MOVQ	$56, AX			// clone
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	JLT	failed
	INCQ	R12
	JMP	loop
failed:
	MOVQ	AX, R13
	CALL	runtime·printlock(SB)
	MOVQ	R12, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printsp(SB)
	MOVQ	R13, 0(SP)
	CALL	runtime·printint(SB)
	CALL	runtime·printnl(SB)
	CALL	runtime·printunlock(SB)
#ifdef lock
	CALL	runtime·LockOSThread(SB)
#endif
	RET
child:
	LEAQ	·word(SB), DI		// futex(&word, FUTEX_WAIT, 0, nil): for good
	MOVQ	$0, SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$202, AX
	SYSCALL
	JMP	child

GLOBL ·stack(SB), NOPTR, $4096
GLOBL ·word(SB), NOPTR, $8
