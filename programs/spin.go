// spin: a goroutine that loops forever without a call, and one that prints.
// With GOMAXPROCS=1 the others run again only because the runtime preempts
// the spinner asynchronously, with a signal.
package main

import (
	"runtime"
	"sync/atomic"
)

var ready uint32

func spinner() {
	atomic.StoreUint32(&ready, 1)
	for {
	}
}

func printer(done chan bool) {
	for i := 0; i < 3; i++ {
		println("printer", i)
		runtime.Gosched()
	}
	done <- true
}

func main() {
	go spinner()
	for atomic.LoadUint32(&ready) == 0 {
		runtime.Gosched()
	}
	println("spinner is spinning")
	done := make(chan bool)
	go printer(done)
	<-done
	println("main: done")
}
