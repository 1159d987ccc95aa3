// Every system call of the emulated kernel, with good arguments and with
// what Linux refuses, on one thread with no runtime. Each result (RAX) is
// stored in ·res, slot by slot, for test/os/syscalls.test.ts; the numbers
// it expects are Linux's. At the end a SIGUSR1 handler runs on the
// sigaltstack and changes the interrupted RAX in its ucontext (what
// resumes is the frame's), SIGUSR2 is ignored (SIG_IGN), SIGURG has no
// handler (ignored by default), and SIGTERM with none ends the process
// with 128+15.

#include "textflag.h"

#define SAVE(slot) MOVQ AX, ·res+slot(SB)
#define SYS0(nr) MOVQ $nr, AX; SYSCALL
#define PID 1000

TEXT ·start(SB), NOSPLIT, $0
	// 0..5: write
	MOVQ	$1, DI; LEAQ ·msg(SB), SI; MOVQ $3, DX; SYS0(1); SAVE(0)
	MOVQ	$2, DI; LEAQ ·msg(SB), SI; MOVQ $2, DX; SYS0(1); SAVE(8)
	MOVQ	$3, DI; LEAQ ·msg(SB), SI; MOVQ $1, DX; SYS0(1); SAVE(16)
	MOVQ	$1, DI; LEAQ ·msg(SB), SI; MOVQ $-1, DX; SYS0(1); SAVE(24)
	MOVQ	$1, DI; MOVQ $0x10, SI; MOVQ $1, DX; SYS0(1); SAVE(32)
	MOVQ	$1, DI; LEAQ ·msg(SB), SI; MOVQ $0, DX; SYS0(1); SAVE(40)
	// 6, 7: getpid, gettid
	SYS0(39); SAVE(48)
	SYS0(186); SAVE(56)
	// 8, 9: arch_prctl: a bad code; ARCH_SET_FS, then a store through FS
	MOVQ	$0x1001, DI; LEAQ ·tls+8(SB), SI; SYS0(158); SAVE(64)
	MOVQ	$0x1002, DI; LEAQ ·tls+8(SB), SI; SYS0(158); SAVE(72)
	MOVQ	$77, AX
	MOVQ	AX, (TLS)
	// 10, 11: clock_gettime into ·ts, then into unmapped memory
	MOVQ	$1, DI; LEAQ ·ts(SB), SI; SYS0(228); SAVE(80)
	MOVQ	$1, DI; MOVQ $0x10, SI; SYS0(228); SAVE(88)
	// 12..14: nanosleep: NULL, zero, 2 ms; 15: clock_gettime into ·ts2
	MOVQ	$0, DI; MOVQ $0, SI; SYS0(35); SAVE(96)
	LEAQ	·zero(SB), DI; MOVQ $0, SI; SYS0(35); SAVE(104)
	LEAQ	·twoms(SB), DI; MOVQ $0, SI; SYS0(35); SAVE(112)
	MOVQ	$1, DI; LEAQ ·ts2(SB), SI; SYS0(228); SAVE(120)
	// 16..20: futex: WAIT for the wrong value, on a bad address, with a
	// 1 µs timeout; WAKE nobody; an unknown operation
	LEAQ	·word(SB), DI; MOVQ $128, SI; MOVQ $4, DX; MOVQ $0, R10; SYS0(202); SAVE(128)
	MOVQ	$0x10, DI; MOVQ $128, SI; MOVQ $0, DX; MOVQ $0, R10; SYS0(202); SAVE(136)
	LEAQ	·word(SB), DI; MOVQ $128, SI; MOVQ $5, DX; LEAQ ·onemicro(SB), R10; SYS0(202); SAVE(144)
	LEAQ	·word(SB), DI; MOVQ $129, SI; MOVQ $1, DX; MOVQ $0, R10; SYS0(202); SAVE(152)
	LEAQ	·word(SB), DI; MOVQ $133, SI; MOVQ $1, DX; MOVQ $0, R10; SYS0(202); SAVE(160)
	// 21..26: rt_sigaction: signal 0, SIGKILL, a handler without
	// SA_SIGINFO|SA_RESTORER, a good one, reading it back, a bad pointer
	MOVQ	$0, DI; LEAQ ·act(SB), SI; MOVQ $0, DX; MOVQ $8, R10; SYS0(13); SAVE(168)
	MOVQ	$9, DI; LEAQ ·act(SB), SI; MOVQ $0, DX; MOVQ $8, R10; SYS0(13); SAVE(176)
	MOVQ	$10, DI; LEAQ ·badact(SB), SI; MOVQ $0, DX; MOVQ $8, R10; SYS0(13); SAVE(184)
	LEAQ	·handler(SB), AX; MOVQ AX, ·act+0(SB)
	LEAQ	·restorer(SB), AX; MOVQ AX, ·act+16(SB)
	MOVQ	$10, DI; LEAQ ·act(SB), SI; MOVQ $0, DX; MOVQ $8, R10; SYS0(13); SAVE(192)
	MOVQ	$10, DI; MOVQ $0, SI; LEAQ ·oldact(SB), DX; MOVQ $8, R10; SYS0(13); SAVE(200)
	MOVQ	$10, DI; MOVQ $0x10, SI; MOVQ $0, DX; MOVQ $8, R10; SYS0(13); SAVE(208)
	// 27..31: rt_sigprocmask: block SIGUSR1 and SIGKILL; read the mask;
	// a bad `how`; unblock; a bad pointer
	MOVQ	$0, DI; LEAQ ·set(SB), SI; LEAQ ·old1(SB), DX; MOVQ $8, R10; SYS0(14); SAVE(216)
	MOVQ	$2, DI; MOVQ $0, SI; LEAQ ·old2(SB), DX; MOVQ $8, R10; SYS0(14); SAVE(224)
	MOVQ	$7, DI; LEAQ ·set(SB), SI; MOVQ $0, DX; MOVQ $8, R10; SYS0(14); SAVE(232)
	MOVQ	$1, DI; LEAQ ·set(SB), SI; LEAQ ·old3(SB), DX; MOVQ $8, R10; SYS0(14); SAVE(240)
	MOVQ	$0, DI; MOVQ $0x10, SI; MOVQ $0, DX; MOVQ $8, R10; SYS0(14); SAVE(248)
	// 32..36: sigaltstack: set one (reading the old: disabled), read it,
	// disable it, read that, a bad pointer; then set it again for the handler
	LEAQ	·ss(SB), DI; LEAQ ·oss1(SB), SI; SYS0(131); SAVE(256)
	MOVQ	$0, DI; LEAQ ·oss2(SB), SI; SYS0(131); SAVE(264)
	LEAQ	·ssoff(SB), DI; MOVQ $0, SI; SYS0(131); SAVE(272)
	MOVQ	$0, DI; LEAQ ·oss3(SB), SI; SYS0(131); SAVE(280)
	MOVQ	$0x10, DI; MOVQ $0, SI; SYS0(131); SAVE(288)
	LEAQ	·ss(SB), DI; MOVQ $0, SI; SYS0(131)
	// 37..39: tgkill: a signal past 64, no such thread, signal 0
	MOVQ	$PID, DI; MOVQ $PID, SI; MOVQ $65, DX; SYS0(234); SAVE(296)
	MOVQ	$PID, DI; MOVQ $4242, SI; MOVQ $0, DX; SYS0(234); SAVE(304)
	MOVQ	$PID, DI; MOVQ $PID, SI; MOVQ $0, DX; SYS0(234); SAVE(312)
	// 40..42: madvise, mmap (not there), sched_yield
	SYS0(28); SAVE(320)
	SYS0(9); SAVE(328)
	SYS0(24); SAVE(336)
	// 43, 44: clone a thread: the parent gets its id, the child stores
	// its own and exits; the parent yields until it has
	MOVQ	$0x50f00, DI; LEAQ ·childstack+4096(SB), SI; MOVQ $0, DX; MOVQ $0, R10; MOVQ $0, R8
	SYS0(56)
	CMPQ	AX, $0
	JEQ	child
	SAVE(344)
wait:
	SYS0(24)
	MOVQ	·childtid(SB), AX
	CMPQ	AX, $0
	JEQ	wait
	SAVE(352)
	// 45: SIGUSR1 to ourselves: the handler changes the RAX it interrupted.
	MOVQ	$PID, DI; MOVQ $PID, SI; MOVQ $10, DX; SYS0(234)
	SAVE(360)
	// 46: SIGUSR2 ignored (SIG_IGN); 47: SIGURG, no handler: ignored too.
	MOVQ	$12, DI; LEAQ ·ign(SB), SI; MOVQ $0, DX; MOVQ $8, R10; SYS0(13)
	MOVQ	$PID, DI; MOVQ $PID, SI; MOVQ $12, DX; SYS0(234); SAVE(368)
	MOVQ	$PID, DI; MOVQ $PID, SI; MOVQ $23, DX; SYS0(234); SAVE(376)
	// SIGTERM, no handler: the process ends, 128+15.
	MOVQ	$PID, DI; MOVQ $PID, SI; MOVQ $15, DX; SYS0(234)
	MOVQ	$1, DI; SYS0(231)	// not reached

child:
	SYS0(186)
	MOVQ	AX, ·childtid(SB)
	MOVQ	$0, DI; SYS0(60)

// The SIGUSR1 handler: signo in DI, &siginfo in SI, &ucontext in DX.
TEXT ·handler(SB), NOSPLIT, $0
	MOVQ	DI, ·hsig(SB)
	MOVLQSX	8(SI), AX		// si_code
	MOVQ	AX, ·hcode(SB)
	MOVQ	SP, ·hsp(SB)
	MOVQ	$0x5151, AX
	MOVQ	AX, 144(DX)		// uc_mcontext.rax (ucontext 40 + sigcontext 13*8)
	RET				// to the restorer

TEXT ·restorer(SB), NOSPLIT, $0
	MOVQ	$15, AX			// rt_sigreturn
	SYSCALL

GLOBL ·res(SB), NOPTR, $512
GLOBL ·tls(SB), NOPTR, $16
GLOBL ·ts(SB), NOPTR, $16
GLOBL ·ts2(SB), NOPTR, $16
DATA ·zero+0(SB)/8, $0
DATA ·zero+8(SB)/8, $0
GLOBL ·zero(SB), NOPTR, $16
DATA ·twoms+0(SB)/8, $0
DATA ·twoms+8(SB)/8, $2000000
GLOBL ·twoms(SB), NOPTR, $16
DATA ·onemicro+0(SB)/8, $0
DATA ·onemicro+8(SB)/8, $1000
GLOBL ·onemicro(SB), NOPTR, $16
DATA ·word+0(SB)/4, $5
GLOBL ·word(SB), NOPTR, $8
// sigactiont {handler, flags, restorer, mask}: SA_SIGINFO|SA_RESTORER|SA_ONSTACK
DATA ·act+8(SB)/8, $0x0c000004
DATA ·act+24(SB)/8, $0x800
GLOBL ·act(SB), NOPTR, $32
DATA ·badact+0(SB)/8, $0x1234
GLOBL ·badact(SB), NOPTR, $32
DATA ·ign+0(SB)/8, $1
GLOBL ·ign(SB), NOPTR, $32
GLOBL ·oldact(SB), NOPTR, $32
// sigset: SIGUSR1 (bit 9) and SIGKILL (bit 8)
DATA ·set+0(SB)/8, $0x300
GLOBL ·set(SB), NOPTR, $8
GLOBL ·old1(SB), NOPTR, $8
GLOBL ·old2(SB), NOPTR, $8
GLOBL ·old3(SB), NOPTR, $8
// stack_t {sp, flags, size}
DATA ·ss+0(SB)/8, $·altstack(SB)
DATA ·ss+8(SB)/4, $0
DATA ·ss+16(SB)/8, $8192
GLOBL ·ss(SB), NOPTR, $24
DATA ·ssoff+8(SB)/4, $2
GLOBL ·ssoff(SB), NOPTR, $24
GLOBL ·oss1(SB), NOPTR, $24
GLOBL ·oss2(SB), NOPTR, $24
GLOBL ·oss3(SB), NOPTR, $24
GLOBL ·childtid(SB), NOPTR, $8
GLOBL ·childstack(SB), NOPTR, $4096
GLOBL ·altstack(SB), NOPTR, $8192
GLOBL ·hsig(SB), NOPTR, $8
GLOBL ·hcode(SB), NOPTR, $8
GLOBL ·hsp(SB), NOPTR, $8
DATA ·msg+0(SB)/3, $"hi\n"
GLOBL ·msg(SB), RODATA, $8
