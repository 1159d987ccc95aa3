// hello: three workers report on a channel; main waits for all three.
// With GOMAXPROCS=1 the order shows runnext: the last goroutine created
// runs first, then the others in FIFO order from the run queue.
package main

func worker(id int, done chan bool) {
	println("worker", id, "running")
	done <- true
}

func main() {
	done := make(chan bool)
	for i := 0; i < 3; i++ {
		go worker(i, done)
	}
	for i := 0; i < 3; i++ {
		<-done
	}
	println("all", 3, "workers done")
}
