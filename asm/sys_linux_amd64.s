// System calls for linux/amd64: the runtime's only way to the kernel. Each
// stub moves its ABI0 arguments into the registers Linux expects (DI, SI,
// DX, R10, R8, R9; the number in AX), executes SYSCALL, and returns what
// the kernel left in AX (a negative errno on failure). gmpemu's kernel
// (src/os/kernel.ts) answers them.

#include "go_asm.h"
#include "go_tls.h"
#include "textflag.h"

#define SYS_write		1
#define SYS_rt_sigaction	13
#define SYS_rt_sigprocmask	14
#define SYS_rt_sigreturn	15
#define SYS_sched_yield		24
#define SYS_nanosleep		35
#define SYS_getpid		39
#define SYS_clone		56
#define SYS_exit		60
#define SYS_sigaltstack		131
#define SYS_arch_prctl		158
#define SYS_gettid		186
#define SYS_futex		202
#define SYS_clock_gettime	228
#define SYS_exit_group		231
#define SYS_tgkill		234

// func exit(code int32): the whole process.
TEXT runtime·exit(SB), NOSPLIT, $0-4
	MOVL	code+0(FP), DI
	MOVL	$SYS_exit_group, AX
	SYSCALL
	RET

// func exitThread(wait *uint32): this thread only. *wait = 0 tells the
// runtime the thread no longer uses its g0 stack.
TEXT runtime·exitThread(SB), NOSPLIT, $0-8
	MOVQ	wait+0(FP), AX
	MOVL	$0, (AX)
	MOVL	$0, DI
	MOVL	$SYS_exit, AX
	SYSCALL
	INT	$3	// not reached
	JMP	0(PC)

// func write1(fd uintptr, p unsafe.Pointer, n int32) int32
TEXT runtime·write1(SB), NOSPLIT, $0-28
	MOVQ	fd+0(FP), DI
	MOVQ	p+8(FP), SI
	MOVL	n+16(FP), DX
	MOVL	$SYS_write, AX
	SYSCALL
	MOVL	AX, ret+24(FP)
	RET

// func usleep(usec uint32): nanosleep for usec microseconds.
TEXT runtime·usleep(SB), NOSPLIT, $16
	MOVL	$0, DX
	MOVL	usec+0(FP), AX
	MOVL	$1000000, CX
	DIVL	CX			// AX = seconds, DX = the microseconds left
	MOVQ	AX, 0(SP)		// ts.tv_sec
	MOVL	$1000, AX
	MULL	DX
	MOVQ	AX, 8(SP)		// ts.tv_nsec
	MOVQ	SP, DI
	MOVL	$0, SI
	MOVL	$SYS_nanosleep, AX
	SYSCALL
	RET

// func gettid() uint32
TEXT runtime·gettid(SB), NOSPLIT, $0-4
	MOVL	$SYS_gettid, AX
	SYSCALL
	MOVL	AX, ret+0(FP)
	RET

// func getpid() int
TEXT runtime·getpid(SB), NOSPLIT, $0-8
	MOVL	$SYS_getpid, AX
	SYSCALL
	MOVQ	AX, ret+0(FP)
	RET

// func tgkill(tgid, tid, sig int)
TEXT runtime·tgkill(SB), NOSPLIT, $0
	MOVQ	tgid+0(FP), DI
	MOVQ	tid+8(FP), SI
	MOVQ	sig+16(FP), DX
	MOVL	$SYS_tgkill, AX
	SYSCALL
	RET

// func nanotime1() int64: CLOCK_MONOTONIC through clock_gettime (no vDSO).
TEXT runtime·nanotime1(SB), NOSPLIT, $16-8
	MOVL	$1, DI			// CLOCK_MONOTONIC
	MOVQ	SP, SI
	MOVL	$SYS_clock_gettime, AX
	SYSCALL
	MOVQ	0(SP), AX		// seconds
	MOVQ	8(SP), DX		// nanoseconds
	IMULQ	$1000000000, AX
	ADDQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func rt_sigaction(sig uintptr, new, old *sigactiont, size uintptr) int32
TEXT runtime·rt_sigaction(SB), NOSPLIT, $0-36
	MOVQ	sig+0(FP), DI
	MOVQ	new+8(FP), SI
	MOVQ	old+16(FP), DX
	MOVQ	size+24(FP), R10
	MOVL	$SYS_rt_sigaction, AX
	SYSCALL
	MOVL	AX, ret+32(FP)
	RET

// func rtsigprocmask(how int32, new, old *sigset, size int32)
TEXT runtime·rtsigprocmask(SB), NOSPLIT, $0-28
	MOVL	how+0(FP), DI
	MOVQ	new+8(FP), SI
	MOVQ	old+16(FP), DX
	MOVL	size+24(FP), R10
	MOVL	$SYS_rt_sigprocmask, AX
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001
	JLS	2(PC)
	MOVL	$0xf1, 0xf1	// crash
	RET

// sigreturn__sigaction: where a signal handler returns; rt_sigreturn
// restores the interrupted context the kernel saved.
TEXT runtime·sigreturn__sigaction(SB), NOSPLIT, $0
	MOVQ	$SYS_rt_sigreturn, AX
	SYSCALL
	INT	$3	// not reached

// func sigaltstack(new, old *stackt)
TEXT runtime·sigaltstack(SB), NOSPLIT, $0
	MOVQ	new+0(FP), DI
	MOVQ	old+8(FP), SI
	MOVQ	$SYS_sigaltstack, AX
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001
	JLS	2(PC)
	MOVL	$0xf1, 0xf1	// crash
	RET

// func futex(addr unsafe.Pointer, op int32, val uint32, ts, addr2 unsafe.Pointer, val3 uint32) int32
TEXT runtime·futex(SB), NOSPLIT, $0
	MOVQ	addr+0(FP), DI
	MOVL	op+8(FP), SI
	MOVL	val+12(FP), DX
	MOVQ	ts+16(FP), R10
	MOVQ	addr2+24(FP), R8
	MOVL	val3+32(FP), R9
	MOVL	$SYS_futex, AX
	SYSCALL
	MOVL	AX, ret+40(FP)
	RET

// func clone(flags int32, stk, mp, gp, fn unsafe.Pointer) int32
// A new thread on stack stk that runs fn (mstart) as M mp with g0 gp. The
// parent gets the child's tid; the child starts after the SYSCALL with AX
// = 0 and the registers of the parent, SP = stk, FS = &mp.tls+8.
TEXT runtime·clone(SB), NOSPLIT, $0
	MOVL	flags+0(FP), DI
	MOVQ	stk+8(FP), SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	// The child needs mp, gp and fn after the call: keep them in registers
	// the kernel does not clobber (SYSCALL uses CX and R11).
	MOVQ	mp+16(FP), R13
	MOVQ	gp+24(FP), R9
	MOVQ	fn+32(FP), R12
	CMPQ	R13, $0
	JEQ	nog1
	CMPQ	R9, $0
	JEQ	nog1
	LEAQ	m_tls(R13), R8
	ADDQ	$8, R8			// the g slot is at -8(FS)
	ORQ	$0x00080000, DI		// CLONE_SETTLS
nog1:
	MOVL	$SYS_clone, AX
	SYSCALL

	// The parent returns the child's tid.
	CMPQ	AX, $0
	JEQ	3(PC)
	MOVL	AX, ret+40(FP)
	RET

	// The child, on its new stack.
	MOVQ	SI, SP
	CMPQ	R13, $0
	JEQ	nog2
	CMPQ	R9, $0
	JEQ	nog2
	// m.procid = gettid(); g0.m = mp; this thread runs g0.
	MOVL	$SYS_gettid, AX
	SYSCALL
	MOVQ	AX, m_procid(R13)
	get_tls(CX)
	MOVQ	R13, g_m(R9)
	MOVQ	R9, g(CX)
	MOVQ	R9, R14
nog2:
	CALL	R12			// fn: mstart, which never returns
	// If it does, end the thread.
	MOVL	$111, DI
	MOVL	$SYS_exit, AX
	SYSCALL
	JMP	-3(PC)

// func settls(DI = &m.tls[0]): FS base = DI+8, so that -8(FS) is tls[0].
TEXT runtime·settls(SB), NOSPLIT, $32
	ADDQ	$8, DI
	MOVQ	DI, SI
	MOVQ	$0x1002, DI		// ARCH_SET_FS
	MOVQ	$SYS_arch_prctl, AX
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001
	JLS	2(PC)
	MOVL	$0xf1, 0xf1		// crash
	RET

// func osyield()
TEXT runtime·osyield(SB), NOSPLIT, $0
	MOVL	$SYS_sched_yield, AX
	SYSCALL
	RET
