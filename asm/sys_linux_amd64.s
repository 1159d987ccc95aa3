// sys_linux_amd64.s: the runtime's doors into the Linux kernel (gmpemu's
// emulated one, src/os/kernel.ts), with Go 1.19's names and argument
// frames.
//
// Each stub is ABI0: its Go arguments are on the stack (name+off(FP)). It
// copies them into the registers the Linux x86-64 system-call convention
// uses, in order DI, SI, DX, R10, R8, R9, puts the call number in AX and
// executes SYSCALL. The kernel answers in AX: a result, or -errno (a value
// in [-4095, -1]). SYSCALL itself overwrites CX (with the return RIP) and
// R11 (with RFLAGS); every other register survives it.
//
// Stubs whose failure would leave the runtime in a state it cannot reason
// about (settls, rtsigprocmask, sigaltstack) crash on the spot by storing
// to address 0xf1, as Go's do; the rest hand the result back.

#include "go_asm.h"
#include "go_tls.h"
#include "textflag.h"

// Linux x86-64 system-call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
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

// arch_prctl's request to set the FS base, and clone's flag to set it in
// the new thread.
#define ARCH_SET_FS		0x1002
#define CLONE_SETTLS		0x00080000

// func exit(code int32)
// Ends the whole process (every thread) with status code.
TEXT runtime·exit(SB), NOSPLIT, $0-4
	MOVL	code+0(FP), DI		// arg 1: the exit status
	MOVL	$SYS_exit_group, AX	// exit_group(code)
	SYSCALL
	RET				// not reached

// func exitThread(wait *uint32)
// Ends the calling thread only. Before going it stores 0 to *wait: the
// runtime waits for that store before it frees or reuses this M's g0
// stack, so after it this code must not touch the stack again.
TEXT runtime·exitThread(SB), NOSPLIT, $0-8
	MOVQ	wait+0(FP), AX		// AX = wait
	MOVL	$0, (AX)		// *wait = 0: the stack is no longer ours
	MOVL	$0, DI			// arg 1: the thread's exit status
	MOVL	$SYS_exit, AX		// exit(0): this thread only
	SYSCALL
	INT	$3			// not reached
	JMP	0(PC)			// and if it were, spin here

// func write1(fd uintptr, p unsafe.Pointer, n int32) int32
// write(fd, p, n): bytes written, or -errno.
TEXT runtime·write1(SB), NOSPLIT, $0-28
	MOVQ	fd+0(FP), DI		// arg 1: the file descriptor
	MOVQ	p+8(FP), SI		// arg 2: the buffer
	MOVL	n+16(FP), DX		// arg 3: its length
	MOVL	$SYS_write, AX
	SYSCALL
	MOVL	AX, ret+24(FP)		// the result, as an int32
	RET

// func usleep(usec uint32)
// Sleeps for usec microseconds: nanosleep with a timespec built in our
// 16-byte frame (tv_sec at 0(SP), tv_nsec at 8(SP)).
TEXT runtime·usleep(SB), NOSPLIT, $16
	MOVL	$0, DX			// DX:AX = usec, the dividend
	MOVL	usec+0(FP), AX
	MOVL	$1000000, CX		// one second in microseconds
	DIVL	CX			// AX = whole seconds, DX = microseconds left over
	MOVQ	AX, 0(SP)		// ts.tv_sec
	MOVL	$1000, AX		// microseconds to nanoseconds:
	MULL	DX			// AX = leftover * 1000
	MOVQ	AX, 8(SP)		// ts.tv_nsec
	MOVQ	SP, DI			// arg 1: &ts
	MOVL	$0, SI			// arg 2: no "time remaining" out-parameter
	MOVL	$SYS_nanosleep, AX
	SYSCALL
	RET

// func gettid() uint32
// The kernel's id of the calling thread (what tgkill addresses).
TEXT runtime·gettid(SB), NOSPLIT, $0-4
	MOVL	$SYS_gettid, AX
	SYSCALL
	MOVL	AX, ret+0(FP)		// the thread id
	RET

// func getpid() int
// The process id, which is also the thread-group id tgkill needs.
TEXT runtime·getpid(SB), NOSPLIT, $0-8
	MOVL	$SYS_getpid, AX
	SYSCALL
	MOVQ	AX, ret+0(FP)		// the process id
	RET

// func tgkill(tgid, tid, sig int)
// Sends signal sig to thread tid of process tgid: how preemptM delivers
// SIGURG to the thread running a goroutine that must stop.
TEXT runtime·tgkill(SB), NOSPLIT, $0
	MOVQ	tgid+0(FP), DI		// arg 1: the thread group (getpid())
	MOVQ	tid+8(FP), SI		// arg 2: the thread (m.procid)
	MOVQ	sig+16(FP), DX		// arg 3: the signal
	MOVL	$SYS_tgkill, AX
	SYSCALL
	RET

// func nanotime1() int64
// The monotonic clock in nanoseconds. Go asks the vDSO; gmpemu has none,
// so this is the clock_gettime system call itself, into a timespec in our
// 16-byte frame.
TEXT runtime·nanotime1(SB), NOSPLIT, $16-8
	MOVL	$1, DI			// arg 1: CLOCK_MONOTONIC
	LEAQ	0(SP), SI		// arg 2: &ts, at the bottom of our frame
	MOVL	$SYS_clock_gettime, AX
	SYSCALL
	MOVQ	0(SP), AX		// AX = ts.tv_sec
	MOVQ	8(SP), DX		// DX = ts.tv_nsec
	IMULQ	$1000000000, AX		// seconds to nanoseconds
	ADDQ	DX, AX			// plus the nanoseconds part
	MOVQ	AX, ret+0(FP)		// the result
	RET

// func rtsigprocmask(how int32, new, old *sigset, size int32)
// Changes the calling thread's blocked-signal mask; a failure is fatal.
TEXT runtime·rtsigprocmask(SB), NOSPLIT, $0-28
	MOVL	how+0(FP), DI		// arg 1: SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK
	MOVQ	new+8(FP), SI		// arg 2: the set to apply (or nil)
	MOVQ	old+16(FP), DX		// arg 3: where to store the previous mask (or nil)
	MOVL	size+24(FP), R10	// arg 4: sizeof(sigset), 8
	MOVL	$SYS_rt_sigprocmask, AX
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001	// AX in [-4095, -1], an error?
	JLS	ok			// no (unsigned AX below that): done
	MOVL	$0xf1, 0xf1		// yes: fault on purpose
ok:
	RET

// func rt_sigaction(sig uintptr, new, old *sigactiont, size uintptr) int32
// Installs (new) and/or reads (old) the action for signal sig. The result,
// 0 or -errno, goes back to the caller, which decides.
TEXT runtime·rt_sigaction(SB), NOSPLIT, $0-36
	MOVQ	sig+0(FP), DI		// arg 1: the signal
	MOVQ	new+8(FP), SI		// arg 2: the new action (or nil)
	MOVQ	old+16(FP), DX		// arg 3: where to store the old one (or nil)
	MOVQ	size+24(FP), R10	// arg 4: sizeof(sigset), 8
	MOVL	$SYS_rt_sigaction, AX
	SYSCALL
	MOVL	AX, ret+32(FP)		// the result
	RET

// sigreturn__sigaction: the restorer installed with every signal action
// (sa_restorer). A handler returns into it, and rt_sigreturn has the kernel
// restore the context it saved on the signal stack, the interrupted
// registers included, possibly edited by the handler.
TEXT runtime·sigreturn__sigaction(SB), NOSPLIT, $0
	MOVQ	$SYS_rt_sigreturn, AX
	SYSCALL
	INT	$3			// not reached: the kernel does not come back here

// sigtramp: the handler installed for every signal (sa_handler). The
// kernel enters it on the thread's signal stack (gsignal's) with the C
// calling convention: DI = the signal, SI = &siginfo, DX = &ucontext, and
// the restorer (sigreturn__sigaction) as the return address. It keeps the
// registers C code expects a callee to preserve, passes the three values
// to sigtrampgo as an ABI0 frame, and returns into the restorer.
TEXT runtime·sigtramp(SB), NOSPLIT|TOPFRAME, $0
	PUSHQ	BP			// C's callee-saved registers: BP,
	PUSHQ	BX			// BX,
	PUSHQ	R12			// R12,
	PUSHQ	R13			// R13,
	PUSHQ	R14			// R14 (also Go's g register),
	PUSHQ	R15			// R15
	ADJSP	$24			// room for sigtrampgo's three arguments
	NOP	SP			// SP offsets below are the hardware SP's
	MOVL	DI, 0(SP)		// arg 1: sig (uint32)
	MOVQ	SI, 8(SP)		// arg 2: info
	MOVQ	DX, 16(SP)		// arg 3: ctx, the ucontext the handler may edit
	CALL	runtime·sigtrampgo(SB)	// Go's handler (sighandler, doSigPreempt)
	ADJSP	$-24			// drop the arguments
	POPQ	R15			// restore in reverse order
	POPQ	R14
	POPQ	R13
	POPQ	R12
	POPQ	BX
	POPQ	BP
	RET				// into sigreturn__sigaction

// func sigaltstack(new, old *stackt)
// Sets (new) and/or reads (old) the calling thread's signal stack, where
// handlers run (gsignal's stack). A failure is fatal.
TEXT runtime·sigaltstack(SB), NOSPLIT, $0
	MOVQ	new+0(FP), DI		// arg 1: the new stack (or nil)
	MOVQ	old+8(FP), SI		// arg 2: where to store the old one (or nil)
	MOVQ	$SYS_sigaltstack, AX
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001	// an error?
	JLS	ok			// no: done
	MOVL	$0xf1, 0xf1		// yes: fault on purpose
ok:
	RET

// func futex(addr unsafe.Pointer, op int32, val uint32, ts, addr2 unsafe.Pointer, val3 uint32) int32
// The primitive under the runtime's locks and notes: FUTEX_WAIT sleeps
// while *addr == val (until woken or ts passes), FUTEX_WAKE wakes up to
// val sleepers on addr.
TEXT runtime·futex(SB), NOSPLIT, $0
	MOVQ	addr+0(FP), DI		// arg 1: the futex word
	MOVL	op+8(FP), SI		// arg 2: the operation (| FUTEX_PRIVATE_FLAG)
	MOVL	val+12(FP), DX		// arg 3: expected value, or how many to wake
	MOVQ	ts+16(FP), R10		// arg 4: relative timeout (or nil)
	MOVQ	addr2+24(FP), R8	// arg 5: unused by the runtime
	MOVL	val3+32(FP), R9		// arg 6: unused by the runtime
	MOVL	$SYS_futex, AX
	SYSCALL
	MOVL	AX, ret+40(FP)		// 0, woken count, or -errno
	RET

// func clone(flags int32, stk, mp, gp, fn unsafe.Pointer) int32
// Starts a new thread (newosproc). The kernel returns twice: in the parent
// with the child's thread id, in the child with 0. The child starts right
// after the SYSCALL with the parent's registers except SP = stk and, with
// CLONE_SETTLS, its own FS base. Given mp and gp, the child becomes M mp
// running g0 gp; then it calls fn (mstart), which must not return.
TEXT runtime·clone(SB), NOSPLIT, $0
	MOVL	flags+0(FP), DI		// arg 1: the CLONE_* flags
	MOVQ	stk+8(FP), SI		// arg 2: the child's stack pointer
	MOVQ	$0, DX			// arg 3: no parent tid pointer
	MOVQ	$0, R10			// arg 4: no child tid pointer
	MOVQ	$0, R8			// arg 5: TLS, set below if we have an m
	// The child cannot read our stack frame (its SP is stk), so it gets
	// mp, gp and fn in registers the system call leaves alone (not CX, R11).
	MOVQ	mp+16(FP), R13		// R13 = mp
	MOVQ	gp+24(FP), R9		// R9 = gp (arg 6, which clone ignores)
	MOVQ	fn+32(FP), R12		// R12 = fn
	CMPQ	R13, $0			// no m?
	JEQ	nog1			// then no TLS either
	CMPQ	R9, $0			// no g?
	JEQ	nog1
	LEAQ	m_tls(R13), R8		// R8 = &mp.tls[0]
	ADDQ	$8, R8			// FS base = &tls[0]+8, so -8(FS) is tls[0]
	ORQ	$CLONE_SETTLS, DI	// and ask the kernel to set it in the child
nog1:
	MOVL	$SYS_clone, AX
	SYSCALL

	// Both threads are here now. The parent sees the child's tid in AX.
	CMPQ	AX, $0			// the child?
	JEQ	child			// yes
	MOVL	AX, ret+40(FP)		// parent: return the tid (or -errno)
	RET

child:
	// The child, on its fresh stack.
	MOVQ	SI, SP			// SP = stk (already so; make it explicit)
	CMPQ	R13, $0			// no m or no g: skip the Go setup
	JEQ	nog2
	CMPQ	R9, $0
	JEQ	nog2

	MOVL	$SYS_gettid, AX		// our own thread id...
	SYSCALL
	MOVQ	AX, m_procid(R13)	// ...is mp.procid (tgkill's target)

	get_tls(CX)			// CX = the TLS base (FS = &mp.tls[0]+8)
	MOVQ	R13, g_m(R9)		// gp.m = mp
	MOVQ	R9, g(CX)		// TLS g slot = gp: this thread runs g0
	MOVQ	R9, R14			// and the g register
	CALL	runtime·stackcheck(SB)	// SP must lie inside gp's stack

nog2:
	CALL	R12			// fn(): mstart, never returns (an ABI0 function)

	// If fn returns anyway, end this thread, repeatedly if need be.
	MOVL	$111, DI		// a recognizable exit status
	MOVL	$SYS_exit, AX		// exit(111): this thread only
	SYSCALL
	JMP	-3(PC)			// back to MOVL $111, DI

// settls(DI = &m.tls[0]): not a Go function; its one argument is in DI.
// Sets this thread's FS base to DI+8, so that the g slot -8(FS) is
// m.tls[0]. A failure is fatal.
TEXT runtime·settls(SB), NOSPLIT, $32
	ADDQ	$8, DI			// DI = &tls[0] + 8, the FS base
	MOVQ	DI, SI			// arg 2: the new base
	MOVQ	$ARCH_SET_FS, DI	// arg 1: ARCH_SET_FS
	MOVQ	$SYS_arch_prctl, AX
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001	// an error?
	JLS	ok			// no: done
	MOVL	$0xf1, 0xf1		// yes: fault on purpose
ok:
	RET

// func osyield()
// Gives the CPU to another thread (sched_yield): spin locks call it
// between rounds of procyield.
TEXT runtime·osyield(SB), NOSPLIT, $0
	MOVL	$SYS_sched_yield, AX
	SYSCALL
	RET
