// goexit: runtime.Goexit ends the goroutine that calls it, from however
// deep in its call stack; the lines after it never run.
package main

import "runtime"

func inner() {
	println("inner: calling Goexit")
	runtime.Goexit()
	println("inner: not reached")
}

func worker(started chan bool) {
	started <- true
	inner()
	println("worker: not reached")
}

func main() {
	started := make(chan bool)
	go worker(started)
	<-started
	for runtime.NumGoroutine() > 1 {
		runtime.Gosched()
	}
	println("main: goroutines:", runtime.NumGoroutine())
}
