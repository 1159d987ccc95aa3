// goexitmain: main calls runtime.Goexit after its only other goroutine has
// finished: nothing can ever run again, and checkdead says why.
package main

import "runtime"

func main() {
	done := make(chan bool)
	go func() { done <- true }()
	<-done
	println("main: calling Goexit")
	runtime.Goexit()
	println("not reached")
}
