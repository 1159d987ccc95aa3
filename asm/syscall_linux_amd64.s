// syscall_linux_amd64.s: the system-call entry Go programs use,
// syscall.Syscall, in the shape it had as assembly (Go 1.16 and before;
// 1.19 writes the same sequence in Go around RawSyscall6).
//
// The difference from the runtime's own stubs (sys_linux_amd64.s) is the
// pair of calls around SYSCALL: entersyscall tells the scheduler this
// goroutine may block in the kernel, so that sysmon can hand its P to
// another M if the call takes long, and exitsyscall gets a P back (the same
// one if nobody took it) before the goroutine runs Go code again.

#include "textflag.h"

// func Syscall(trap, a1, a2, a3 uintptr) (r1, r2, err uintptr)
TEXT syscall·Syscall(SB), NOSPLIT, $0-56
	CALL	runtime·entersyscall(SB)	// the P goes to _Psyscall
	MOVQ	a1+8(FP), DI		// arg 1
	MOVQ	a2+16(FP), SI		// arg 2
	MOVQ	a3+24(FP), DX		// arg 3
	MOVQ	$0, R10			// args 4-6 are zero
	MOVQ	$0, R8
	MOVQ	$0, R9
	MOVQ	trap+0(FP), AX		// the call number
	SYSCALL				// the thread may block here
	CMPQ	AX, $0xfffffffffffff001	// AX in [-4095, -1]: an error?
	JLS	ok			// no
	MOVQ	$-1, r1+32(FP)		// yes: r1 = -1, r2 = 0,
	MOVQ	$0, r2+40(FP)
	NEGQ	AX			// err = errno
	MOVQ	AX, err+48(FP)
	CALL	runtime·exitsyscall(SB)	// a P again (or wait for one)
	RET
ok:
	MOVQ	AX, r1+32(FP)		// the result
	MOVQ	DX, r2+40(FP)		// the second result (DX, unchanged by most calls)
	MOVQ	$0, err+48(FP)		// no error
	CALL	runtime·exitsyscall(SB)	// a P again (or wait for one)
	RET
