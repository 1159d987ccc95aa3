// preempt: two goroutines spin in a loop of compiled code that makes no
// call, so no prologue ever checks for a preemption request. With one P,
// main (asleep for 20ms) and the other spinner run again only because
// sysmon sees a goroutine hold the P past its 10ms slice and preempts it
// with a signal, at an instruction the compiler marked safe (the pclntab's
// unsafe-point table, which isAsyncSafePoint reads).
package main

import (
	"sync/atomic"
	"time"
)

var stop uint32

func spin(id int, done chan int) {
	n := 0
	for atomic.LoadUint32(&stop) == 0 {
		n++
	}
	if n > 0 {
		done <- id
	}
}

func main() {
	done := make(chan int)
	go spin(1, done)
	go spin(2, done)
	time.Sleep(20 * time.Millisecond)
	println("main ran again while two goroutines spin")
	atomic.StoreUint32(&stop, 1)
	a, b := <-done, <-done
	println("both spinners stopped:", a+b == 3)
}
