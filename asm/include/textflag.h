// textflag.h: the flag words that may follow a TEXT, DATA or GLOBL symbol
// (TEXT runtime·gogo(SB), NOSPLIT, $0-8). gmpemu's own copy; the names and
// numbers are the ones Go 1.19's toolchain defines, because the assembler,
// the linker and the traceback code all agree on them.

// Leave the function out of profiles.
#define NOPROF	1
// The symbol may be defined more than once; the linker keeps one copy.
#define DUPOK	2
// Emit no stack-bound check in the prologue. The function promises to fit
// in the slack (the guard) that the caller's check left below it.
#define NOSPLIT	4
// A DATA/GLOBL symbol that is only read (placed in read-only memory).
#define RODATA	8
// A DATA/GLOBL symbol with no pointers in it: the collector never scans it.
#define NOPTR	16
// A wrapper: hidden in tracebacks, and transparent to recover.
#define WRAPPER 32
// The function reads a closure context from DX.
#define NEEDCTXT 64
// Thread-local data (one copy per thread).
#define TLSBSS	256
// Never give the function a frame or save BP, even if it calls.
#define NOFRAME 512
// The function may call reflect's Method or MethodByName.
#define REFLECTMETHOD 1024
// The outermost frame of a stack: a traceback that reaches it stops.
#define TOPFRAME 2048
// A wrapper the toolchain made to bridge two calling conventions (ABIs).
#define ABIWRAPPER 4096
