// numgoroutine: runtime.NumGoroutine counts live goroutines: main, plus
// three workers from the moment they are created (runnable or blocked),
// until they exit. The runtime's own goroutines are not counted.
package main

import "runtime"

func worker(gate, done chan bool) {
	<-gate
	done <- true
}

func main() {
	println("at start:", runtime.NumGoroutine())
	gate := make(chan bool)
	done := make(chan bool)
	for i := 0; i < 3; i++ {
		go worker(gate, done)
	}
	println("created:", runtime.NumGoroutine())
	runtime.Gosched()
	println("blocked:", runtime.NumGoroutine())
	close(gate)
	for i := 0; i < 3; i++ {
		<-done
	}
	for runtime.NumGoroutine() > 1 {
		runtime.Gosched()
	}
	println("at end:", runtime.NumGoroutine())
}
