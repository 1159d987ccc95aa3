// Two threads on the emulated kernel, no runtime: the main thread clones a
// child; each prints its letter 40 times with a busy loop between, the
// child then sets a flag and wakes the parent's futex; the parent waits on
// it, sleeps one virtual second, and exits with the elapsed nanoseconds'
// second count as status. What the kernel's seeded interleaving makes of
// the two loops shows in the order of the letters.

#define SYS_write 1
#define SYS_nanosleep 35
#define SYS_clone 56
#define SYS_exit 60
#define SYS_futex 202
#define SYS_clock_gettime 228
#define SYS_exit_group 231

TEXT ·start(SB), 4, $0
	MOVQ	$0x50f00, DI		// CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM
	LEAQ	·childstack+4096(SB), SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	MOVL	$SYS_clone, AX
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	LEAQ	·letters(SB), R12	// "P"
	CALL	·loop(SB)
wait:
	// futex(&flag, FUTEX_WAIT, 0): sleep while the child is not done.
	MOVL	·flag(SB), AX
	CMPL	AX, $0
	JNE	done
	LEAQ	·flag(SB), DI
	MOVQ	$0, SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVL	$SYS_futex, AX
	SYSCALL
	JMP	wait
done:
	// t0 = now; nanosleep(1s); t1 = now; exit_group((t1-t0)/1e9)
	MOVQ	$1, DI
	LEAQ	·ts0(SB), SI
	MOVL	$SYS_clock_gettime, AX
	SYSCALL
	LEAQ	·onesec(SB), DI
	MOVQ	$0, SI
	MOVL	$SYS_nanosleep, AX
	SYSCALL
	MOVQ	$1, DI
	LEAQ	·ts1(SB), SI
	MOVL	$SYS_clock_gettime, AX
	SYSCALL
	MOVQ	·ts1(SB), DI
	SUBQ	·ts0(SB), DI
	MOVL	$SYS_exit_group, AX
	SYSCALL

child:
	LEAQ	·letters+1(SB), R12	// "C"
	CALL	·loop(SB)
	MOVL	$1, ·flag(SB)
	LEAQ	·flag(SB), DI
	MOVQ	$1, SI			// FUTEX_WAKE
	MOVQ	$1, DX
	MOVL	$SYS_futex, AX
	SYSCALL
	MOVQ	$0, DI
	MOVL	$SYS_exit, AX
	SYSCALL

// loop: 40 times, spin a while and write the byte at R12.
TEXT ·loop(SB), 4, $0
	MOVQ	$40, BX
again:
	MOVQ	$300, CX
spin:
	DECQ	CX
	JNE	spin
	MOVQ	$1, DI
	MOVQ	R12, SI
	MOVQ	$1, DX
	MOVL	$SYS_write, AX
	SYSCALL
	DECQ	BX
	JNE	again
	RET

DATA ·letters+0(SB)/2, $"PC"
GLOBL ·letters(SB), 8, $8
DATA ·onesec+0(SB)/8, $1
GLOBL ·onesec(SB), 8, $16
GLOBL ·flag(SB), 16, $8
GLOBL ·ts0(SB), 16, $16
GLOBL ·ts1(SB), 16, $16
GLOBL ·childstack(SB), 16, $4096
