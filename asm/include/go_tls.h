// go_tls.h: how assembly finds the running goroutine's g.
//
// Every thread keeps the address of the g it is running in a thread-local
// slot. On linux/amd64 that slot is the 8 bytes just below the FS base, and
// runtime·settls points FS at &m.tls[0]+8 so that the slot is m.tls[0].
// Code reaches it in two steps:
//
//	get_tls(CX)		// CX = "the TLS base" (the assembler drops this)
//	MOVQ	g(CX), AX	// AX = g: an FS-relative load, offset -8 (set by the linker)
//
// Go code compiled with the register ABI also keeps g in R14; assembly that
// switches goroutines must update both.

#ifdef GOARCH_amd64
#define get_tls(r)	MOVQ TLS, r
#define g(r)	0(r)(TLS*1)
#endif
