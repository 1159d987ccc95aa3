// syscall: main blocks in a 50 ms nanosleep system call while a worker
// waits in the run queue. With GOMAXPROCS=1 the worker runs only because
// sysmon sees the P sitting in the system call and hands it to another M.
package main

import (
	"runtime"
	"syscall"
	"unsafe"
)

func worker(done chan bool) {
	for i := 0; i < 3; i++ {
		println("worker", i)
		runtime.Gosched()
	}
	done <- true
}

func main() {
	done := make(chan bool, 1)
	go worker(done)
	println("main: entering a 50ms system call")
	ts := syscall.Timespec{Sec: 0, Nsec: 50_000_000}
	syscall.Syscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
	println("main: back from the system call")
	<-done
	println("main: done")
}
