// Reaching the running g through thread-local storage, in the two-step form
// the runtime's assembly uses:
//   get_tls(CX)          CX = the TLS base
//   MOVQ g(CX), AX       AX = the g in the TLS slot
// On linux/amd64 the assembler turns the first into nothing and the second
// into an FS-relative load of the slot at -8(FS).

#ifdef GOARCH_amd64
#define get_tls(r) MOVQ TLS, r
#define g(r) 0(r)(TLS*1)
#endif
