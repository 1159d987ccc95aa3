// semaphore: a buffered channel of capacity 2 as a counting semaphore:
// four workers, at most two between acquire (send) and release (receive).
package main

import "runtime"

func worker(id int, sem, done chan bool) {
	sem <- true // acquire
	println("worker", id, "in")
	runtime.Gosched()
	println("worker", id, "out")
	<-sem // release
	done <- true
}

func main() {
	sem := make(chan bool, 2)
	done := make(chan bool)
	for i := 0; i < 4; i++ {
		go worker(i, sem, done)
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	println("all done")
}
