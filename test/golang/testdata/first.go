// first: a go statement, then Gosched: the new goroutine's first line runs
// only after main gives up the P (test/golang/step.test.ts steps through it).
package main

import "runtime"

func hello(done chan bool) {
	println("hello from the new goroutine")
	done <- true
}

func main() {
	done := make(chan bool, 1)
	go hello(done)
	runtime.Gosched()
	<-done
	println("main: done")
}
