// pingpong: two goroutines bounce a counter over two unbuffered channels.
// Every send is a hand-off to a parked receiver (or parks the sender), so
// each line is caused by the one before it: the output is the same for any
// GOMAXPROCS.
package main

func player(name string, in, out chan int, n int, done chan bool) {
	for i := 0; i < n; i++ {
		v := <-in
		println(name, v)
		out <- v + 1
	}
	done <- true
}

func main() {
	ping := make(chan int)
	pong := make(chan int)
	done := make(chan bool)
	go player("ping", ping, pong, 3, done)
	go player("pong", pong, ping, 3, done)
	ping <- 0
	<-done        // ping has made its last receive on ping ...
	v := <-ping   // ... so pong's last send comes to main
	<-done
	println("final", v)
}
