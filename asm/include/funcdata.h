// funcdata.h: the table numbers an assembly function uses with the PCDATA
// and FUNCDATA pseudo-instructions to describe its frame to the garbage
// collector and the traceback code, and three macros built on them. The
// numbers are Go 1.19's. gmpemu has no collector: the assembler accepts
// these statements and they produce no machine code.

// PCDATA tables (values that change from one PC to the next).
#define PCDATA_UnsafePoint 0
#define PCDATA_StackMapIndex 1
#define PCDATA_InlTreeIndex 2
#define PCDATA_ArgLiveIndex 3

// FUNCDATA tables (one per function).
#define FUNCDATA_ArgsPointerMaps 0
#define FUNCDATA_LocalsPointerMaps 1
#define FUNCDATA_StackObjects 2
#define FUNCDATA_InlTree 3
#define FUNCDATA_OpenCodedDeferInfo 4
#define FUNCDATA_ArgInfo 5
#define FUNCDATA_ArgLiveInfo 6
#define FUNCDATA_WrapInfo 7

// GO_ARGS: which arguments hold pointers is said by the Go declaration of
// this function in the same package.
#define GO_ARGS	FUNCDATA $FUNCDATA_ArgsPointerMaps, go_args_stackmap(SB)

// GO_RESULTS_INITIALIZED: from here on the results hold valid values (for
// a function that calls back into Go after writing them).
#define GO_RESULTS_INITIALIZED	PCDATA $PCDATA_StackMapIndex, $1

// NO_LOCAL_POINTERS: nothing in the local frame is a pointer.
#define NO_LOCAL_POINTERS	FUNCDATA $FUNCDATA_LocalsPointerMaps, no_pointers_stackmap(SB)

// The argument size recorded for a TEXT that declares none ($n without -m).
#define ArgsSizeUnknown 0x80000000
